"""Traces of real requests through a real gateway and fake providers: the span tree, its
timings against the request record, the attributes, and how a caller's trace continues."""

from __future__ import annotations

import json
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from switchboard.records import AttemptRecord, RequestRecord
from switchboard.testing.records import KeptRecords
from tests.core.api.client import expect
from tests.core.dataplane.conftest import ENV, UPSTREAM_KEY, World
from tests.plugins.opentelemetry.conftest import enable_tracing
from tests.plugins.opentelemetry.support import Trace, offset_ms, trace_of

MAIN = {"provider": "openai", "model": "gpt-4o", "connection": "openai-main"}
BACKUP = {"provider": "openai", "model": "gpt-4o-mini", "connection": "openai-backup"}
CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
# What a provider's 401 echoes: a key as providers issue them (the gateway scrubs those).
ECHOED_KEY = "sk-proj-" + "Zx81Qa" * 8

# Spans keep times in ns; the record keeps ms to the microsecond.
NS = 1e-6


def close(a: float, b: float) -> bool:
    return abs(a - b) <= 0.001 + NS


def request_id(response: Any) -> str:
    rid: str = response.headers["x-request-id"]
    return rid


def present(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


def attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def assert_timed_like(trace: Trace, record: RequestRecord) -> None:
    """Every span sits where the record says it happened."""
    root = trace.root
    assert root.start_time is not None and root.end_time is not None
    created_ns = int(record.created_at.timestamp() * 1_000_000) * 1000
    assert abs(root.start_time - created_ns) < 1000
    assert close(offset_ms(root.end_time, root), record.latency_ms)
    (routing,) = trace.named("routing")
    assert close(offset_ms(routing.start_time, root), record.routing_started_ms)
    assert close(offset_ms(routing.end_time, root), record.routing_started_ms + record.routing_ms)
    calls = [s for s in trace.children if s.kind is SpanKind.CLIENT]
    called = [a for a in record.attempts if a.outcome in ("ok", "failed")]
    assert len(calls) == len(called)
    for span, attempt in zip(calls, called, strict=True):
        assert close(offset_ms(span.start_time, root), attempt.started_ms)
        assert close(offset_ms(span.end_time, root), attempt.started_ms + attempt.latency_ms)
    for span in trace.children:
        assert root.start_time <= (span.start_time or 0) <= (span.end_time or 0) <= root.end_time


def capacity_before_each_call(trace: Trace, attempts: list[AttemptRecord]) -> None:
    """Each call is preceded by its reservation, ending where the call starts."""
    for number, attempt in enumerate(attempts, start=1):
        (capacity,) = [
            s for s in trace.named("capacity") if attributes(s)["switchboard.attempt"] == number
        ]
        assert close(offset_ms(capacity.end_time, trace.root), attempt.started_ms)
        duration = ((capacity.end_time or 0) - (capacity.start_time or 0)) / 1_000_000
        assert close(duration, attempt.capacity_ms)


def test_a_plain_request_is_a_server_span_with_routing_capacity_and_the_provider_call(
    traced: World, exporter: InMemorySpanExporter, kept: KeptRecords
) -> None:
    answer = traced.chat(
        "chat", headers={"x-correlation-id": "order-42", "user-agent": "billing/1.0"}
    )
    assert answer.status_code == 200
    rid = request_id(answer)
    trace, record = trace_of(exporter, rid), kept.of(rid)
    root = trace.root
    assert root.name == "POST /v1/chat/completions" and root.kind is SpanKind.SERVER
    assert trace.names == ["routing", "capacity", "chat gpt-4o-mini"]
    assert_timed_like(trace, record)
    capacity_before_each_call(trace, record.attempts)
    # Without a traceparent the gateway started the trace: the one its record names.
    assert root.parent is None
    assert root.context is not None and f"{root.context.trace_id:032x}" == record.trace_id
    assert {s.context.trace_id for s in trace.children if s.context} == {root.context.trace_id}
    assert root.status.status_code is StatusCode.UNSET
    assert attributes(root) == {
        "http.request.method": "POST",
        "http.route": "/v1/chat/completions",
        "url.path": "/v1/chat/completions",
        "http.response.status_code": 200,
        "client.address": "127.0.0.1",
        "user_agent.original": "billing/1.0",
        "switchboard.request_id": rid,
        "switchboard.correlation_id": "order-42",
        "switchboard.workspace": "acme",
        "switchboard.environment": "prod",
        "switchboard.environment_id": record.environment_id,
        "switchboard.resource": "chat",
        "switchboard.api_key": "backend",
        "switchboard.endpoint": "chat/completions",
        "switchboard.stream": False,
        "switchboard.route": "primary",
        "switchboard.provider": "openai",
        "switchboard.model": "gpt-4o-mini",
        "switchboard.connection": "openai-main",
        "switchboard.attempts": 1,
        "switchboard.gateway_latency_ms": record.gateway_latency_ms,
        **present(
            {
                "switchboard.estimated_cost_usd": record.estimated_cost,
                "switchboard.tokens_per_second": record.tokens_per_second,
            }
        ),
    }
    (call,) = trace.named("chat gpt-4o-mini")
    assert call.kind is SpanKind.CLIENT and call.status.status_code is StatusCode.UNSET
    assert attributes(call) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.request.stream": False,
        "gen_ai.usage.input_tokens": 10,
        "gen_ai.usage.output_tokens": 5,
        "http.response.status_code": 200,
        "switchboard.attempt": 1,
        "switchboard.outcome": "ok",
        "switchboard.provider": "openai",
        "switchboard.connection": "openai-main",
        "switchboard.connection_id": record.attempts[0].connection_id,
    }
    (routing,) = trace.named("routing")
    assert routing.events == () and record.routing_events == []  # no rules to tell of


def test_routing_events_are_events_of_the_routing_span(
    traced: World, exporter: InMemorySpanExporter, kept: KeptRecords
) -> None:
    traced.resource(
        "routed",
        model=BACKUP,
        routing={
            "enabled": True,
            "conditions": [
                {
                    "description": "long prompts to gpt-4o",
                    "if": [{"field": "requestTokens", "operator": "greaterThan", "value": 1000}],
                    "then": MAIN,
                },
                {
                    "description": "short prompts to gpt-4o",
                    "if": [{"field": "requestTokens", "operator": "lessThan", "value": 1000}],
                    "then": MAIN,
                },
            ],
        },
    )
    traced.assign("backend", "chat", "routed")
    rid = request_id(traced.chat("routed"))
    trace, record = trace_of(exporter, rid), kept.of(rid)
    (routing,) = trace.named("routing")
    assert len(record.routing_events) == 2
    assert [e.name for e in routing.events] == record.routing_events
    assert attributes(routing) == {"switchboard.route": record.route}
    assert [s.name for s in trace.children if s.kind is SpanKind.CLIENT] == ["chat gpt-4o"]


def test_the_callers_traceparent_is_the_parent(
    traced: World, exporter: InMemorySpanExporter, kept: KeptRecords
) -> None:
    headers = {
        "traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01",
        "tracestate": "vendor=opaque",
    }
    rid = request_id(traced.chat("chat", headers=headers))
    trace, record = trace_of(exporter, rid), kept.of(rid)
    root = trace.root
    assert root.parent is not None and root.parent.is_remote
    assert f"{root.parent.trace_id:032x}" == CALLER_TRACE
    assert f"{root.parent.span_id:016x}" == CALLER_SPAN
    assert root.context is not None
    assert f"{root.context.trace_id:032x}" == CALLER_TRACE == record.trace_id
    assert root.context.trace_state.get("vendor") == "opaque"
    assert {s.context.trace_id for s in trace.all if s.context} == {root.context.trace_id}


def test_a_caller_that_does_not_sample_gets_no_spans(
    traced: World, exporter: InMemorySpanExporter
) -> None:
    unsampled = f"00-{CALLER_TRACE}-{CALLER_SPAN}-00"
    skipped = request_id(traced.chat("chat", headers={"traceparent": unsampled}))
    sampled = request_id(traced.chat("chat"))
    trace_of(exporter, sampled)  # built after the first one: that one had its chance
    assert not [
        s
        for s in exporter.get_finished_spans()
        if s.context and s.context.trace_id == int(CALLER_TRACE, 16)
    ]
    assert skipped not in {
        attributes(s).get("switchboard.request_id") for s in exporter.get_finished_spans()
    }


def test_a_stream_is_one_provider_span_from_the_call_to_its_last_chunk(
    traced: World, exporter: InMemorySpanExporter, kept: KeptRecords
) -> None:
    fake = traced.openai_fake
    fake.script(
        fake.stream(
            [
                fake.chunk({"role": "assistant", "content": "Hel"}),
                fake.chunk({"content": "lo"}),
                fake.chunk({}, finish_reason="stop"),
                fake.usage_chunk(7, 2),
            ]
        )
    )
    answer = traced.chat("chat", stream=True, stream_options={"include_usage": True})
    assert answer.status_code == 200 and "data: [DONE]" in answer.text
    rid = request_id(answer)
    trace, record = trace_of(exporter, rid), kept.of(rid)
    assert trace.names == ["routing", "capacity", "chat gpt-4o-mini"]
    assert_timed_like(trace, record)
    (call,) = trace.named("chat gpt-4o-mini")
    assert record.time_to_first_token_ms is not None
    (first,) = call.events
    assert first.name == "first token"
    assert close(
        offset_ms(first.timestamp, trace.root),
        record.attempts[0].started_ms + record.time_to_first_token_ms,
    )
    assert attributes(call)["gen_ai.request.stream"] is True
    assert attributes(call)["gen_ai.response.time_to_first_chunk"] == pytest.approx(
        record.time_to_first_token_ms / 1000
    )
    assert (
        attributes(call)["gen_ai.usage.input_tokens"],
        attributes(call)["gen_ai.usage.output_tokens"],
    ) == (7, 2)
    root = attributes(trace.root)
    assert root["switchboard.stream"] is True
    assert root["switchboard.time_to_first_token_ms"] == record.time_to_first_token_ms


def test_a_fallback_is_two_attempts_the_first_failed(
    traced: World, exporter: InMemorySpanExporter, kept: KeptRecords
) -> None:
    traced.resource("sturdy", model=MAIN, useFallback=True, fallbackModels=[BACKUP])
    traced.assign("backend", "chat", "sturdy")
    traced.openai_fake.script(traced.openai_fake.error(500, "internal trouble", "server_error"))
    answer = traced.chat("sturdy")
    assert answer.status_code == 200 and answer.headers["x-switchboard-attempts"] == "2"
    rid = request_id(answer)
    trace, record = trace_of(exporter, rid), kept.of(rid)
    assert trace.names == ["routing", "capacity", "chat gpt-4o", "capacity", "chat gpt-4o-mini"]
    assert_timed_like(trace, record)
    capacity_before_each_call(trace, record.attempts)
    failed, answered = (s for s in trace.children if s.kind is SpanKind.CLIENT)
    assert (failed.end_time or 0) <= (answered.start_time or 0)
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.status.description == record.attempts[0].error_message
    assert attributes(failed)["error.type"] == "server_error"
    assert attributes(failed)["http.response.status_code"] == 500
    assert attributes(failed)["switchboard.connection"] == "openai-main"
    assert "gen_ai.usage.input_tokens" not in attributes(failed)
    assert answered.status.status_code is StatusCode.UNSET
    assert attributes(answered)["switchboard.connection"] == "openai-backup"
    assert attributes(answered)["gen_ai.usage.output_tokens"] == 5
    assert trace.root.status.status_code is StatusCode.UNSET
    assert attributes(trace.root)["switchboard.attempts"] == 2


def test_a_request_every_model_failed_is_an_error(
    traced: World, exporter: InMemorySpanExporter, kept: KeptRecords
) -> None:
    traced.openai_fake.script(traced.openai_fake.error(503, "overloaded", "server_error"))
    answer = traced.chat("chat")
    assert answer.status_code == 503
    rid = request_id(answer)
    trace, record = trace_of(exporter, rid), kept.of(rid)
    root = trace.root
    assert root.status.status_code is StatusCode.ERROR
    assert root.status.description == record.error_message
    assert attributes(root)["error.type"] == "server_error"
    assert attributes(root)["http.response.status_code"] == 503
    (call,) = [s for s in trace.children if s.kind is SpanKind.CLIENT]
    assert call.status.status_code is StatusCode.ERROR


def test_a_capacity_refusal_is_a_failed_capacity_span_and_no_call(
    traced: World, exporter: InMemorySpanExporter, kept: KeptRecords
) -> None:
    expect(
        traced.admin.patch(
            f"{ENV}/connections/openai-main", {"capacity": [{"period": "minute", "requests": 1}]}
        ),
        200,
    )
    assert traced.chat("chat").status_code == 200
    refused = traced.chat("chat")
    assert refused.status_code == 429
    rid = request_id(refused)
    trace, record = trace_of(exporter, rid), kept.of(rid)
    assert trace.names == ["routing", "capacity"]
    (capacity,) = trace.named("capacity")
    (attempt,) = record.attempts
    assert attempt.outcome == "capacity_exhausted"
    assert capacity.status.status_code is StatusCode.ERROR
    assert capacity.status.description == attempt.error_message
    assert "allows 1 requests per minute" in (capacity.status.description or "")
    assert attributes(capacity) == {
        "switchboard.attempt": 1,
        "switchboard.provider": "openai",
        "switchboard.model": "gpt-4o-mini",
        "switchboard.connection": "openai-main",
        "switchboard.capacity.outcome": "exhausted",
        "error.type": "capacity_exhausted",
    }
    # Reserved right after routing, for as long as the record says.
    # The refusal's time is when its reservation was refused, after routing.
    assert attempt.started_ms >= record.routing_started_ms + record.routing_ms
    start = attempt.started_ms - attempt.capacity_ms
    assert close(offset_ms(capacity.start_time, trace.root), start)
    assert close(offset_ms(capacity.end_time, trace.root), attempt.started_ms)
    # A 429 is the caller's to handle: by HTTP's conventions the server span is no error.
    root = trace.root
    assert root.status.status_code is StatusCode.UNSET
    assert attributes(root)["http.response.status_code"] == 429
    assert attributes(root)["error.type"] == (record.error_class or "429")


def test_no_secret_and_no_prompt_goes_into_spans(
    traced: World, exporter: InMemorySpanExporter, kept: KeptRecords
) -> None:
    expect(traced.admin.patch(ENV, {"recording": {"payload": "full"}}), 200)
    prompt = "my secret prompt about payroll"
    plain = request_id(traced.chat("chat", prompt))
    traced.openai_fake.script(
        traced.openai_fake.error(
            401, f"Incorrect API key provided: {ECHOED_KEY}", "invalid_request_error"
        )
    )
    failed = request_id(traced.chat("chat", prompt))
    for rid in (plain, failed):
        assert kept.of(rid).payload is not None  # the record kept the prompt...
        exported = json.dumps([json.loads(s.to_json()) for s in trace_of(exporter, rid).all])
        assert prompt not in exported  # ...the spans do not
        assert (
            ECHOED_KEY not in exported
            and UPSTREAM_KEY not in exported
            and traced.key not in exported
        )
        assert "Bearer" not in exported


def test_payloads_go_into_spans_only_where_an_environment_asks(
    world: World, exporter: InMemorySpanExporter, kept: KeptRecords
) -> None:
    enable_tracing(world, includePayloads=True)
    expect(world.admin.patch(ENV, {"recording": {"payload": "full"}}), 200)
    rid = request_id(world.chat("chat", "a prompt worth keeping"))
    trace, record = trace_of(exporter, rid), kept.of(rid)
    events = {e.name: e for e in trace.root.events}
    assert set(events) == {"switchboard.payload.request", "switchboard.payload.response"}
    request = json.loads(
        str((events["switchboard.payload.request"].attributes or {})["switchboard.payload"])
    )
    assert request == record.payload["request"] if record.payload else False
    assert "a prompt worth keeping" in json.dumps(request)
    assert events["switchboard.payload.response"].timestamp == trace.root.end_time


def test_environments_opt_in_and_sample_by_ratio(
    world: World, exporter: InMemorySpanExporter, kept: KeptRecords
) -> None:
    untraced = request_id(world.chat("chat"))
    enable_tracing(world, sampleRatio=0.0)
    unsampled = request_id(world.chat("chat"))
    # A caller that samples its trace still gets it: its decision is the trace's.
    continued = request_id(
        world.chat("chat", headers={"traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"})
    )
    trace_of(exporter, continued)
    enable_tracing(world)
    traced = request_id(world.chat("chat"))
    trace_of(exporter, traced)
    assert kept.of(untraced).status == kept.of(unsampled).status == 200
    exported = {attributes(s).get("switchboard.request_id") for s in exporter.get_finished_spans()}
    assert untraced not in exported and unsampled not in exported
