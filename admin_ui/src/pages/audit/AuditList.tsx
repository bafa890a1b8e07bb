import { useCallback, useEffect, useState, type FormEvent } from "react";
import { Link, useLocation, useSearchParams } from "react-router-dom";
import { api, apiUrl, envPath, seg, type Query } from "../../api/client";
import type { RequestRecordPage, RequestRecordSummary } from "../../api/types";
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
import { scopePath, useEnvironmentScope, type Scope } from "../../layout/scope";
import { Can } from "../../permissions/Permissions";
import { environmentResource } from "../../permissions/resources";
import { formatCost, formatCount, formatMs, formatShortTime, formatTime } from "../usage/format";
import {
  activeFilterCount,
  AUDIT_RANGES,
  filtersFromParams,
  filtersToParams,
  filtersToQuery,
  NO_FILTERS,
  TEXT_FILTERS,
  type AuditFilters,
  type AuditRange,
} from "./filters";
import { StatusBadge } from "./StatusBadge";

const PAGE_SIZE = 50;

/** The request records, newest first, filtered by the URL's query. */
export function AuditList() {
  const scope = useEnvironmentScope();
  const [params, setParams] = useSearchParams();
  const applied = filtersFromParams(params);
  const [round, setRound] = useState(0);
  const [query, setQuery] = useState<Query | null>(null);
  const records = useRecordPages(scope, query);

  // A relative range ("last hour") ends when the list is (re)loaded; "Load more" keeps it.
  const paramsKey = params.toString();
  useEffect(() => {
    setQuery(filtersToQuery(filtersFromParams(new URLSearchParams(paramsKey)), new Date()));
  }, [paramsKey, round]);

  const apply = (filters: AuditFilters) => setParams(filtersToParams(filters));
  const exportQuery = query ?? {};
  const exportPath = envPath(scope.workspace, scope.environment, "/audit/export");
  const filtered = activeFilterCount(applied) > 0;

  return (
    <section className="page audit-page">
      <PageHeader
        title="Audit log"
        description={
          <>
            Every request <strong>{scope.environment}</strong> answered, newest first, with its attempts and routing
            events. Times are UTC.
          </>
        }
        actions={
          <>
            <Button onClick={() => setRound((n) => n + 1)}>Refresh</Button>
            <Can
              action="completion-audit:export"
              resource={environmentResource(scope.workspace, scope.environment)}
            >
              <a className="btn btn-secondary" href={apiUrl(exportPath, { ...exportQuery, format: "csv" })} download>
                Export CSV
              </a>
              <a className="btn btn-secondary" href={apiUrl(exportPath, { ...exportQuery, format: "jsonl" })} download>
                Export JSONL
              </a>
            </Can>
          </>
        }
      />
      <FilterForm key={paramsKey} applied={applied} error={records.error} onApply={apply} />
      <RecordList scope={scope} records={records} filtered={filtered} onClear={() => apply(NO_FILTERS)} />
    </section>
  );
}

interface RecordPages {
  items: RequestRecordSummary[];
  nextCursor: string | null;
  loading: boolean;
  loadingMore: boolean;
  error: unknown;
  loadMore: () => void;
  retry: () => void;
}

/** The pages of `query` loaded so far; a new query starts again from the newest. */
function useRecordPages(scope: Scope, query: Query | null): RecordPages {
  const path = envPath(scope.workspace, scope.environment, "/audit");
  const [items, setItems] = useState<RequestRecordSummary[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (query === null) return;
    const controller = new AbortController();
    setLoading(true);
    setError(null);
    api
      .get<RequestRecordPage>(path, { query: { ...query, limit: PAGE_SIZE }, signal: controller.signal })
      .then((page) => {
        setItems(page.items);
        setNextCursor(page.nextCursor);
        setLoading(false);
      })
      .catch((caught: unknown) => {
        if (controller.signal.aborted) return;
        setItems([]);
        setNextCursor(null);
        setError(caught);
        setLoading(false);
      });
    return () => controller.abort();
  }, [path, JSON.stringify(query), attempt]);

  const loadMore = useCallback(() => {
    if (!nextCursor || query === null) return;
    setLoadingMore(true);
    api
      .get<RequestRecordPage>(path, { query: { ...query, limit: PAGE_SIZE, cursor: nextCursor } })
      .then((page) => {
        setItems((shown) => [...shown, ...page.items]);
        setNextCursor(page.nextCursor);
      })
      .catch((caught: unknown) => setError(caught))
      .finally(() => setLoadingMore(false));
  }, [path, query, nextCursor]);

  return { items, nextCursor, loading, loadingMore, error, loadMore, retry: () => setAttempt((n) => n + 1) };
}

/** The filters being edited; applied (to the URL) on submit. The list's error shows beside
 * the filter it names (a malformed status, a time). */
function FilterForm({
  applied,
  error,
  onApply,
}: {
  applied: AuditFilters;
  error: unknown;
  onApply: (filters: AuditFilters) => void;
}) {
  const [draft, setDraft] = useState(applied);
  const set = (name: keyof AuditFilters, value: string) => setDraft((current) => ({ ...current, [name]: value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply(draft);
  };
  const count = activeFilterCount(applied);
  // Open where there is room, or when filters are applied; a narrow screen starts with the list.
  const [open, setOpen] = useState(() => count > 0 || window.matchMedia("(min-width: 801px)").matches);
  return (
    <details className="card audit-filters" open={open} onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary className="audit-filters-summary">
        Filters{count > 0 ? ` (${count} applied)` : ""}
      </summary>
      <form aria-label="Filters" onSubmit={submit}>
        <div className="audit-filter-grid">
          <SelectField
            label="Time range"
            value={draft.range}
            options={AUDIT_RANGES}
            onChange={(event) => set("range", event.target.value as AuditRange)}
          />
          {draft.range === "custom" ? (
            <>
              <TextField
                label="From (UTC)"
                type="datetime-local"
                value={draft.from}
                error={fieldError(error, "from")}
                onChange={(event) => set("from", event.target.value)}
              />
              <TextField
                label="To (UTC)"
                type="datetime-local"
                value={draft.to}
                error={fieldError(error, "to")}
                onChange={(event) => set("to", event.target.value)}
              />
            </>
          ) : null}
          {TEXT_FILTERS.map((filter) => (
            <TextField
              key={filter.name}
              label={filter.label}
              placeholder={filter.hint}
              value={draft[filter.name]}
              error={fieldError(error, filter.name)}
              onChange={(event) => set(filter.name, event.target.value)}
            />
          ))}
        </div>
        <div className="form-actions">
          <Button type="submit" variant="primary">
            Apply filters
          </Button>
          {count > 0 ? (
            <Button variant="ghost" onClick={() => onApply(NO_FILTERS)}>
              Clear filters ({count})
            </Button>
          ) : null}
        </div>
      </form>
    </details>
  );
}

function RecordList({
  scope,
  records,
  filtered,
  onClear,
}: {
  scope: Scope;
  records: RecordPages;
  filtered: boolean;
  onClear: () => void;
}) {
  const { search } = useLocation();
  if (records.loading) return <Loading label="Loading requests…" />;
  const fieldNames = ["from", "to", ...TEXT_FILTERS.map((f) => f.name)];
  if (records.error && records.items.length === 0) {
    // An error about one filter is shown beside it; anything else here.
    const concernsFilter = fieldNames.some((name) => fieldError(records.error, name));
    return concernsFilter ? null : (
      <ErrorBanner error={records.error} title="The requests could not be loaded" onRetry={records.retry} />
    );
  }
  if (records.items.length === 0) {
    return filtered ? (
      <EmptyState title="No requests match these filters" action={<Button onClick={onClear}>Clear filters</Button>} />
    ) : (
      <EmptyState title="No requests yet">
        Requests sent to this environment's resources show here a moment after they are answered.
      </EmptyState>
    );
  }
  const detailPath = (row: RequestRecordSummary) => scopePath(scope, "audit", `/${seg(row.requestId)}`);
  const columns: Column<RequestRecordSummary>[] = [
    {
      key: "time",
      header: "Time (UTC)",
      render: (row) => (
        <time dateTime={row.createdAt} className="no-wrap" title={formatTime(row.createdAt)}>
          {formatShortTime(row.createdAt)}
        </time>
      ),
    },
    {
      key: "request",
      header: "Request",
      render: (row) => (
        <Link
          to={detailPath(row)}
          state={{ back: search }}
          className="mono-text no-wrap"
          aria-label={`Request ${row.requestId}`}
          title={row.requestId}
        >
          {shortId(row.requestId)}
        </Link>
      ),
    },
    { key: "resource", header: "Resource", render: (row) => row.resource.name ?? row.resource.id ?? "—" },
    {
      key: "model",
      header: "Model",
      render: (row) => (
        <span className="no-wrap" title={row.provider ?? undefined}>
          {row.model ?? "—"}
        </span>
      ),
    },
    { key: "status", header: "Status", render: (row) => <StatusBadge status={row.status} errorClass={row.errorClass} /> },
    { key: "latency", header: "Latency", align: "right", render: (row) => formatMs(row.latencyMs) },
    { key: "tokens", header: "Tokens", align: "right", render: (row) => formatCount(row.totalTokens) },
    { key: "cost", header: "Cost", align: "right", wide: true, render: (row) => formatCost(row.estimatedCost) },
  ];
  return (
    <>
      <DataTable caption="Requests, newest first" columns={columns} rows={records.items} rowKey={(row) => row.id} />
      {records.error ? <ErrorBanner error={records.error} title="More requests could not be loaded" /> : null}
      <div className="audit-footer">
        <span className="muted" role="status">
          {records.items.length === 1 ? "1 request" : `${records.items.length} requests`} shown
          {records.nextCursor ? "; older ones follow" : ""}
        </span>
        {records.nextCursor ? (
          <Button onClick={records.loadMore} busy={records.loadingMore}>
            Load more
          </Button>
        ) : null}
      </div>
    </>
  );
}

/** Request ids are long; the list shows their end (the part that differs). */
function shortId(requestId: string): string {
  return requestId.length > 16 ? `…${requestId.slice(-12)}` : requestId;
}

