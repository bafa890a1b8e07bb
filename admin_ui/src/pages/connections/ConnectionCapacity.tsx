// A connection's capacity as the limiter counts it now, and the limits its provider announced
// per model (discovered capacity): GET .../connections/{c}/capacity.

import type { ConnectionCapacityUsage, DimensionUsage, DiscoveredLimits, PeriodCapacity } from "../../api/types";
import { DataTable, ErrorBanner, Loading, Notice } from "../../components";
import { formatCount, relativeTime } from "./format";

function dimension(usage: DimensionUsage | null): string {
  if (!usage) return "—";
  if (usage.used === null) return `${formatCount(usage.limit)} (not counted)`;
  return `${formatCount(usage.used)} of ${formatCount(usage.limit)} used`;
}

function announced(limit?: number, remaining?: number, period?: string): string {
  if (limit === undefined) return "—";
  const left = remaining !== undefined ? `, ${formatCount(remaining)} left` : "";
  return `${formatCount(limit)} per ${period ?? "minute"}${left}`;
}

function PeriodsTable({ periods, caption }: { periods: PeriodCapacity[]; caption: string }) {
  return (
    <DataTable
      caption={caption}
      rows={periods}
      rowKey={(row) => row.period}
      columns={[
        { key: "period", header: "Period", render: (row) => `Per ${row.period}` },
        { key: "requests", header: "Requests", render: (row) => dimension(row.requests) },
        { key: "tokens", header: "Tokens", render: (row) => dimension(row.tokens) },
        {
          key: "reset",
          header: "Frees up in",
          wide: true,
          render: (row) => (row.resetSeconds === null ? "—" : `${Math.ceil(row.resetSeconds)} s`),
        },
      ]}
    />
  );
}

export function ConnectionCapacity({
  usage,
  error,
  loading,
  reload,
}: {
  usage: ConnectionCapacityUsage | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}) {
  return (
    <>
      <section className="card" aria-labelledby="connection-usage-title">
        <h2 id="connection-usage-title">Capacity in use</h2>
        {loading && !usage ? <Loading label="Reading capacity…" /> : null}
        {error ? <ErrorBanner error={error} title="The capacity cannot be read" onRetry={reload} /> : null}
        {usage ? (
          <>
            {usage.note ? <Notice tone="warning">{usage.note}</Notice> : null}
            {usage.periods.length === 0 ? (
              <p className="muted">No limits are set on this connection.</p>
            ) : (
              <PeriodsTable periods={usage.periods} caption="Capacity in use" />
            )}
          </>
        ) : null}
      </section>
      <section className="card" aria-labelledby="connection-discovered-title">
        <h2 id="connection-discovered-title">Discovered capacity</h2>
        <p className="muted">The rate limits the provider announced in its answers, per model.</p>
        {usage && usage.discovered.length === 0 ? (
          <p className="muted">Nothing announced yet: run a test or send a request through this connection.</p>
        ) : null}
        {usage && usage.discovered.length > 0 ? (
          <DataTable
            caption="Discovered capacity"
            rows={usage.discovered}
            rowKey={(row) => row.model}
            columns={[
              { key: "model", header: "Model", render: (row) => <code>{row.model}</code> },
              {
                key: "requests",
                header: "Requests",
                render: (row) => announcedRequests(row.announced),
              },
              { key: "tokens", header: "Tokens", render: (row) => announcedTokens(row.announced) },
              {
                key: "enforced",
                header: "Enforced",
                render: (row) => (row.enforced ? "Yes" : "No"),
              },
              { key: "updated", header: "Announced", wide: true, render: (row) => relativeTime(row.updatedAt, "—") },
            ]}
          />
        ) : null}
      </section>
    </>
  );
}

const announcedRequests = (limits: DiscoveredLimits) =>
  announced(limits.requestsLimit, limits.requestsRemaining, limits.requestsPeriod);
const announcedTokens = (limits: DiscoveredLimits) =>
  announced(limits.tokensLimit, limits.tokensRemaining, limits.tokensPeriod);
