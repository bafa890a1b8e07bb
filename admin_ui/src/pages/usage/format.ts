// How the usage dashboard and the audit log write numbers.

const COUNT = new Intl.NumberFormat("en-US");

/** 1,234 (an em dash for nothing). */
export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : COUNT.format(value);
}

/** 85 ms, 1.24 s. */
export function formatMs(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  if (value >= 10) return `${Math.round(value)} ms`;
  return `${Number(value.toFixed(1))} ms`;
}

/** $0.0042, $12.50: small amounts keep their significant digits. */
export function formatCost(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  if (value === 0) return "$0";
  if (Math.abs(value) >= 1) return `$${value.toFixed(2)}`;
  return `$${Number(value.toPrecision(3))}`;
}

/** 12.5% of a 0..1 fraction. */
export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  const percent = value * 100;
  return `${Number(percent.toFixed(percent >= 10 || percent === 0 ? 0 : 1))}%`;
}

/** 5 Jan 2026, 14:03:07 UTC. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${new Intl.DateTimeFormat("en-GB", {
    timeZone: "UTC",
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
  }).format(date)} UTC`;
}

/** 6 Dec 14:03:07 (UTC), for lists. */
export function formatShortTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: "UTC",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
  }).format(date);
}
