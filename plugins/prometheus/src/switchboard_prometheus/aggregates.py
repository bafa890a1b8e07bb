"""One process's counts, in plain dicts keyed by label values.

:meth:`Aggregates.add` runs on the request path for every finished record, so it does
nothing but dictionary arithmetic on the event loop's thread: no locks (nothing else
writes), no ``prometheus_client`` objects (those are built at scrape time from these dicts),
and a histogram observation is one :func:`bisect.bisect_left` over fixed bounds.

Aggregates travel between worker processes as msgpack (:meth:`Aggregates.encode`,
:meth:`Aggregates.decode`) and add up with :meth:`Aggregates.merge`.
"""

from __future__ import annotations

from bisect import bisect_left

import msgspec

from switchboard.records import AttemptRecord, RequestRecord
from switchboard_prometheus.catalog import (
    COUNTERS,
    FIRST_TOKEN_BUCKETS,
    HISTOGRAMS,
    OVERHEAD_BUCKETS,
    QUEUE_BUCKETS,
    REQUEST_BUCKETS,
    LabelValues,
)

__all__ = ["FORMAT", "Aggregates", "Snapshot", "error_class_of"]

FORMAT = 1
"""The snapshot format; a worker ignores snapshots of another format."""

Counts = dict[LabelValues, float]
Histograms = dict[LabelValues, list[float]]
"""Per series: the count of each bucket (not cumulative; the last one is +Inf), then the sum."""

_BOUNDS: dict[str, tuple[float, ...]] = {spec.name: spec.buckets for spec in HISTOGRAMS}


class Snapshot(msgspec.Struct, frozen=True, kw_only=True):
    """Aggregates as written to disk for the other workers."""

    format: int
    counters: dict[str, Counts]
    histograms: dict[str, Histograms]


def error_class_of(record: RequestRecord) -> str | None:
    """The ``error_class`` label of a failed request, ``None`` for a successful one.

    The record's own class when the core set one; a 429 whose capacity ran out is
    ``capacity_exhausted``; any other rejection the core left unclassified is
    ``http_<status>`` (a bounded set: the gateway's own statuses).
    """
    status = record.status
    if record.error_class is not None:
        return record.error_class
    if status < 400:
        return None
    if status == 429 and _capacity_ran_out(record):
        return "capacity_exhausted"
    return f"http_{status}"


def _capacity_ran_out(record: RequestRecord) -> bool:
    """Whether the request ended because capacity ran out (its last attempt was refused)."""
    attempts = record.attempts
    return record.error_class == "capacity_exhausted" or (
        bool(attempts) and attempts[-1].outcome == "capacity_exhausted"
    )


def _moved_on(attempts: list[AttemptRecord]) -> bool:
    """Whether the answering (last) attempt went elsewhere than the first one.

    Compared by model and connection: a request that waited in line and then got the first
    model after all repeats that attempt in its record, and is no fallback.
    """
    first, last = attempts[0], attempts[-1]
    return (first.provider, first.model, first.connection_id) != (
        last.provider,
        last.model,
        last.connection_id,
    )


def _resource_label(record: RequestRecord) -> str:
    # A resource that does not exist is recorded by the name the caller asked for; as a
    # label that would let callers mint series at will, so it counts as ''.
    if record.error_class == "model_not_found":
        return ""
    return record.resource_name or ""


def _count(table: Counts, key: LabelValues, amount: float = 1) -> None:
    table[key] = table.get(key, 0) + amount


def _observe(table: Histograms, bounds: tuple[float, ...], key: LabelValues, value: float) -> None:
    entry = table.get(key)
    if entry is None:
        entry = table[key] = [0.0] * (len(bounds) + 2)
    # bisect_left: a value equal to a bound belongs to that bound's bucket (le = "<=").
    entry[bisect_left(bounds, value)] += 1
    entry[-1] += value


class Aggregates:
    """Counters and histograms of request records, keyed by label values.

    ``counters`` and ``histograms`` map each metric's name (see
    :mod:`switchboard_prometheus.catalog`) to its series. ``changes`` counts the records
    added, so a publisher can tell whether there is anything new to publish.
    """

    __slots__ = (
        "_attempts",
        "_cost",
        "_duration",
        "_errors",
        "_fallbacks",
        "_first_token",
        "_overhead",
        "_queue",
        "_rejections",
        "_requests",
        "_tokens",
        "changes",
        "counters",
        "histograms",
    )

    def __init__(self) -> None:
        self.counters: dict[str, Counts] = {spec.name: {} for spec in COUNTERS}
        self.histograms: dict[str, Histograms] = {spec.name: {} for spec in HISTOGRAMS}
        self.changes = 0
        # The hot path reads each table through an attribute, not a lookup by name.
        counters, histograms = self.counters, self.histograms
        self._requests = counters["requests_total"]
        self._errors = counters["errors_total"]
        self._tokens = counters["tokens_total"]
        self._rejections = counters["capacity_rejections_total"]
        self._fallbacks = counters["fallbacks_total"]
        self._attempts = counters["provider_attempts_total"]
        self._cost = counters["estimated_cost_usd_total"]
        self._duration = histograms["request_duration_seconds"]
        self._overhead = histograms["gateway_overhead_seconds"]
        self._first_token = histograms["time_to_first_token_seconds"]
        self._queue = histograms["queue_wait_seconds"]

    def add(self, record: RequestRecord) -> None:
        """Count one finished request record (names that are ``None`` count as '')."""
        scope = (
            record.workspace_name or "",
            record.environment_name or "",
            _resource_label(record),
        )
        endpoint = record.endpoint or ""
        base = (
            *scope,
            record.provider or "",
            record.model or "",
            record.connection_name or "",
            endpoint,
        )
        _count(self._requests, (*base, str(record.status)))
        error_class = error_class_of(record)
        if error_class is not None:
            _count(self._errors, (*base, error_class))
            if record.status == 429 and _capacity_ran_out(record):
                _count(self._rejections, (*base, "request"))
        if record.prompt_tokens:
            _count(self._tokens, (*base, "prompt"), record.prompt_tokens)
        if record.completion_tokens:
            _count(self._tokens, (*base, "completion"), record.completion_tokens)
        if record.cached_tokens:
            _count(self._tokens, (*base, "cached"), record.cached_tokens)
        if record.estimated_cost is not None:
            _count(self._cost, base, record.estimated_cost)
        _observe(self._duration, REQUEST_BUCKETS, base, record.latency_ms / 1000)
        _observe(self._overhead, OVERHEAD_BUCKETS, base, record.gateway_latency_ms / 1000)
        first_token_ms = record.time_to_first_token_ms
        if first_token_ms is not None:
            _observe(self._first_token, FIRST_TOKEN_BUCKETS, base, first_token_ms / 1000)
        if record.queue_wait_ms > 0:
            _observe(self._queue, QUEUE_BUCKETS, base, record.queue_wait_ms / 1000)
        attempts = record.attempts
        for attempt in attempts:
            target = (
                *scope,
                attempt.provider,
                attempt.model,
                attempt.connection_name or "",
                endpoint,
            )
            outcome = attempt.outcome
            _count(self._attempts, (*target, outcome))
            if outcome == "capacity_exhausted":
                _count(self._rejections, (*target, "attempt"))
        if len(attempts) > 1 and attempts[-1].outcome == "ok" and _moved_on(attempts):
            _count(self._fallbacks, base)
        self.changes += 1

    def merge(self, other: Aggregates) -> None:
        """Add ``other``'s counts to these."""
        for name, theirs in other.counters.items():
            ours = self.counters[name]
            for key, value in theirs.items():
                ours[key] = ours.get(key, 0) + value
        for name, their_series in other.histograms.items():
            our_series = self.histograms[name]
            for key, entry in their_series.items():
                mine = our_series.get(key)
                if mine is None:
                    our_series[key] = list(entry)
                else:
                    for index, value in enumerate(entry):
                        mine[index] += value
        self.changes += other.changes

    def encode(self) -> bytes:
        """These aggregates as msgpack (one C call: consistent, cheap on the event loop)."""
        return _ENCODER.encode(
            Snapshot(format=FORMAT, counters=self.counters, histograms=self.histograms)
        )

    @classmethod
    def decode(cls, data: bytes) -> Aggregates:
        """Aggregates from :meth:`encode`'s bytes.

        Metrics this version does not know, and histograms whose buckets differ, are left
        out: a worker restarted on an upgraded install must not corrupt the others' sums.

        :raises msgspec.DecodeError: not a snapshot (or one of another format).
        """
        snapshot = _DECODER.decode(data)
        if snapshot.format != FORMAT:
            raise msgspec.DecodeError(f"snapshot format {snapshot.format}, expected {FORMAT}")
        aggregates = cls()
        for name, series in snapshot.counters.items():
            if name in aggregates.counters:
                aggregates.counters[name].update(series)
        for name, entries in snapshot.histograms.items():
            bounds = _BOUNDS.get(name)
            if bounds is None:
                continue
            table = aggregates.histograms[name]
            for key, entry in entries.items():
                if len(entry) == len(bounds) + 2:
                    table[key] = entry
        return aggregates


_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(Snapshot)
