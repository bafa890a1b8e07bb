// Scales and number formats shared by the charts: "nice" axis ends and ticks, compact
// labels (1.2k, 3.4M), and UTC time labels fitting a bucket granularity.

/** The time buckets the charts know (the usage API's granularities). */
export type TimeStep = "minute" | "hour" | "day" | "week" | "month";

/** A round number at least `value` (1, 2, 2.5, 5 or 10 times a power of ten). */
export function niceCeiling(value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

/** Evenly spaced ticks from 0 to a nice ceiling of `max`, at round steps (1, 2 or 5 times a
 * power of ten: 0, 20, 40 … rather than 0, 12.5, 25 …), about four or five of them. */
export function linearTicks(max: number): number[] {
  const top = niceCeiling(max);
  // Small integer tops count in ones (0, 1, 2) rather than in fractions.
  let steps = Number.isInteger(top) && top <= 2 ? top : 0;
  for (const count of [4, 5, 2, 3]) {
    if (steps) break;
    const mantissa = (top / count) / 10 ** Math.floor(Math.log10(top / count));
    if ([1, 2, 5].some((nice) => Math.abs(mantissa - nice) < 1e-9)) steps = count;
  }
  steps ||= 4;
  return Array.from({ length: steps + 1 }, (_, index) => Number(((top * index) / steps).toPrecision(12)));
}

/** A short label for a number: 950, 1.2k, 3.4M. */
export function formatCompact(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${trim(value / 1e9)}B`;
  if (abs >= 1e6) return `${trim(value / 1e6)}M`;
  if (abs >= 1e4) return `${trim(value / 1e3)}k`;
  if (Number.isInteger(value)) return value.toLocaleString("en-US");
  return trim(value);
}

function trim(value: number): string {
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return String(Number(value.toFixed(digits)));
}

const utc = (options: Intl.DateTimeFormatOptions) =>
  new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", ...options });

const TIME = utc({ hour: "2-digit", minute: "2-digit", hour12: false });
const DAY = utc({ day: "numeric", month: "short" });
const DAY_TIME = utc({ day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hour12: false });
const MONTH = utc({ month: "short", year: "numeric" });
const FULL = utc({ day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hour12: false });

/** An axis label for a bucket start (UTC): 14:00 for minutes and hours (with the date when
 * the day changes), 5 Jan for days and weeks, Jan 2026 for months. */
export function formatTick(time: Date, step: TimeStep, previous?: Date): string {
  if (step === "minute" || step === "hour") {
    const newDay = !previous || previous.toISOString().slice(0, 10) !== time.toISOString().slice(0, 10);
    return newDay ? DAY_TIME.format(time) : TIME.format(time);
  }
  if (step === "month") return MONTH.format(time);
  return DAY.format(time);
}

/** A bucket as a tooltip or a table names it (UTC): "5 Jan 2026, 14:00 UTC", "week of 5 Jan 2026". */
export function formatBucket(time: Date, step: TimeStep): string {
  if (step === "minute" || step === "hour") return `${FULL.format(time)} UTC`;
  const day = utc({ day: "numeric", month: "short", year: "numeric" }).format(time);
  if (step === "day") return day;
  if (step === "week") return `week of ${day}`;
  return MONTH.format(time);
}
