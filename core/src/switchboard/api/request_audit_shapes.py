"""How the request audit shows a request record: a summary in lists, everything in the
detail and the JSONL export, flat columns in the CSV export."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

import msgspec

from switchboard.api.record_filters import RecordRef
from switchboard.api.shapes import ApiShape
from switchboard.db.models import RequestRecord
from switchboard.records import AttemptRecord

__all__ = [
    "CSV_COLUMNS",
    "AttemptOut",
    "RecordDetail",
    "RecordPage",
    "RecordSummary",
    "csv_row",
    "detail",
    "summary",
]


class AttemptOut(ApiShape):
    """One provider attempt: which model through which connection, how it went, and its
    timings (ms; ``startedMs`` counts from the request's arrival)."""

    provider: str
    model: str
    connection: RecordRef
    outcome: str
    status: int | None
    error_class: str | None
    error_message: str | None
    latency_ms: float
    started_ms: float
    capacity_ms: float


class RecordSummary(ApiShape):
    """A request as lists show it (no attempts, routing events or payload)."""

    id: str
    request_id: str
    created_at: datetime
    correlation_id: str | None
    trace_id: str | None
    endpoint: str | None
    stream: bool
    resource: RecordRef
    api_key: RecordRef
    connection: RecordRef
    provider: str | None
    model: str | None
    route: str | None
    status: int
    error_class: str | None
    error_message: str | None
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    total_tokens: int
    latency_ms: float | None
    gateway_latency_ms: float | None
    time_to_first_token_ms: float | None
    estimated_cost: float | None
    attempt_count: int


class RecordDetail(RecordSummary):
    """Everything recorded about one request: the summary's fields, where it ran, every
    attempt in order, how the route was chosen, and the payload when the environment
    captures it (``metadata`` or ``full``; null otherwise)."""

    workspace: RecordRef
    environment: RecordRef
    queue_wait_ms: float | None
    tokens_per_second: float | None
    client_ip: str | None
    user_agent: str | None
    attempts: list[AttemptOut]
    routing_events: list[str]
    payload: dict[str, Any] | None


class RecordPage(ApiShape):
    """One page of records, newest first. ``nextCursor`` fetches the next (older) page;
    null on the last page."""

    items: list[RecordSummary]
    limit: int
    next_cursor: str | None


def _ref(record_id: str | None, name: str | None) -> RecordRef:
    return RecordRef(id=record_id, name=name)


def _attempt(raw: Any) -> AttemptOut:
    attempt = msgspec.convert(raw, AttemptRecord)
    return AttemptOut(
        provider=attempt.provider,
        model=attempt.model,
        connection=_ref(attempt.connection_id, attempt.connection_name),
        outcome=attempt.outcome,
        status=attempt.status,
        error_class=attempt.error_class,
        error_message=attempt.error_message,
        latency_ms=attempt.latency_ms,
        started_ms=attempt.started_ms,
        capacity_ms=attempt.capacity_ms,
    )


def _summary_fields(record: RequestRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "request_id": record.request_id,
        "created_at": record.created_at,
        "correlation_id": record.correlation_id,
        "trace_id": record.trace_id,
        "endpoint": record.endpoint,
        "stream": record.stream,
        "resource": _ref(record.resource_id, record.resource_name),
        "api_key": _ref(record.api_key_id, record.api_key_name),
        "connection": _ref(record.connection_id, record.connection_name),
        "provider": record.provider,
        "model": record.model,
        "route": record.route,
        "status": record.status_code,
        "error_class": record.error_class,
        "error_message": record.error_message,
        "prompt_tokens": record.prompt_tokens,
        "completion_tokens": record.completion_tokens,
        "cached_tokens": record.cached_tokens,
        "total_tokens": record.prompt_tokens + record.completion_tokens,
        "latency_ms": record.total_latency_ms,
        "gateway_latency_ms": record.gateway_latency_ms,
        "time_to_first_token_ms": record.time_to_first_token_ms,
        "estimated_cost": record.estimated_cost,
        "attempt_count": len(record.attempts or []),
    }


def summary(record: RequestRecord) -> RecordSummary:
    """``record`` as lists show it."""
    return RecordSummary(**_summary_fields(record))


def detail(record: RequestRecord) -> RecordDetail:
    """``record`` with its attempts, routing events and payload."""
    return RecordDetail(
        **_summary_fields(record),
        workspace=_ref(record.workspace_id, record.workspace_name),
        environment=_ref(record.environment_id, record.environment_name),
        queue_wait_ms=record.queue_wait_ms,
        tokens_per_second=record.tokens_per_second,
        client_ip=record.client_ip,
        user_agent=record.user_agent,
        attempts=[_attempt(a) for a in record.attempts or []],
        # Events are strings; anything else a future recorder stores is shown as JSON.
        routing_events=[
            e if isinstance(e, str) else msgspec.json.encode(e).decode()
            for e in record.routing_events or []
        ],
        payload=record.payload,
    )


CSV_COLUMNS: Final = (
    "requestId",
    "createdAt",
    "correlationId",
    "traceId",
    "endpoint",
    "stream",
    "resourceId",
    "resourceName",
    "apiKeyId",
    "apiKeyName",
    "connectionId",
    "connectionName",
    "provider",
    "model",
    "route",
    "status",
    "errorClass",
    "errorMessage",
    "promptTokens",
    "completionTokens",
    "cachedTokens",
    "totalTokens",
    "latencyMs",
    "gatewayLatencyMs",
    "queueWaitMs",
    "timeToFirstTokenMs",
    "tokensPerSecond",
    "estimatedCost",
    "clientIp",
    "userAgent",
    "attempts",
    "routingEvents",
)
"""The CSV export's header: one column per scalar field; ``attempts`` and ``routingEvents``
hold the detail's JSON arrays."""

_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str | None) -> str:
    """A caller-controlled text cell, defused for spreadsheets (OWASP CSV injection): a
    leading ``'`` keeps ``=cmd|...`` from being read as a formula."""
    if value is None:
        return ""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _number(value: float | int | None) -> str:
    return "" if value is None else str(value)


def csv_row(record: RequestRecord) -> list[str]:
    """``record`` as one CSV line, in :data:`CSV_COLUMNS` order."""
    full = detail(record)
    attempts = msgspec.json.encode(full.attempts).decode()
    events = msgspec.json.encode(full.routing_events).decode()
    return [
        record.request_id,
        record.created_at.isoformat(),
        _text(record.correlation_id),
        _text(record.trace_id),
        _text(record.endpoint),
        "true" if record.stream else "false",
        _text(record.resource_id),
        _text(record.resource_name),
        _text(record.api_key_id),
        _text(record.api_key_name),
        _text(record.connection_id),
        _text(record.connection_name),
        _text(record.provider),
        _text(record.model),
        _text(record.route),
        str(record.status_code),
        _text(record.error_class),
        _text(record.error_message),
        str(record.prompt_tokens),
        str(record.completion_tokens),
        str(record.cached_tokens),
        str(record.prompt_tokens + record.completion_tokens),
        _number(record.total_latency_ms),
        _number(record.gateway_latency_ms),
        _number(record.queue_wait_ms),
        _number(record.time_to_first_token_ms),
        _number(record.tokens_per_second),
        _number(record.estimated_cost),
        _text(record.client_ip),
        _text(record.user_agent),
        _text(attempts),
        _text(events),
    ]
