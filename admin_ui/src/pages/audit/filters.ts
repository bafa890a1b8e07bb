// The audit log's filters as the URL keeps them (so a filtered view can be shared and the
// detail's "back" returns to it) and as the API's query string takes them.

import type { Query } from "../../api/client";
import { fromInputValue } from "../usage/timeRange";

export type AuditRange = "any" | "1h" | "24h" | "7d" | "30d" | "custom";

export const AUDIT_RANGES: { value: AuditRange; label: string }[] = [
  { value: "any", label: "Any time" },
  { value: "1h", label: "Last hour" },
  { value: "24h", label: "Last 24 hours" },
  { value: "7d", label: "Last 7 days" },
  { value: "30d", label: "Last 30 days" },
  { value: "custom", label: "Custom range" },
];

const SPAN_MS: Record<string, number> = {
  "1h": 3_600_000,
  "24h": 86_400_000,
  "7d": 7 * 86_400_000,
  "30d": 30 * 86_400_000,
};

/** The text filters: the URL's name, the API's name, and the field's label. */
export const TEXT_FILTERS = [
  { name: "resource", label: "Resource", hint: "Name or id" },
  { name: "provider", label: "Provider", hint: "e.g. openai" },
  { name: "model", label: "Model", hint: "e.g. gpt-4o-mini" },
  { name: "status", label: "Status", hint: "e.g. 429 or 5xx" },
  { name: "apiKey", label: "API key", hint: "Name or id" },
  { name: "errorClass", label: "Error class", hint: "e.g. rate_limit" },
] as const;

export type TextFilter = (typeof TEXT_FILTERS)[number]["name"];

export interface AuditFilters {
  range: AuditRange;
  /** datetime-local values, read as UTC (custom range only). */
  from: string;
  to: string;
  resource: string;
  provider: string;
  model: string;
  status: string;
  apiKey: string;
  errorClass: string;
}

export const NO_FILTERS: AuditFilters = {
  range: "any",
  from: "",
  to: "",
  resource: "",
  provider: "",
  model: "",
  status: "",
  apiKey: "",
  errorClass: "",
};

/** The filters the URL holds. */
export function filtersFromParams(params: URLSearchParams): AuditFilters {
  const range = params.get("range");
  const filters: AuditFilters = {
    ...NO_FILTERS,
    range: AUDIT_RANGES.some((r) => r.value === range) ? (range as AuditRange) : "any",
    from: params.get("from") ?? "",
    to: params.get("to") ?? "",
  };
  for (const { name } of TEXT_FILTERS) filters[name] = params.get(name) ?? "";
  return filters;
}

/** The URL's query for `filters` (empty ones left out). */
export function filtersToParams(filters: AuditFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.range !== "any") params.set("range", filters.range);
  if (filters.range === "custom") {
    if (filters.from) params.set("from", filters.from);
    if (filters.to) params.set("to", filters.to);
  }
  for (const { name } of TEXT_FILTERS) {
    const value = filters[name].trim();
    if (value) params.set(name, value);
  }
  return params;
}

/** How many filters narrow the list. */
export function activeFilterCount(filters: AuditFilters): number {
  return (filters.range !== "any" ? 1 : 0) + TEXT_FILTERS.filter(({ name }) => filters[name].trim()).length;
}

/** The API's query for `filters`; a relative range ends at `now`. */
export function filtersToQuery(filters: AuditFilters, now: Date): Query {
  const query: Query = {};
  const span = SPAN_MS[filters.range];
  if (span !== undefined) {
    query.from = new Date(now.getTime() - span).toISOString();
  } else if (filters.range === "custom") {
    // A malformed time goes to the API as typed, so its error names the field.
    const from = fromInputValue(filters.from);
    const to = fromInputValue(filters.to);
    if (filters.from) query.from = from ? from.toISOString() : filters.from;
    if (filters.to) query.to = to ? to.toISOString() : filters.to;
  }
  for (const { name } of TEXT_FILTERS) {
    const value = filters[name].trim();
    if (value) query[name] = value;
  }
  return query;
}
