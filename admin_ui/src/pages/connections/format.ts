// Small formatters the connections and API keys pages share.

/** A time as the reader's locale writes it ("—" for none). */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** "3 minutes ago", "in 2 days", or the date when far off ("Never" for none). */
export function relativeTime(iso: string | null | undefined, none = "Never"): string {
  if (!iso) return none;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const seconds = Math.round((date.getTime() - Date.now()) / 1000);
  const abs = Math.abs(seconds);
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ["second", 60],
    ["minute", 3600],
    ["hour", 86400],
    ["day", 86400 * 30],
  ];
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  let size = 1;
  for (const [unit, limit] of units) {
    if (abs < limit) return format.format(Math.round(seconds / size), unit);
    size = limit;
  }
  return date.toLocaleDateString();
}

/** 12345 -> "12,345" (null: "—"). */
export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : value.toLocaleString("en-US");
}
