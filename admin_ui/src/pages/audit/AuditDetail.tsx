import type { ReactNode } from "react";
import { Link, useLocation, useParams } from "react-router-dom";
import { envPath, isApiError, seg } from "../../api/client";
import type { Attempt, RecordRef, RequestRecordDetail } from "../../api/types";
import { Button, DataTable, EmptyState, ErrorBanner, Loading, PageHeader, type Column } from "../../components";
import { useApi } from "../../hooks/useApi";
import { scopePath, useEnvironmentScope } from "../../layout/scope";
import { formatCost, formatCount, formatMs, formatTime } from "../usage/format";
import { StatusBadge } from "./StatusBadge";

/** One request: every recorded field, its attempts, its routing events and its payload. */
export function AuditDetail() {
  const scope = useEnvironmentScope();
  const { requestId = "" } = useParams();
  const location = useLocation();
  const back = (location.state as { back?: string } | null)?.back ?? "";
  const { data, error, loading, reload } = useApi<RequestRecordDetail>(
    envPath(scope.workspace, scope.environment, `/audit/${seg(requestId)}`),
  );
  const backLink = (
    <Link to={`${scopePath(scope, "audit")}${back}`} className="back-link">
      ← Audit log
    </Link>
  );

  let body: ReactNode;
  if (loading) body = <Loading label="Loading the request…" />;
  else if (isApiError(error, 404)) {
    body = (
      <EmptyState
        title="No such request"
        action={
          <Button size="small" onClick={reload}>
            Look again
          </Button>
        }
      >
        No request with id <code>{requestId}</code> was recorded in {scope.environment} (or it is older than the
        retention). A request that just ended is recorded within a few seconds.
      </EmptyState>
    );
  } else if (error || !data) body = <ErrorBanner error={error} title="The request could not be loaded" onRetry={reload} />;
  else body = <RecordView record={data} />;

  return (
    <section className="page audit-detail">
      {backLink}
      <PageHeader title="Request" description={<code className="mono-text break">{requestId}</code>} />
      {body}
    </section>
  );
}

const refName = (ref: RecordRef): string => ref.name ?? ref.id ?? "—";

function RecordView({ record }: { record: RequestRecordDetail }) {
  const fields: [string, ReactNode][] = [
    ["Status", <StatusBadge key="status" status={record.status} errorClass={record.errorClass} />],
    ["Time", formatTime(record.createdAt)],
    ["Resource", refName(record.resource)],
    ["Provider", record.provider ?? "—"],
    ["Model", record.model ?? "—"],
    ["Connection", refName(record.connection)],
    ["API key", refName(record.apiKey)],
    ["Route", record.route ?? "—"],
    ["Endpoint", record.endpoint ?? "—"],
    ["Streamed", record.stream ? "yes" : "no"],
    ["Tokens in", formatCount(record.promptTokens)],
    ["Tokens out", formatCount(record.completionTokens)],
    ["Cached tokens", formatCount(record.cachedTokens)],
    ["Total tokens", formatCount(record.totalTokens)],
    ["Latency", formatMs(record.latencyMs)],
    ["Gateway latency", formatMs(record.gatewayLatencyMs)],
    ["Time to first token", formatMs(record.timeToFirstTokenMs)],
    ["Queue wait", formatMs(record.queueWaitMs)],
    ["Tokens per second", record.tokensPerSecond === null ? "—" : record.tokensPerSecond.toFixed(1)],
    ["Estimated cost", formatCost(record.estimatedCost)],
    ["Correlation id", record.correlationId ?? "—"],
    ["Trace id", record.traceId ?? "—"],
    ["Client address", record.clientIp ?? "—"],
    ["User agent", record.userAgent ?? "—"],
    ["Workspace", refName(record.workspace)],
    ["Environment", refName(record.environment)],
    ["Record id", record.id],
  ];
  return (
    <>
      {record.errorMessage ? (
        <div className="banner banner-error" role="note">
          <div className="banner-body">
            <strong className="banner-title">{record.errorClass ?? "Error"}</strong>
            <span>{record.errorMessage}</span>
          </div>
        </div>
      ) : null}
      <section className="card" aria-labelledby="request-fields">
        <h2 id="request-fields">Details</h2>
        <dl className="details audit-fields">
          {fields.map(([label, value]) => (
            <div key={label} className="details-row">
              <dt>{label}</dt>
              <dd>{value}</dd>
            </div>
          ))}
        </dl>
      </section>
      <section className="card" aria-labelledby="request-attempts">
        <h2 id="request-attempts">Attempts</h2>
        <Attempts attempts={record.attempts} />
      </section>
      <section className="card" aria-labelledby="request-routing">
        <h2 id="request-routing">Routing events</h2>
        {record.routingEvents.length ? (
          <ol className="routing-events">
            {record.routingEvents.map((event, index) => (
              <li key={index}>
                <code>{event}</code>
              </li>
            ))}
          </ol>
        ) : (
          <p className="muted">No routing events: the resource's primary model was used as it is.</p>
        )}
      </section>
      <section className="card" aria-labelledby="request-payload">
        <h2 id="request-payload">Payload</h2>
        {record.payload ? (
          <pre className="json-view" tabIndex={0} aria-label="Payload as JSON">
            {JSON.stringify(record.payload, null, 2)}
          </pre>
        ) : (
          <p className="muted">
            Not captured: this environment records no payloads (its recording setting is off).
          </p>
        )}
      </section>
    </>
  );
}

function Attempts({ attempts }: { attempts: Attempt[] }) {
  if (!attempts.length) {
    return <p className="muted">No provider was called (the gateway answered by itself, e.g. a rejection).</p>;
  }
  const columns: Column<Attempt & { index: number }>[] = [
    { key: "index", header: "#", render: (row) => row.index + 1 },
    { key: "model", header: "Model", render: (row) => `${row.provider} / ${row.model}` },
    { key: "connection", header: "Connection", render: (row) => refName(row.connection) },
    { key: "outcome", header: "Outcome", render: (row) => <span className={`outcome outcome-${row.outcome}`}>{row.outcome}</span> },
    { key: "status", header: "Status", align: "right", render: (row) => row.status ?? "—" },
    { key: "latency", header: "Latency", align: "right", render: (row) => formatMs(row.latencyMs) },
    { key: "started", header: "Started at", align: "right", wide: true, render: (row) => `+${formatMs(row.startedMs)}` },
    { key: "capacity", header: "Capacity wait", align: "right", wide: true, render: (row) => formatMs(row.capacityMs) },
    {
      key: "error",
      header: "Error",
      render: (row) =>
        row.errorClass || row.errorMessage ? (
          <span>
            {row.errorClass ? <strong>{row.errorClass}</strong> : null}
            {row.errorClass && row.errorMessage ? ": " : null}
            {row.errorMessage}
          </span>
        ) : (
          "—"
        ),
    },
  ];
  return (
    <DataTable
      caption="Attempts, in order"
      columns={columns}
      rows={attempts.map((attempt, index) => ({ ...attempt, index }))}
      rowKey={(row) => String(row.index)}
    />
  );
}
