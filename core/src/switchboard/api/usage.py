"""``POST .../environments/{env}/usage/query``: an environment's usage over time.

The answer is computed from the request records (see :mod:`switchboard.api.usage_query`
for the exact definitions of buckets, errors, averages and percentiles): one row per time
bucket and group that has at least one request (buckets without requests are left out),
and ``totals`` over the whole range (percentiles there are over every record of the range,
not averages of the buckets'). Records older than the retention
(``SWITCHBOARD_RECORD_RETENTION_DAYS``) are gone, and so is their usage.

Querying needs ``completion-usage:query`` on the environment
(``workspace:<ws>:environment:<env>``); the read-only role has it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

import msgspec
from litestar import Controller, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from switchboard.api.deps import CallerDep, Db
from switchboard.api.lookup import environment_resource, find_scope
from switchboard.api.record_filters import RecordFilters, RecordRef, as_utc, record_conditions
from switchboard.api.shapes import ApiShape
from switchboard.api.usage_query import (
    MAX_RANGE,
    MAX_ROWS,
    Aggregate,
    Dimension,
    Granularity,
    Metric,
    TooManyRows,
    UsageGroupRow,
    UsageSpec,
    run_usage,
)
from switchboard.errors import BadRequest

__all__ = [
    "DEFAULT_METRICS",
    "UsageAnswer",
    "UsageController",
    "UsageGroup",
    "UsageMetrics",
    "UsageQuery",
    "UsageRow",
]

USAGE_ACTION: Final = "completion-usage:query"

DEFAULT_METRICS: Final[tuple[Metric, ...]] = (
    "requests",
    "errors",
    "errorRate",
    "promptTokens",
    "completionTokens",
    "totalTokens",
    "latencyAvg",
    "estimatedCost",
)
"""The metrics answered when the query names none (percentiles cost a sort: ask for them)."""

_UNSET: Any = msgspec.UNSET


class UsageQuery(ApiShape):
    """What to measure: records with ``from <= createdAt < to``, bucketed by
    ``granularity`` (UTC; weeks start on Monday), grouped by ``groupBy``.

    ``to`` defaults to now. A range may span at most 1 day by minute, 31 days by hour,
    366 days by day, 262 weeks by week and 3,660 days by month. Times without an offset
    are UTC.
    """

    from_: datetime = msgspec.field(name="from")
    to: datetime | None = None
    granularity: Granularity = "day"
    group_by: list[Dimension] = []
    metrics: list[Metric] = msgspec.field(default_factory=lambda: list(DEFAULT_METRICS))
    filters: RecordFilters | None = None


class UsageGroup(ApiShape):
    """The group of a row: one field per ``groupBy`` dimension, the others absent."""

    resource: RecordRef | msgspec.UnsetType = _UNSET
    provider: str | msgspec.UnsetType | None = _UNSET
    model: str | msgspec.UnsetType | None = _UNSET
    connection: RecordRef | msgspec.UnsetType = _UNSET
    api_key: RecordRef | msgspec.UnsetType = _UNSET
    status: int | msgspec.UnsetType = _UNSET
    error_class: str | msgspec.UnsetType | None = _UNSET


class UsageMetrics(ApiShape):
    """The metrics asked for (the others absent). Latencies are milliseconds, costs USD;
    averages and percentiles are null when no record in the group has the value."""

    requests: int | msgspec.UnsetType = _UNSET
    errors: int | msgspec.UnsetType = _UNSET
    error_rate: float | msgspec.UnsetType | None = _UNSET
    prompt_tokens: int | msgspec.UnsetType = _UNSET
    completion_tokens: int | msgspec.UnsetType = _UNSET
    cached_tokens: int | msgspec.UnsetType = _UNSET
    total_tokens: int | msgspec.UnsetType = _UNSET
    latency_avg: float | msgspec.UnsetType | None = _UNSET
    latency_p50: float | msgspec.UnsetType | None = _UNSET
    latency_p95: float | msgspec.UnsetType | None = _UNSET
    latency_p99: float | msgspec.UnsetType | None = _UNSET
    time_to_first_token_avg: float | msgspec.UnsetType | None = _UNSET
    time_to_first_token_p50: float | msgspec.UnsetType | None = _UNSET
    time_to_first_token_p95: float | msgspec.UnsetType | None = _UNSET
    gateway_latency_avg: float | msgspec.UnsetType | None = _UNSET
    estimated_cost: float | msgspec.UnsetType | None = _UNSET


class UsageRow(ApiShape):
    """One time bucket (its UTC start) of one group."""

    bucket: datetime
    group: UsageGroup
    metrics: UsageMetrics


class UsageAnswer(ApiShape):
    """The rows (by bucket, then group; nulls first) and the totals over the whole range,
    with the question as understood (``to`` filled in, times in UTC)."""

    from_: datetime = msgspec.field(name="from")
    to: datetime
    granularity: Granularity
    group_by: list[Dimension]
    metrics: list[Metric]
    rows: list[UsageRow]
    totals: UsageMetrics


def _ms(value: float | None) -> float | None:
    # Microsecond precision: both databases then print the same number whatever order
    # they summed in.
    return None if value is None else round(value, 3)


def _metrics(aggregate: Aggregate, wanted: list[Metric]) -> UsageMetrics:
    requests = aggregate.requests
    values: dict[str, Any] = {
        "requests": requests,
        "errors": aggregate.errors,
        "errorRate": aggregate.errors / requests if requests else None,
        "promptTokens": aggregate.prompt_tokens,
        "completionTokens": aggregate.completion_tokens,
        "cachedTokens": aggregate.cached_tokens,
        "totalTokens": aggregate.prompt_tokens + aggregate.completion_tokens,
        "latencyAvg": _ms(aggregate.latency_avg),
        "timeToFirstTokenAvg": _ms(aggregate.ttft_avg),
        "gatewayLatencyAvg": _ms(aggregate.gateway_latency_avg),
        "estimatedCost": (
            None if aggregate.estimated_cost is None else round(aggregate.estimated_cost, 10)
        ),
        **{name: _ms(value) for name, value in aggregate.percentiles.items()},
    }
    return msgspec.convert({name: values[name] for name in wanted}, UsageMetrics)


def _group(group_by: list[Dimension], values: tuple[Any, ...]) -> UsageGroup:
    shown: dict[str, Any] = {}
    position = 0
    for dimension in group_by:
        if dimension in ("resource", "connection", "apiKey"):
            shown[dimension] = RecordRef(id=values[position], name=values[position + 1])
            position += 2
        else:
            shown[dimension] = values[position]
            position += 1
    return UsageGroup(
        resource=shown.get("resource", _UNSET),
        provider=shown.get("provider", _UNSET),
        model=shown.get("model", _UNSET),
        connection=shown.get("connection", _UNSET),
        api_key=shown.get("apiKey", _UNSET),
        status=shown.get("status", _UNSET),
        error_class=shown.get("errorClass", _UNSET),
    )


def _validated_range(query: UsageQuery) -> tuple[datetime, datetime]:
    start = as_utc(query.from_)
    end = as_utc(query.to) or datetime.now(UTC)
    assert start is not None
    if start >= end:
        raise BadRequest(
            f"from ({start.isoformat()}) must be before to ({end.isoformat()})", param="from"
        )
    longest = MAX_RANGE[query.granularity]
    if end - start > longest:
        raise BadRequest(
            f"from: by {query.granularity}, a range spans at most {longest.days} days (this "
            f"one spans {(end - start).days}); narrow it or use a coarser granularity",
            param="from",
        )
    return start, end


def _row(row: UsageGroupRow, query: UsageQuery) -> UsageRow:
    return UsageRow(
        bucket=row.bucket,
        group=_group(query.group_by, row.values),
        metrics=_metrics(row.aggregate, query.metrics),
    )


class UsageController(Controller):
    """Usage of one environment, from its request records."""

    path = "/workspaces/{workspace_key:str}/environments/{environment_key:str}/usage"
    tags = ["usage"]

    @post("/query", status_code=HTTP_200_OK)
    async def query_usage(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        data: JSONBody[UsageQuery],
        caller: CallerDep,
        db: Db,
    ) -> UsageAnswer:
        """Requests, errors, tokens, latency and cost per time bucket and group
        (``completion-usage:query`` on the environment).

        Example body: ``{"from": "2026-01-05T00:00:00Z", "to": "2026-01-06T00:00:00Z",
        "granularity": "hour", "groupBy": ["resource"], "metrics": ["requests",
        "latencyP95"], "filters": {"status": ["5xx"]}}``. Filters: ``resource``,
        ``connection`` and ``apiKey`` take ids or names; ``status`` codes or classes
        (``4xx``); also ``provider``, ``model``, ``errorClass``. A 400 names the field at
        fault: a range too long for the granularity, ``from`` not before ``to``, a
        repeated ``groupBy`` dimension, no metrics, or more than 50,000 rows.
        """
        workspace, environment = await find_scope(db, workspace_key, environment_key)
        await caller.require(USAGE_ACTION, environment_resource(workspace, environment))
        start, end = _validated_range(data)
        if len(set(data.group_by)) != len(data.group_by):
            raise BadRequest("groupBy: a dimension is named twice", param="groupBy")
        if not data.metrics:
            raise BadRequest("metrics: name at least one metric", param="metrics")
        conditions = record_conditions(data.filters or RecordFilters(), prefix="filters.")
        spec = UsageSpec(
            environment_id=environment.id,
            start=start,
            end=end,
            granularity=data.granularity,
            group_by=tuple(data.group_by),
            metrics=frozenset(data.metrics),
            conditions=tuple(conditions),
        )
        try:
            rows, totals = await run_usage(db, spec)
        except TooManyRows:
            raise BadRequest(
                f"groupBy: the answer would hold more than {MAX_ROWS:,} rows (bucket x "
                "group); use fewer dimensions, a coarser granularity or a shorter range",
                param="groupBy",
            ) from None
        return UsageAnswer(
            from_=start,
            to=end,
            granularity=data.granularity,
            group_by=data.group_by,
            metrics=list(dict.fromkeys(data.metrics)),
            rows=[_row(row, data) for row in rows],
            totals=_metrics(totals, data.metrics),
        )
