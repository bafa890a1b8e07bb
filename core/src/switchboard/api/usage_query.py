"""Usage aggregation over request records: time buckets, groups, metrics, percentiles.

One definition, two implementations that give the same numbers:

- **PostgreSQL** aggregates in SQL, in one scan: ``date_trunc(unit, created_at, 'UTC')``
  buckets, ``GROUPING SETS ((bucket, groups...), ())`` for the rows and the totals at once,
  ``percentile_cont(ARRAY[...]) WITHIN GROUP (ORDER BY ...)`` for the percentiles (one sort
  per group for all of them).
- **SQLite** (the embedded default, small by nature) streams the matching rows and
  aggregates them in Python: SQLite has no percentile or grouping-set functions, and one
  pass in Python keeps memory to one accumulator per group plus the latencies that
  percentiles need.

Definitions (both implementations):

- buckets are aligned in UTC: minute, hour, day, week (starting Monday 00:00) and month
  (the 1st, 00:00); a record counts in the bucket that holds its ``created_at``;
- an error is a record with status >= 400 (rejections and failures included);
- averages and percentiles skip records without the value (a rejected request has no
  provider latency, a non-streamed one no time to first token);
- a percentile is PostgreSQL's ``percentile_cont``: over the n sorted values ``v``,
  ``h = p * (n - 1)``, the answer is ``v[floor(h)] + (h - floor(h)) * (v[floor(h) + 1] -
  v[floor(h)])`` (linear interpolation between the two nearest ranks);
- ``estimatedCost`` sums the records that have a cost; null when none has one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from sqlalchemy import ColumnElement, Float, func, literal_column, select, text, tuple_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from switchboard.api.record_filters import ERROR_STATUS
from switchboard.db.models import RequestRecord

__all__ = [
    "DIMENSION_COLUMNS",
    "LATENCY_PERCENTILES",
    "MAX_RANGE",
    "MAX_ROWS",
    "TTFT_PERCENTILES",
    "Aggregate",
    "Dimension",
    "Granularity",
    "Metric",
    "TooManyRows",
    "UsageGroupRow",
    "UsageSpec",
    "bucket_start",
    "percentile_cont",
    "run_usage",
]

Granularity = Literal["minute", "hour", "day", "week", "month"]
Dimension = Literal["resource", "provider", "model", "connection", "apiKey", "status", "errorClass"]
Metric = Literal[
    "requests",
    "errors",
    "errorRate",
    "promptTokens",
    "completionTokens",
    "cachedTokens",
    "totalTokens",
    "latencyAvg",
    "latencyP50",
    "latencyP95",
    "latencyP99",
    "timeToFirstTokenAvg",
    "timeToFirstTokenP50",
    "timeToFirstTokenP95",
    "gatewayLatencyAvg",
    "estimatedCost",
]

MAX_RANGE: Final[dict[str, timedelta]] = {
    "minute": timedelta(days=1),
    "hour": timedelta(days=31),
    "day": timedelta(days=366),
    "week": timedelta(weeks=262),
    "month": timedelta(days=3660),
}
"""The longest range each granularity answers (about 1,440, 744, 366, 262 and 120 buckets)."""

MAX_ROWS: Final = 50_000
"""The most rows (bucket x group) one answer may hold; more is a 400, not a huge body."""

LATENCY_PERCENTILES: Final[dict[str, float]] = {
    "latencyP50": 0.5,
    "latencyP95": 0.95,
    "latencyP99": 0.99,
}
TTFT_PERCENTILES: Final[dict[str, float]] = {
    "timeToFirstTokenP50": 0.5,
    "timeToFirstTokenP95": 0.95,
}

_R = RequestRecord
DIMENSION_COLUMNS: Final[dict[str, tuple[InstrumentedAttribute[Any], ...]]] = {
    "resource": (_R.resource_id, _R.resource_name),
    "provider": (_R.provider,),
    "model": (_R.model,),
    "connection": (_R.connection_id, _R.connection_name),
    "apiKey": (_R.api_key_id, _R.api_key_name),
    "status": (_R.status_code,),
    "errorClass": (_R.error_class,),
}
"""The columns each group-by dimension groups on: objects by id and recorded name (a renamed
object shows once per name it had), the rest by value."""


class TooManyRows(Exception):
    """The answer would hold more than :data:`MAX_ROWS` rows."""


@dataclass(frozen=True)
class UsageSpec:
    """One usage question, validated: records of ``environment_id`` in ``[start, end)``."""

    environment_id: str
    start: datetime
    end: datetime
    granularity: Granularity
    group_by: tuple[Dimension, ...]
    metrics: frozenset[str]
    conditions: tuple[ColumnElement[bool], ...] = ()

    @property
    def group_columns(self) -> list[InstrumentedAttribute[Any]]:
        return [column for d in self.group_by for column in DIMENSION_COLUMNS[d]]

    @property
    def latency_percentiles(self) -> list[tuple[str, float]]:
        """The latency percentiles asked for: ``(metric, fraction)``."""
        return [(m, p) for m, p in LATENCY_PERCENTILES.items() if m in self.metrics]

    @property
    def ttft_percentiles(self) -> list[tuple[str, float]]:
        """The time-to-first-token percentiles asked for: ``(metric, fraction)``."""
        return [(m, p) for m, p in TTFT_PERCENTILES.items() if m in self.metrics]


@dataclass
class Aggregate:
    """The measures of one group (or of the whole range), before they become metrics."""

    requests: int = 0
    errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    latency_avg: float | None = None
    ttft_avg: float | None = None
    gateway_latency_avg: float | None = None
    estimated_cost: float | None = None
    percentiles: dict[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class UsageGroupRow:
    """One bucket of one group: the group's column values in :data:`DIMENSION_COLUMNS`
    order (flattened), and its aggregate."""

    bucket: datetime
    values: tuple[Any, ...]
    aggregate: Aggregate


def bucket_start(moment: datetime, granularity: Granularity) -> datetime:
    """The start of the UTC bucket holding ``moment``."""
    moment = moment.astimezone(UTC)
    if granularity == "minute":
        return moment.replace(second=0, microsecond=0)
    if granularity == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if granularity == "day":
        return day
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def percentile_cont(ordered: Sequence[float], fraction: float) -> float | None:
    """PostgreSQL's ``percentile_cont(fraction)`` over ``ordered`` (sorted ascending).

    Written as PostgreSQL computes it (``first + (second - first) * proportion``) so both
    databases give the same float.
    """
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    first = ordered[lower]
    if lower + 1 >= len(ordered) or position == lower:
        return first
    return first + (ordered[lower + 1] - first) * (position - lower)


async def run_usage(
    session: AsyncSession, spec: UsageSpec
) -> tuple[list[UsageGroupRow], Aggregate]:
    """The rows (sorted by bucket, then group values, nulls first) and the range's totals.

    Raises :class:`TooManyRows` when there would be more than :data:`MAX_ROWS` rows.
    """
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        rows, totals = await _run_in_sql(session, spec)
    else:
        rows, totals = await _run_in_python(session, spec)
    rows.sort(key=lambda row: (row.bucket, tuple(_sortable(v) for v in row.values)))
    return rows, totals


def _sortable(value: Any) -> tuple[int, Any]:
    return (0, 0) if value is None else (1, value)


def _where(spec: UsageSpec) -> list[ColumnElement[bool]]:
    return [
        _R.environment_id == spec.environment_id,
        _R.created_at >= spec.start,
        _R.created_at < spec.end,
        *spec.conditions,
    ]


# -- PostgreSQL: one statement ------------------------------------------------------------


def _percentiles(column: Any, wanted: list[tuple[str, float]]) -> Any:
    # Literal fractions (they come from the fixed tables above), typed so asyncpg returns a
    # list of floats.
    fractions = ", ".join(repr(fraction) for _, fraction in wanted)
    array: ColumnElement[Any] = literal_column(f"ARRAY[{fractions}]::float8[]")
    return func.percentile_cont(array).within_group(column.asc()).cast(ARRAY(Float))


async def _run_in_sql(
    session: AsyncSession, spec: UsageSpec
) -> tuple[list[UsageGroupRow], Aggregate]:
    # The unit and zone are literals: the same expression appears in SELECT and GROUP BY,
    # and PostgreSQL matches them only if they are not separate bound parameters.
    unit: ColumnElement[str] = literal_column(f"'{spec.granularity}'")
    bucket = func.date_trunc(unit, _R.created_at, literal_column("'UTC'"))
    groups = spec.group_columns
    measures: list[Any] = [
        func.count(),
        func.count().filter(_R.status_code >= ERROR_STATUS),
        func.coalesce(func.sum(_R.prompt_tokens), 0),
        func.coalesce(func.sum(_R.completion_tokens), 0),
        func.coalesce(func.sum(_R.cached_tokens), 0),
        func.avg(_R.total_latency_ms),
        func.avg(_R.time_to_first_token_ms),
        func.avg(_R.gateway_latency_ms),
        func.sum(_R.estimated_cost),
    ]
    percentile_sets = [
        (column, wanted)
        for column, wanted in (
            (_R.total_latency_ms, spec.latency_percentiles),
            (_R.time_to_first_token_ms, spec.ttft_percentiles),
        )
        if wanted
    ]
    measures.extend(_percentiles(column, wanted) for column, wanted in percentile_sets)
    is_total = func.grouping(bucket)
    statement = (
        select(is_total, bucket, *groups, *measures)
        .where(*_where(spec))
        .group_by(func.grouping_sets(tuple_(bucket, *groups), tuple_()))
        # The totals row first, then at most MAX_ROWS + 1 rows: enough to know there are
        # too many without fetching them all.
        .order_by(is_total.desc())
        .limit(MAX_ROWS + 2)
    )
    # JIT compiling this one-off analytic statement costs PostgreSQL up to a second at
    # millions of rows (measured in bench/usage_query.py) and buys nothing back.
    await session.execute(text("SET LOCAL jit = off"))
    result = (await session.execute(statement)).all()
    totals = Aggregate()
    rows: list[UsageGroupRow] = []
    width = len(groups)
    for record in result:
        values = tuple(record[2 : 2 + width])
        measured = list(record[2 + width :])
        aggregate = Aggregate(
            requests=int(measured[0]),
            errors=int(measured[1]),
            prompt_tokens=int(measured[2]),
            completion_tokens=int(measured[3]),
            cached_tokens=int(measured[4]),
            latency_avg=_float(measured[5]),
            ttft_avg=_float(measured[6]),
            gateway_latency_avg=_float(measured[7]),
            estimated_cost=_float(measured[8]),
        )
        for (_, wanted), answers in zip(percentile_sets, measured[9:], strict=True):
            # NULL when the group has no value to rank.
            ranked: Sequence[Any] = answers if answers is not None else [None] * len(wanted)
            aggregate.percentiles.update(
                (name, _float(value)) for (name, _), value in zip(wanted, ranked, strict=True)
            )
        if record[0]:
            totals = aggregate
        else:
            rows.append(UsageGroupRow(record[1].astimezone(UTC), values, aggregate))
    if len(rows) > MAX_ROWS:
        raise TooManyRows
    return rows, totals


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


# -- SQLite: one pass in Python ----------------------------------------------------------


class _Accumulator:
    """The running measures of one group."""

    __slots__ = (
        "cached",
        "completion",
        "cost_n",
        "cost_sum",
        "errors",
        "gateway_n",
        "gateway_sum",
        "latencies",
        "latency_n",
        "latency_sum",
        "prompt",
        "requests",
        "ttft_n",
        "ttft_sum",
        "ttfts",
    )

    def __init__(self) -> None:
        self.requests = self.errors = self.prompt = self.completion = self.cached = 0
        self.latency_sum = self.ttft_sum = self.gateway_sum = self.cost_sum = 0.0
        self.latency_n = self.ttft_n = self.gateway_n = self.cost_n = 0
        self.latencies: list[float] = []
        self.ttfts: list[float] = []

    def add(self, measures: Sequence[Any], keep_latencies: bool, keep_ttfts: bool) -> None:
        status, prompt, completion, cached, latency, ttft, gateway, cost = measures
        self.requests += 1
        self.errors += status >= ERROR_STATUS
        self.prompt += prompt or 0
        self.completion += completion or 0
        self.cached += cached or 0
        if latency is not None:
            self.latency_sum += latency
            self.latency_n += 1
            if keep_latencies:
                self.latencies.append(latency)
        if ttft is not None:
            self.ttft_sum += ttft
            self.ttft_n += 1
            if keep_ttfts:
                self.ttfts.append(ttft)
        if gateway is not None:
            self.gateway_sum += gateway
            self.gateway_n += 1
        if cost is not None:
            self.cost_sum += cost
            self.cost_n += 1

    def result(self, spec: UsageSpec) -> Aggregate:
        aggregate = Aggregate(
            requests=self.requests,
            errors=self.errors,
            prompt_tokens=self.prompt,
            completion_tokens=self.completion,
            cached_tokens=self.cached,
            latency_avg=self.latency_sum / self.latency_n if self.latency_n else None,
            ttft_avg=self.ttft_sum / self.ttft_n if self.ttft_n else None,
            gateway_latency_avg=self.gateway_sum / self.gateway_n if self.gateway_n else None,
            estimated_cost=self.cost_sum if self.cost_n else None,
        )
        for wanted, values in (
            (spec.latency_percentiles, self.latencies),
            (spec.ttft_percentiles, self.ttfts),
        ):
            ordered = sorted(values)
            for name, fraction in wanted:
                aggregate.percentiles[name] = percentile_cont(ordered, fraction)
        return aggregate


_MEASURE_COLUMNS = (
    _R.status_code,
    _R.prompt_tokens,
    _R.completion_tokens,
    _R.cached_tokens,
    _R.total_latency_ms,
    _R.time_to_first_token_ms,
    _R.gateway_latency_ms,
    _R.estimated_cost,
)


async def _run_in_python(
    session: AsyncSession, spec: UsageSpec
) -> tuple[list[UsageGroupRow], Aggregate]:
    groups = spec.group_columns
    width = len(groups)
    keep_latencies = bool(spec.latency_percentiles)
    keep_ttfts = bool(spec.ttft_percentiles)
    statement = select(_R.created_at, *groups, *_MEASURE_COLUMNS).where(*_where(spec))
    accumulators: dict[tuple[Any, ...], _Accumulator] = {}
    total = _Accumulator()
    result = await session.stream(statement.execution_options(yield_per=2_000))
    async for partition in result.partitions():
        for record in partition:
            key = (bucket_start(record[0], spec.granularity), *record[1 : 1 + width])
            accumulator = accumulators.get(key)
            if accumulator is None:
                if len(accumulators) >= MAX_ROWS:
                    await result.close()
                    raise TooManyRows
                accumulator = accumulators[key] = _Accumulator()
            measures = record[1 + width :]
            accumulator.add(measures, keep_latencies, keep_ttfts)
            total.add(measures, keep_latencies, keep_ttfts)
    rows = [
        UsageGroupRow(key[0], tuple(key[1:]), accumulator.result(spec))
        for key, accumulator in accumulators.items()
    ]
    return rows, total.result(spec)
