"""A finished request record as a tree of spans, timed as the record measured it.

The spans are made after the request, so tracing adds nothing to the request path: every
start and end time comes from the record (``created_at`` plus the offsets it keeps, in ms)::

    POST /v1/chat/completions            SERVER   [0, latency_ms]
    ├── routing                          INTERNAL [routing_started_ms, + routing_ms]
    ├── queue                            INTERNAL (only when the request waited for capacity)
    ├── capacity                         INTERNAL [started_ms - capacity_ms, started_ms]
    ├── chat gpt-4o                      CLIENT   [started_ms, started_ms + latency_ms]
    ├── capacity                         ... one pair per attempt (fallbacks) ...
    └── chat gpt-4o-mini                 CLIENT

An attempt refused for capacity never called its provider: it has a capacity span only,
ending when it was refused (its ``started_ms``; a record without one places it after
whatever came before it, routing or the previous attempt, which is where the pipeline
reserves). Attributes follow the OpenTelemetry HTTP and GenAI semantic conventions
(``http.*``, ``gen_ai.*``, ``error.type``) plus ``switchboard.*`` for the gateway's own
names. Nothing secret goes in: key names, never keys; payloads only when an environment
asks for them (``includePayloads``), and then as its ``recording`` kept and redacted them.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import msgspec
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue

from switchboard.records import AttemptRecord, RequestRecord
from switchboard_opentelemetry.ids import RecordTraceIds, parse_trace_id

__all__ = ["build_trace", "caller_context", "keeps"]

Attributes = dict[str, AttributeValue]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_PROPAGATOR = TraceContextTextMapPropagator()
_LOW_64_BITS = (1 << 64) - 1

# gen_ai.provider.name has well-known values; where ours differ, the convention's name wins.
_GEN_AI_PROVIDERS = {"gemini": "gcp.gemini", "bedrock": "aws.bedrock"}
# Attempts that reached the provider (``cancelled``: stopped because the client left).
_CALLED = frozenset({"ok", "failed", "cancelled"})


class _Clock:
    """Offsets in ms since the request arrived, as epoch nanoseconds."""

    def __init__(self, created_at: datetime) -> None:
        # Integer arithmetic: a float of epoch seconds loses the microseconds.
        self.base = (created_at - _EPOCH) // _MICROSECOND * 1000

    def at(self, ms: float) -> int:
        return self.base + round(ms * 1_000_000)


def caller_context(record: RequestRecord) -> Context | None:
    """The caller's span context from the record's ``traceparent``, or ``None`` if it sent
    no valid one (the gateway then started the trace under ``record.trace_id``)."""
    if record.traceparent is None:
        return None
    carrier = {"traceparent": record.traceparent}
    if record.tracestate is not None:
        carrier["tracestate"] = record.tracestate
    # Extract into an empty context: whatever span is current here is not the caller.
    context = _PROPAGATOR.extract(carrier, context=Context())
    if not trace.get_current_span(context).get_span_context().is_valid:
        return None
    return context


def keeps(trace_id: str | None, ratio: float) -> bool:
    """Whether a trace the gateway starts is kept at ``ratio``.

    The rule of OpenTelemetry's ``TraceIdRatioBased`` sampler (the low 64 bits of the trace
    id under ``ratio`` of their range), so services sampling by ratio keep the same traces.
    """
    if ratio >= 1.0:
        return True
    if ratio <= 0.0:
        return False
    value = parse_trace_id(trace_id)
    if value is None:
        return random.random() < ratio
    return (value & _LOW_64_BITS) < round(ratio * (_LOW_64_BITS + 1))


def build_trace(
    tracer: Tracer,
    ids: RecordTraceIds,
    record: RequestRecord,
    *,
    sample_ratio: float = 1.0,
    include_payloads: bool = False,
) -> bool:
    """Emit the spans of ``record`` through ``tracer``; ``False`` when it is not sampled.

    ``ids`` must be the id generator of ``tracer``'s provider: a trace the gateway started
    gets ``record.trace_id`` from it.
    """
    parent = caller_context(record)
    if parent is None and not keeps(record.trace_id, sample_ratio):
        return False
    clock = _Clock(record.created_at)
    ids.use(parse_trace_id(record.trace_id) if parent is None else None)
    try:
        root = tracer.start_span(
            _root_name(record),
            context=parent or Context(),
            kind=SpanKind.SERVER,
            attributes=_root_attributes(record),
            start_time=clock.at(0.0),
        )
    finally:
        ids.use(None)
    if not root.is_recording():  # the sampler said no (e.g. the caller's sampled flag)
        return False
    inside = trace.set_span_in_context(root, Context())
    _routing_span(tracer, inside, record, clock)
    _attempt_spans(tracer, inside, root, record, clock)
    if include_payloads and record.payload:
        _payload_events(root, record.payload, clock.at(0.0), clock.at(record.latency_ms))
    _root_status(root, record)
    root.end(end_time=clock.at(record.latency_ms))
    return True


# -- the root --------------------------------------------------------------------------------


def _route_template(record: RequestRecord) -> str:
    """``http.route``: the path with the VM-X form's workspace and environment as names."""
    endpoint = record.endpoint
    if endpoint is None or not record.path.endswith("/" + endpoint):
        return record.path
    prefix = record.path[: -len(endpoint)]
    if prefix.startswith("/v1/completion/"):
        return "/v1/completion/{workspace}/{environment}/" + endpoint
    return prefix + endpoint


def _root_name(record: RequestRecord) -> str:
    return f"POST {_route_template(record)}"


def _root_attributes(record: RequestRecord) -> Attributes:
    return _present(
        {
            "http.request.method": "POST",
            "http.route": _route_template(record),
            "url.path": record.path,
            "http.response.status_code": record.status,
            "client.address": record.client_ip,
            "user_agent.original": record.user_agent,
            "error.type": _error_type(record.error_class, record.status),
            "switchboard.request_id": record.request_id,
            "switchboard.correlation_id": record.correlation_id,
            "switchboard.workspace": record.workspace_name,
            "switchboard.environment": record.environment_name,
            "switchboard.environment_id": record.environment_id,
            "switchboard.resource": record.resource_name,
            "switchboard.api_key": record.api_key_name,
            "switchboard.endpoint": record.endpoint,
            "switchboard.stream": record.stream,
            "switchboard.route": record.route,
            "switchboard.provider": record.provider,
            "switchboard.model": record.model,
            "switchboard.connection": record.connection_name,
            "switchboard.attempts": len(record.attempts),
            "switchboard.gateway_latency_ms": record.gateway_latency_ms,
            "switchboard.queue_wait_ms": record.queue_wait_ms or None,
            "switchboard.time_to_first_token_ms": record.time_to_first_token_ms,
            "switchboard.tokens_per_second": record.tokens_per_second,
            "switchboard.estimated_cost_usd": record.estimated_cost,
        }
    )


def _root_status(root: Span, record: RequestRecord) -> None:
    # HTTP conventions: a server span is an error for a 5xx only (a 4xx is the caller's
    # problem); a stream that failed after its 200 went out failed all the same.
    failed_stream = record.status < 400 and record.error_class is not None
    if record.status >= 500 or failed_stream:
        root.set_status(Status(StatusCode.ERROR, record.error_message or record.error_class))


def _error_type(error_class: str | None, status: int | None) -> str | None:
    if error_class:
        return error_class
    return str(status) if status is not None and status >= 400 else None


# -- routing and attempts ----------------------------------------------------------------------


def _routing_span(tracer: Tracer, inside: Context, record: RequestRecord, clock: _Clock) -> None:
    if not (record.routing_ms or record.routing_started_ms or record.routing_events):
        return  # never routed: rejected before, or an endpoint without routing rules
    start = clock.at(record.routing_started_ms)
    span = tracer.start_span(
        "routing",
        context=inside,
        attributes=_present({"switchboard.route": record.route}),
        start_time=start,
    )
    for event in record.routing_events:
        span.add_event(event, timestamp=start)
    span.end(end_time=clock.at(record.routing_started_ms + record.routing_ms))


def _attempt_spans(
    tracer: Tracer, inside: Context, root: Span, record: RequestRecord, clock: _Clock
) -> None:
    # Where the next reservation starts when its record does not say: after routing, then
    # after each attempt (the pipeline reserves right before calling).
    cursor = record.routing_started_ms + record.routing_ms
    first_call: float | None = None
    for number, attempt in enumerate(record.attempts, start=1):
        if attempt.outcome in _CALLED:
            first_call = attempt.started_ms if first_call is None else first_call
            begins = attempt.started_ms - attempt.capacity_ms
            _capacity_span(tracer, inside, attempt, number, clock, begins)
            _call_span(tracer, inside, record, attempt, number, clock)
            cursor = attempt.started_ms + attempt.latency_ms
        elif attempt.outcome == "capacity_exhausted":
            # A refusal's started_ms is when it was refused; records from before it was
            # kept have 0 there.
            begins = attempt.started_ms - attempt.capacity_ms if attempt.started_ms else cursor
            _capacity_span(tracer, inside, attempt, number, clock, begins)
            cursor = begins + attempt.capacity_ms
        else:  # skipped: no connection could serve the model; nothing was timed
            root.add_event(
                "attempt skipped",
                _present(
                    {
                        "switchboard.attempt": number,
                        "switchboard.provider": attempt.provider,
                        "switchboard.model": attempt.model,
                        "switchboard.reason": attempt.error_message,
                    }
                ),
                timestamp=clock.at(cursor),
            )
    if record.queue_wait_ms > 0:
        ends = first_call if first_call is not None else cursor
        start = max(ends - record.queue_wait_ms, 0.0)
        span = tracer.start_span("queue", context=inside, start_time=clock.at(start))
        span.set_attribute("switchboard.queue_wait_ms", record.queue_wait_ms)
        span.end(end_time=clock.at(ends))


def _capacity_span(
    tracer: Tracer,
    inside: Context,
    attempt: AttemptRecord,
    number: int,
    clock: _Clock,
    begins: float,
) -> None:
    refused = attempt.outcome == "capacity_exhausted"
    span = tracer.start_span(
        "capacity",
        context=inside,
        attributes=_present(
            {
                "switchboard.attempt": number,
                "switchboard.provider": attempt.provider,
                "switchboard.model": attempt.model,
                "switchboard.connection": attempt.connection_name,
                "switchboard.capacity.outcome": "exhausted" if refused else "reserved",
                "error.type": attempt.error_class if refused else None,
            }
        ),
        start_time=clock.at(begins),
    )
    if refused:
        span.set_status(Status(StatusCode.ERROR, attempt.error_message or "capacity exhausted"))
    span.end(end_time=clock.at(begins + attempt.capacity_ms))


def _call_span(
    tracer: Tracer,
    inside: Context,
    record: RequestRecord,
    attempt: AttemptRecord,
    number: int,
    clock: _Clock,
) -> None:
    operation = "embeddings" if record.endpoint == "embeddings" else "chat"
    provider = _GEN_AI_PROVIDERS.get(attempt.provider, attempt.provider)
    attributes = _present(
        {
            "gen_ai.operation.name": operation,
            "gen_ai.provider.name": provider,
            # The older name, which many tracing backends still read.
            "gen_ai.system": provider,
            "gen_ai.request.model": attempt.model,
            "gen_ai.request.stream": record.stream if operation == "chat" else None,
            "http.response.status_code": attempt.status,
            "switchboard.attempt": number,
            "switchboard.outcome": attempt.outcome,
            "switchboard.provider": attempt.provider,
            "switchboard.connection": attempt.connection_name,
            "switchboard.connection_id": attempt.connection_id,
        }
    )
    answered = attempt.outcome == "ok"
    if answered:
        attributes["gen_ai.usage.input_tokens"] = record.prompt_tokens
        attributes["gen_ai.usage.output_tokens"] = record.completion_tokens
        if record.cached_tokens:
            attributes["gen_ai.usage.cache_read.input_tokens"] = record.cached_tokens
        if record.time_to_first_token_ms is not None:
            attributes["gen_ai.response.time_to_first_chunk"] = record.time_to_first_token_ms / 1000
    else:
        attributes["error.type"] = attempt.error_class or "_OTHER"
    span = tracer.start_span(
        f"{operation} {attempt.model}",
        context=inside,
        kind=SpanKind.CLIENT,
        attributes=attributes,
        start_time=clock.at(attempt.started_ms),
    )
    if answered and record.time_to_first_token_ms is not None:
        span.add_event(
            "first token", timestamp=clock.at(attempt.started_ms + record.time_to_first_token_ms)
        )
    # A call the gateway stopped for a client who left did not fail: error.type says why.
    if not answered and attempt.outcome != "cancelled":
        span.set_status(Status(StatusCode.ERROR, attempt.error_message or attempt.error_class))
    span.end(end_time=clock.at(attempt.started_ms + attempt.latency_ms))


# -- payloads ----------------------------------------------------------------------------------


def _payload_events(root: Span, payload: Mapping[str, object], start: int, end: int) -> None:
    """One event per part of the payload (``request``, ``response``), as JSON."""
    for part, value in payload.items():
        try:
            text = msgspec.json.encode(value).decode()
        except (TypeError, msgspec.EncodeError):
            text = str(value)
        root.add_event(
            f"switchboard.payload.{part}",
            {"switchboard.payload": text},
            timestamp=end if part == "response" else start,
        )


def _present(attributes: Mapping[str, AttributeValue | None]) -> Attributes:
    """``attributes`` without the absent ones (OpenTelemetry refuses ``None`` values)."""
    return {name: value for name, value in attributes.items() if value is not None}
