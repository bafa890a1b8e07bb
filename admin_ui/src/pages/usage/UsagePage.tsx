// The usage dashboard of the selected environment: a time range, a granularity and a
// grouping chosen in the URL (so a view can be shared), totals, charts over time and a
// breakdown by the group. Buckets are UTC, as the API makes them.

import { useMemo, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { envPath } from "../../api/client";
import type { Granularity, UsageAnswer, UsageDimension, UsageMetric, UsageQuery } from "../../api/types";
import {
  Button,
  DataTable,
  EmptyState,
  ErrorBanner,
  fieldError,
  Loading,
  PageHeader,
  SelectField,
  TextField,
  type Column,
} from "../../components";
import { BarChart, TimeSeriesChart } from "../../components/charts";
import { useEnvironmentScope } from "../../layout/scope";
import { formatCost, formatCount, formatMs, formatPercent } from "./format";
import { usePost } from "./usePost";
import { bucketSeries, DIMENSION_LABELS, groupSeries, groupTotals, type GroupTotals } from "./series";
import {
  autoGranularity,
  bucketStarts,
  fromInputValue,
  GRANULARITIES,
  granularityProblem,
  presetRange,
  RANGE_PRESETS,
  toInputValue,
  type RangePreset,
  type TimeRange,
} from "./timeRange";

/** One view (no sub-pages): what it shows lives in the query string. */
export default function UsagePage() {
  return <UsageDashboard />;
}

const OVERALL_METRICS: UsageMetric[] = [
  "requests",
  "errors",
  "errorRate",
  "promptTokens",
  "completionTokens",
  "totalTokens",
  "latencyP50",
  "latencyP95",
  "latencyP99",
  "estimatedCost",
];
const GROUP_METRICS: UsageMetric[] = ["requests", "errors", "promptTokens", "completionTokens", "estimatedCost"];
const DIMENSIONS = Object.keys(DIMENSION_LABELS) as UsageDimension[];

interface Selection {
  preset: RangePreset;
  range: TimeRange | null;
  /** Why the custom range is not usable ("from" or "to"), if it is not. */
  rangeError: { field: "from" | "to"; message: string } | null;
  granularity: Granularity;
  automatic: boolean;
  groupBy: UsageDimension | null;
}

/** What the URL asks for, with `now` as the end of a preset range. */
function useSelection(now: Date): [Selection, (changes: Record<string, string | null>) => void, URLSearchParams] {
  const [params, setParams] = useSearchParams();
  const presetParam = params.get("range");
  const preset: RangePreset = RANGE_PRESETS.some((p) => p.value === presetParam) ? (presetParam as RangePreset) : "24h";

  let range: TimeRange | null = null;
  let rangeError: Selection["rangeError"] = null;
  if (preset === "custom") {
    const from = fromInputValue(params.get("from") ?? "");
    const to = fromInputValue(params.get("to") ?? "");
    if (!from) rangeError = { field: "from", message: "enter a start time" };
    else if (!to) rangeError = { field: "to", message: "enter an end time" };
    else if (from >= to) rangeError = { field: "to", message: "the end must be after the start" };
    else range = { from, to };
  } else {
    range = presetRange(preset, now);
  }

  const asked = params.get("granularity") as Granularity | null;
  const usable = asked && GRANULARITIES.includes(asked) && range && !granularityProblem(range, asked);
  const granularity: Granularity = usable ? asked : range ? autoGranularity(range) : "hour";
  const groupParam = params.get("groupBy") as UsageDimension | null;
  const groupBy = groupParam && DIMENSIONS.includes(groupParam) ? groupParam : null;

  const update = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [name, value] of Object.entries(changes)) {
      if (value === null || value === "") next.delete(name);
      else next.set(name, value);
    }
    setParams(next, { replace: true });
  };
  return [{ preset, range, rangeError, granularity, automatic: !usable, groupBy }, update, params];
}

function UsageDashboard() {
  const scope = useEnvironmentScope();
  const [now, setNow] = useState(() => new Date());
  const [selection, update, params] = useSelection(now);
  const { range, granularity, groupBy } = selection;
  const path = envPath(scope.workspace, scope.environment, "/usage/query");

  const overallQuery: UsageQuery | null = range
    ? { from: range.from.toISOString(), to: range.to.toISOString(), granularity, metrics: OVERALL_METRICS }
    : null;
  const groupQuery: UsageQuery | null =
    overallQuery && groupBy ? { ...overallQuery, groupBy: [groupBy], metrics: GROUP_METRICS } : null;
  const overall = usePost<UsageAnswer>(path, overallQuery);
  const grouped = usePost<UsageAnswer>(path, groupQuery);

  const refresh = () => {
    setNow(new Date());
    overall.reload();
    grouped.reload();
  };

  const choosePreset = (value: string) => {
    if (value === "custom" && range) {
      update({ range: "custom", from: toInputValue(range.from), to: toInputValue(range.to) });
    } else {
      update({ range: value, from: null, to: null });
    }
  };

  const serverFromError = fieldError(overall.error, "from");
  const fromError = (selection.rangeError?.field === "from" ? selection.rangeError.message : null) ?? serverFromError;
  const toError = selection.rangeError?.field === "to" ? selection.rangeError.message : fieldError(overall.error, "to");

  return (
    <section className="page usage-page">
      <PageHeader
        title="Usage"
        description={
          <>
            Requests, errors, tokens, latency and cost in <strong>{scope.environment}</strong>, from its request
            records. Times are UTC.
          </>
        }
        actions={
          <Button onClick={refresh} busy={overall.loading && overall.data !== undefined}>
            Refresh
          </Button>
        }
      />
      <form className="card usage-controls" aria-label="Usage query" onSubmit={(event) => event.preventDefault()}>
        <SelectField
          label="Time range"
          value={selection.preset}
          options={RANGE_PRESETS}
          onChange={(event) => choosePreset(event.target.value)}
        />
        {selection.preset === "custom" ? (
          <>
            <TextField
              label="From (UTC)"
              type="datetime-local"
              value={params.get("from") ?? ""}
              error={selection.preset === "custom" ? fromError : null}
              onChange={(event) => update({ from: event.target.value })}
            />
            <TextField
              label="To (UTC)"
              type="datetime-local"
              value={params.get("to") ?? ""}
              error={toError}
              onChange={(event) => update({ to: event.target.value })}
            />
          </>
        ) : null}
        <SelectField
          label="Granularity"
          value={selection.automatic ? "" : granularity}
          onChange={(event) => update({ granularity: event.target.value })}
          options={[
            { value: "", label: `Automatic (${range ? autoGranularity(range) : "hour"})` },
            ...GRANULARITIES.map((value) => {
              const problem = range ? granularityProblem(range, value) : null;
              return { value, label: problem ? `${value} (${problem})` : value, disabled: Boolean(problem) };
            }),
          ]}
        />
        <SelectField
          label="Group by"
          value={groupBy ?? ""}
          onChange={(event) => update({ groupBy: event.target.value })}
          options={[
            { value: "", label: "Nothing" },
            ...DIMENSIONS.map((value) => ({ value, label: DIMENSION_LABELS[value] })),
          ]}
        />
      </form>
      {range ? (
        <UsageResults
          range={range}
          granularity={granularity}
          groupBy={groupBy}
          overall={overall}
          grouped={grouped}
          showFromError={selection.preset === "custom" && Boolean(serverFromError)}
        />
      ) : null}
    </section>
  );
}

interface Loaded {
  data: UsageAnswer | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

function UsageResults({
  range,
  granularity,
  groupBy,
  overall,
  grouped,
  showFromError,
}: {
  range: TimeRange;
  granularity: Granularity;
  groupBy: UsageDimension | null;
  overall: Loaded;
  grouped: Loaded;
  /** The API's error is shown beside the From field already. */
  showFromError: boolean;
}) {
  const times = useMemo(() => bucketStarts(range, granularity), [range.from.getTime(), range.to.getTime(), granularity]);
  if (overall.error) {
    return showFromError ? null : <ErrorBanner error={overall.error} title="The usage could not be loaded" onRetry={overall.reload} />;
  }
  // An answer for another granularity (the new one is on its way) has other buckets.
  if (!overall.data || overall.data.granularity !== granularity) return <Loading label="Loading usage…" />;
  const answer = overall.data;
  const totals = answer.totals;
  if (!totals.requests) {
    return (
      <EmptyState title="No requests in this range">
        Requests sent to this environment's resources show here a moment after they are answered. Pick a longer
        range, or send a request from the playground.
      </EmptyState>
    );
  }
  const rows = answer.rows;
  const series = (metric: UsageMetric, missing: 0 | null) => bucketSeries(rows, times, metric, missing);
  const hasCost = totals.estimatedCost !== null && totals.estimatedCost !== undefined;

  return (
    <div className="usage-results" aria-busy={overall.loading || undefined}>
      <section aria-label="Totals" className="stat-grid">
        <Stat label="Requests" value={formatCount(totals.requests)} />
        <Stat label="Errors" value={formatCount(totals.errors)} note={`${formatPercent(totals.errorRate)} of requests`} />
        <Stat label="Tokens in" value={formatCount(totals.promptTokens)} note="prompt" />
        <Stat label="Tokens out" value={formatCount(totals.completionTokens)} note="completion" />
        <Stat label="Latency p50" value={formatMs(totals.latencyP50)} />
        <Stat label="Latency p95" value={formatMs(totals.latencyP95)} />
        <Stat label="Latency p99" value={formatMs(totals.latencyP99)} />
        <Stat label="Estimated cost" value={hasCost ? formatCost(totals.estimatedCost) : "—"} note={hasCost ? "USD" : "no prices known"} />
      </section>
      <div className="chart-grid">
        <TimeSeriesChart
          title="Requests and errors"
          times={times}
          step={granularity}
          area
          series={[
            { label: "Requests", values: series("requests", 0), color: "var(--chart-1)" },
            { label: "Errors", values: series("errors", 0), color: "var(--chart-error)" },
          ]}
        />
        <TimeSeriesChart
          title="Tokens"
          times={times}
          step={granularity}
          area
          series={[
            { label: "In (prompt)", values: series("promptTokens", 0), color: "var(--chart-3)" },
            { label: "Out (completion)", values: series("completionTokens", 0), color: "var(--chart-2)" },
          ]}
        />
        <TimeSeriesChart
          title="Latency percentiles"
          description="Provider latency; gaps where there were no requests."
          times={times}
          step={granularity}
          summary="peak"
          format={formatMs}
          axisFormat={(value) => formatMs(value).replace(" ", "")}
          series={[
            { label: "p50", values: series("latencyP50", null), color: "var(--chart-1)" },
            { label: "p95", values: series("latencyP95", null), color: "var(--chart-5)" },
            { label: "p99", values: series("latencyP99", null), color: "var(--chart-4)", dashed: true },
          ]}
        />
        {hasCost ? (
          <TimeSeriesChart
            title="Estimated cost"
            description="USD, from the price tables."
            times={times}
            step={granularity}
            area
            format={formatCost}
            axisFormat={formatCost}
            series={[{ label: "Cost", values: series("estimatedCost", 0), color: "var(--chart-6)" }]}
          />
        ) : null}
      </div>
      {groupBy ? <GroupedUsage dimension={groupBy} times={times} granularity={granularity} loaded={grouped} /> : null}
    </div>
  );
}

function Stat({ label, value, note }: { label: string; value: string; note?: string }) {
  return (
    <div className="stat" role="group" aria-label={label}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
      {note ? <div className="stat-note">{note}</div> : null}
    </div>
  );
}

function GroupedUsage({
  dimension,
  times,
  granularity,
  loaded,
}: {
  dimension: UsageDimension;
  times: Date[];
  granularity: Granularity;
  loaded: Loaded;
}) {
  const name = DIMENSION_LABELS[dimension].toLowerCase();
  const heading = `By ${name}`;
  let body;
  if (loaded.error) body = <ErrorBanner error={loaded.error} onRetry={loaded.reload} />;
  else if (!loaded.data) body = <Loading label={`Loading usage by ${name}…`} />;
  else {
    const rows = loaded.data.rows;
    const totals = groupTotals(rows, dimension);
    const columns: Column<GroupTotals>[] = [
      { key: "label", header: DIMENSION_LABELS[dimension], render: (row) => row.label },
      { key: "requests", header: "Requests", align: "right", render: (row) => formatCount(row.requests) },
      { key: "errors", header: "Errors", align: "right", render: (row) => formatCount(row.errors) },
      {
        key: "errorRate",
        header: "Error rate",
        align: "right",
        wide: true,
        render: (row) => formatPercent(row.requests ? row.errors / row.requests : null),
      },
      { key: "in", header: "Tokens in", align: "right", render: (row) => formatCount(row.promptTokens) },
      { key: "out", header: "Tokens out", align: "right", render: (row) => formatCount(row.completionTokens) },
      { key: "cost", header: "Est. cost", align: "right", wide: true, render: (row) => formatCost(row.estimatedCost) },
    ];
    body = (
      <>
        <div className="chart-grid">
          <TimeSeriesChart
            title={`Requests by ${name}`}
            description={totals.length > 5 ? "The five busiest; the rest as Other." : undefined}
            times={times}
            step={granularity}
            series={groupSeries(rows, times, dimension, "requests")}
          />
          <BarChart
            title={`Tokens by ${name}`}
            description="In and out, over the whole range."
            valueLabel="Tokens"
            bars={totals.slice(0, 12).map((row) => ({ label: row.label, value: row.promptTokens + row.completionTokens }))}
          />
        </div>
        <DataTable
          caption={`Usage by ${name}`}
          columns={columns}
          rows={totals}
          rowKey={(row) => row.label}
        />
      </>
    );
  }
  return (
    <section className="usage-groups" aria-labelledby="usage-groups-title">
      <h2 id="usage-groups-title">{heading}</h2>
      {body}
    </section>
  );
}
