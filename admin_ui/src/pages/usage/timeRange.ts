// Time ranges and buckets as the usage API understands them: UTC buckets (weeks start on
// Monday, months on the 1st), the longest range each granularity answers, and the buckets
// a range holds, so the charts can show the empty ones the API leaves out.

import type { Granularity } from "../../api/types";

export type RangePreset = "1h" | "24h" | "7d" | "30d" | "custom";

export const RANGE_PRESETS: { value: RangePreset; label: string }[] = [
  { value: "1h", label: "Last hour" },
  { value: "24h", label: "Last 24 hours" },
  { value: "7d", label: "Last 7 days" },
  { value: "30d", label: "Last 30 days" },
  { value: "custom", label: "Custom range" },
];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const PRESET_SPAN: Record<Exclude<RangePreset, "custom">, number> = {
  "1h": HOUR,
  "24h": DAY,
  "7d": 7 * DAY,
  "30d": 30 * DAY,
};

export const GRANULARITIES: Granularity[] = ["minute", "hour", "day", "week", "month"];

/** The longest range the API answers by each granularity (usage_query.MAX_RANGE). */
export const MAX_RANGE_MS: Record<Granularity, number> = {
  minute: DAY,
  hour: 31 * DAY,
  day: 366 * DAY,
  week: 262 * 7 * DAY,
  month: 3660 * DAY,
};

/** More buckets than this make unreadable charts (and big answers). */
const MAX_BUCKETS = 1_500;

export interface TimeRange {
  from: Date;
  to: Date;
}

/** The range of a preset, ending `now`. */
export function presetRange(preset: Exclude<RangePreset, "custom">, now: Date): TimeRange {
  return { from: new Date(now.getTime() - PRESET_SPAN[preset]), to: now };
}

/** The start of the UTC bucket holding `moment`. */
export function bucketStart(moment: Date, granularity: Granularity): Date {
  const d = new Date(moment.getTime());
  switch (granularity) {
    case "minute":
      d.setUTCSeconds(0, 0);
      return d;
    case "hour":
      d.setUTCMinutes(0, 0, 0);
      return d;
    case "day":
      d.setUTCHours(0, 0, 0, 0);
      return d;
    case "week": {
      d.setUTCHours(0, 0, 0, 0);
      // getUTCDay: Sunday 0 ... Saturday 6; weeks start on Monday.
      const sinceMonday = (d.getUTCDay() + 6) % 7;
      d.setUTCDate(d.getUTCDate() - sinceMonday);
      return d;
    }
    case "month":
      d.setUTCHours(0, 0, 0, 0);
      d.setUTCDate(1);
      return d;
  }
}

/** The start of the bucket after the one starting at `start`. */
export function nextBucket(start: Date, granularity: Granularity): Date {
  const d = new Date(start.getTime());
  switch (granularity) {
    case "minute":
      return new Date(d.getTime() + MINUTE);
    case "hour":
      return new Date(d.getTime() + HOUR);
    case "day":
      d.setUTCDate(d.getUTCDate() + 1);
      return d;
    case "week":
      d.setUTCDate(d.getUTCDate() + 7);
      return d;
    case "month":
      d.setUTCMonth(d.getUTCMonth() + 1);
      return d;
  }
}

/** Every bucket start that holds part of `[from, to)`. */
export function bucketStarts(range: TimeRange, granularity: Granularity): Date[] {
  const starts: Date[] = [];
  for (
    let start = bucketStart(range.from, granularity);
    start < range.to && starts.length <= MAX_BUCKETS;
    start = nextBucket(start, granularity)
  ) {
    starts.push(start);
  }
  return starts;
}

function approximateBuckets(range: TimeRange, granularity: Granularity): number {
  const span = range.to.getTime() - range.from.getTime();
  const size = { minute: MINUTE, hour: HOUR, day: DAY, week: 7 * DAY, month: 30 * DAY }[granularity];
  return Math.ceil(span / size) + 1;
}

/** Why the API (or the charts) cannot use `granularity` for `range`, or null. */
export function granularityProblem(range: TimeRange, granularity: Granularity): string | null {
  const span = range.to.getTime() - range.from.getTime();
  if (span > MAX_RANGE_MS[granularity]) return "range too long";
  if (approximateBuckets(range, granularity) > MAX_BUCKETS) return "too many points";
  return null;
}

/** The granularity that suits a range: about 24 to 200 points. */
export function autoGranularity(range: TimeRange): Granularity {
  const span = range.to.getTime() - range.from.getTime();
  if (span <= 3 * HOUR) return "minute";
  if (span <= 8 * DAY) return "hour";
  if (span <= 120 * DAY) return "day";
  if (span <= 3 * 366 * DAY) return "week";
  return "month";
}

/** `2026-01-05T10:00` (for <input type="datetime-local">, read as UTC) of a time. */
export function toInputValue(moment: Date): string {
  return moment.toISOString().slice(0, 16);
}

/** A datetime-local value read as UTC; null when empty or malformed. */
export function fromInputValue(value: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return null;
  const parsed = new Date(`${value}Z`);
  return Number.isNaN(parsed.getTime()) ? null : parsed;
}
