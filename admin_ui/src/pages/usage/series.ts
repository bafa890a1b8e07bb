// From the usage API's rows to chart series: one value per bucket of the range (the API
// sends only buckets that have requests, so counts are filled with 0 and averages and
// percentiles with null: "no requests" is not "0 ms"), and per-group breakdowns.

import type { RecordRef, UsageDimension, UsageGroup, UsageMetric, UsageRow } from "../../api/types";

/** The value of `metric` in each bucket of `times`; `missing` where the API sent no row. */
export function bucketSeries(
  rows: UsageRow[],
  times: Date[],
  metric: UsageMetric,
  missing: 0 | null,
): (number | null)[] {
  const byTime = new Map<number, number | null>();
  for (const row of rows) {
    const value = row.metrics[metric];
    byTime.set(new Date(row.bucket).getTime(), value ?? null);
  }
  return times.map((time) => {
    const value = byTime.get(time.getTime());
    return value === undefined ? missing : value;
  });
}

export const DIMENSION_LABELS: Record<UsageDimension, string> = {
  resource: "Resource",
  provider: "Provider",
  model: "Model",
  connection: "Connection",
  apiKey: "API key",
  status: "Status",
  errorClass: "Error class",
};

const NONE = "(none)";

/** How a group is named: an object by its recorded name (else its id), a value as is. */
export function groupLabel(group: UsageGroup, dimension: UsageDimension): string {
  const value = group[dimension] as RecordRef | string | number | null | undefined;
  if (value === null || value === undefined) return NONE;
  if (typeof value === "object") return value.name ?? value.id ?? NONE;
  return String(value);
}

export interface GroupTotals {
  label: string;
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  /** Null when no record of the group has a cost. */
  estimatedCost: number | null;
}

/** Each group's sums over the whole range, most requests first. */
export function groupTotals(rows: UsageRow[], dimension: UsageDimension): GroupTotals[] {
  const found = new Map<string, GroupTotals>();
  for (const row of rows) {
    const label = groupLabel(row.group, dimension);
    const totals =
      found.get(label) ??
      { label, requests: 0, errors: 0, promptTokens: 0, completionTokens: 0, estimatedCost: null };
    const m = row.metrics;
    totals.requests += m.requests ?? 0;
    totals.errors += m.errors ?? 0;
    totals.promptTokens += m.promptTokens ?? 0;
    totals.completionTokens += m.completionTokens ?? 0;
    if (m.estimatedCost !== null && m.estimatedCost !== undefined) {
      totals.estimatedCost = (totals.estimatedCost ?? 0) + m.estimatedCost;
    }
    found.set(label, totals);
  }
  return [...found.values()].sort((a, b) => b.requests - a.requests || a.label.localeCompare(b.label));
}

export const OTHER = "Other";

/** One series of `metric` per group: the `top` groups with most requests, the rest summed
 * as "Other". Counts only (sums are meaningful; averages would not be). */
export function groupSeries(
  rows: UsageRow[],
  times: Date[],
  dimension: UsageDimension,
  metric: UsageMetric,
  top = 5,
): { label: string; values: number[] }[] {
  const ranked = groupTotals(rows, dimension).map((group) => group.label);
  const shown = new Set(ranked.slice(0, top));
  const hasOther = ranked.length > top;
  const index = new Map(times.map((time, position) => [time.getTime(), position]));
  const series = new Map<string, number[]>();
  for (const label of [...shown, ...(hasOther ? [OTHER] : [])]) series.set(label, times.map(() => 0));
  for (const row of rows) {
    const position = index.get(new Date(row.bucket).getTime());
    if (position === undefined) continue;
    const label = groupLabel(row.group, dimension);
    const values = series.get(shown.has(label) ? label : OTHER);
    if (values) values[position] = (values[position] ?? 0) + (row.metrics[metric] ?? 0);
  }
  return [...series.entries()].map(([label, values]) => ({ label, values }));
}
