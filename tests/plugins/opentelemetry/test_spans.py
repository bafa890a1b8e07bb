"""Records turned into spans without a gateway: the cases end-to-end tests cannot easily
reach (queues, skipped and refused attempts, the VM-X path, streams failing late), the
sampling rule, and the plugin's settings."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Decision, TraceIdRatioBased
from opentelemetry.trace import SpanKind, StatusCode

from switchboard.plugins import PluginHost, PluginSettingsError, resolve_selection
from switchboard.plugins.selection import EnvironmentPlugins
from switchboard.records import AttemptRecord, RequestRecord
from switchboard.settings import load_settings
from switchboard_opentelemetry import OpenTelemetryRecorder, OpenTelemetrySettings
from switchboard_opentelemetry.spans import keeps

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
CREATED_AT = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
CREATED_NS = 1772366400_123456_000  # CREATED_AT in ns since the epoch


@pytest.fixture
def host() -> PluginHost:
    host = PluginHost(load_settings({}, plugins="opentelemetry"))
    host.load_entry_points()
    return host


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def recorder(exporter: InMemorySpanExporter) -> OpenTelemetryRecorder:
    return OpenTelemetryRecorder(SimpleSpanProcessor(exporter))


def environment(host: PluginHost, **settings: Any) -> EnvironmentPlugins:
    return resolve_selection(host, {"opentelemetry": {"settings": settings}})


def make_record(**fields: Any) -> RequestRecord:
    values: dict[str, Any] = {
        "request_id": "req-1",
        "created_at": CREATED_AT,
        "path": "/v1/chat/completions",
        "endpoint": "chat/completions",
        "status": 200,
        "trace_id": TRACE_ID,
        "routing_started_ms": 1.0,
        "routing_ms": 0.5,
        "latency_ms": 50.0,
        **fields,
    }
    return RequestRecord(**values)


def attempt(outcome: str, **fields: Any) -> AttemptRecord:
    values: dict[str, Any] = {
        "provider": "openai",
        "model": "gpt-4o",
        "connection_id": "c1",
        "connection_name": "main",
        "outcome": outcome,
        **fields,
    }
    return AttemptRecord(**values)


def by_start(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return sorted(exporter.get_finished_spans(), key=lambda s: (s.start_time or 0, s.name))


def ms(span_time: int | None) -> float:
    """A span time as ms after the records' ``created_at``."""
    assert span_time is not None
    return round((span_time - CREATED_NS) / 1e6, 6)


def test_times_are_the_records_to_the_microsecond(
    host: PluginHost, recorder: OpenTelemetryRecorder, exporter: InMemorySpanExporter
) -> None:
    recorder.record(
        make_record(attempts=[attempt("ok", started_ms=2.25, capacity_ms=0.125, latency_ms=40.5)]),
        environment=environment(host),
    )
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert (
        ms(spans["POST /v1/chat/completions"].start_time),
        ms(spans["POST /v1/chat/completions"].end_time),
    ) == (0.0, 50.0)
    assert (ms(spans["routing"].start_time), ms(spans["routing"].end_time)) == (1.0, 1.5)
    assert (ms(spans["capacity"].start_time), ms(spans["capacity"].end_time)) == (2.125, 2.25)
    assert (ms(spans["chat gpt-4o"].start_time), ms(spans["chat gpt-4o"].end_time)) == (2.25, 42.75)


def test_refused_and_skipped_attempts_follow_what_came_before(
    host: PluginHost, recorder: OpenTelemetryRecorder, exporter: InMemorySpanExporter
) -> None:
    record = make_record(
        attempts=[
            attempt(
                "failed",
                status=500,
                error_class="server_error",
                error_message="down",
                started_ms=2.0,
                capacity_ms=0.5,
                latency_ms=10.0,
            ),
            attempt(
                "capacity_exhausted",
                model="gpt-4o-mini",
                connection_name="backup",
                status=429,
                error_class="capacity_exhausted",
                error_message="connection 'backup' allows 5 requests per minute",
                capacity_ms=0.25,
            ),
            attempt(
                "skipped",
                provider="anthropic",
                model="claude",
                connection_id=None,
                connection_name=None,
                error_message="no connection allows this model",
            ),
        ],
        status=502,
        error_class="server_error",
        error_message="every model in the chain failed",
    )
    recorder.record(record, environment=environment(host))
    spans = by_start(exporter)
    assert [(s.name, ms(s.start_time), ms(s.end_time)) for s in spans] == [
        ("POST /v1/chat/completions", 0.0, 50.0),
        ("routing", 1.0, 1.5),
        ("capacity", 1.5, 2.0),
        ("chat gpt-4o", 2.0, 12.0),
        ("capacity", 12.0, 12.25),
    ]
    root, refused = spans[0], spans[-1]
    assert refused.status.status_code is StatusCode.ERROR
    assert (refused.attributes or {})["switchboard.connection"] == "backup"
    (skipped,) = root.events
    assert skipped.name == "attempt skipped" and ms(skipped.timestamp) == 12.25
    assert dict(skipped.attributes or {}) == {
        "switchboard.attempt": 3,
        "switchboard.provider": "anthropic",
        "switchboard.model": "claude",
        "switchboard.reason": "no connection allows this model",
    }
    assert root.status.status_code is StatusCode.ERROR
    assert root.status.description == "every model in the chain failed"


def test_a_wait_for_capacity_is_a_queue_span_before_the_call(
    host: PluginHost, recorder: OpenTelemetryRecorder, exporter: InMemorySpanExporter
) -> None:
    recorder.record(
        make_record(
            queue_wait_ms=30.0,
            attempts=[attempt("ok", started_ms=32.0, capacity_ms=0.5, latency_ms=10.0)],
        ),
        environment=environment(host),
    )
    (queue,) = [s for s in exporter.get_finished_spans() if s.name == "queue"]
    assert (ms(queue.start_time), ms(queue.end_time)) == (2.0, 32.0)
    assert (queue.attributes or {})["switchboard.queue_wait_ms"] == 30.0


def test_the_vmx_path_and_embeddings(
    host: PluginHost, recorder: OpenTelemetryRecorder, exporter: InMemorySpanExporter
) -> None:
    recorder.record(
        make_record(
            path="/v1/completion/acme/prod/embeddings",
            endpoint="embeddings",
            routing_started_ms=0.0,
            routing_ms=0.0,
            attempts=[
                attempt("ok", provider="bedrock", model="titan", started_ms=1.0, latency_ms=5.0)
            ],
        ),
        environment=environment(host),
    )
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert set(spans) == {
        "POST /v1/completion/{workspace}/{environment}/embeddings",
        "capacity",
        "embeddings titan",
    }
    root = spans["POST /v1/completion/{workspace}/{environment}/embeddings"]
    assert (root.attributes or {})["url.path"] == "/v1/completion/acme/prod/embeddings"
    call = spans["embeddings titan"].attributes or {}
    assert call["gen_ai.operation.name"] == "embeddings"
    assert call["gen_ai.provider.name"] == "aws.bedrock"
    assert "gen_ai.request.stream" not in call


def test_a_stream_that_failed_after_its_first_chunk_is_an_error(
    host: PluginHost, recorder: OpenTelemetryRecorder, exporter: InMemorySpanExporter
) -> None:
    recorder.record(
        make_record(
            stream=True,
            error_class="network_error",
            error_message="the provider closed the stream",
            attempts=[attempt("ok", started_ms=2.0, latency_ms=40.0)],
        ),
        environment=environment(host),
    )
    (root,) = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.SERVER]
    assert root.status.status_code is StatusCode.ERROR
    assert (root.attributes or {})["error.type"] == "network_error"


def test_a_request_its_client_left_is_no_server_error(
    host: PluginHost, recorder: OpenTelemetryRecorder, exporter: InMemorySpanExporter
) -> None:
    left = "the client closed the connection before the answer was complete"
    recorder.record(
        make_record(
            status=499,
            error_class="client_closed_request",
            error_message=left,
            attempts=[
                attempt(
                    "cancelled",
                    error_class="client_closed_request",
                    error_message=left,
                    started_ms=2.0,
                    latency_ms=30.0,
                )
            ],
        ),
        environment=environment(host),
    )
    spans = {s.name: s for s in exporter.get_finished_spans()}
    root, call = spans["POST /v1/chat/completions"], spans["chat gpt-4o"]
    # The call was made, then stopped: a span with why, but no failure of either side.
    assert (ms(call.start_time), ms(call.end_time)) == (2.0, 32.0)
    assert (call.attributes or {})["error.type"] == "client_closed_request"
    assert (call.attributes or {})["switchboard.outcome"] == "cancelled"
    assert call.status.status_code is StatusCode.UNSET
    assert (root.attributes or {})["http.response.status_code"] == 499
    assert (root.attributes or {})["error.type"] == "client_closed_request"
    assert root.status.status_code is StatusCode.UNSET


def test_a_malformed_traceparent_starts_the_records_trace(
    host: PluginHost, recorder: OpenTelemetryRecorder, exporter: InMemorySpanExporter
) -> None:
    recorder.record(
        make_record(traceparent="00-nothex-00f067aa0ba902b7-01"), environment=environment(host)
    )
    (root,) = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.SERVER]
    assert root.parent is None and root.context is not None
    assert f"{root.context.trace_id:032x}" == TRACE_ID


def test_ratio_sampling_agrees_with_opentelemetrys_sampler() -> None:
    ids = [f"{n * 0x9E3779B97F4A7C15 % (1 << 128):032x}" for n in range(1, 400)]
    for ratio in (0.1, 0.5, 0.9):
        sampler = TraceIdRatioBased(ratio)
        expected = [
            sampler.should_sample(None, int(i, 16), "x").decision is Decision.RECORD_AND_SAMPLE
            for i in ids
        ]
        assert [keeps(i, ratio) for i in ids] == expected
        assert 0 < sum(expected) < len(ids)
    assert keeps(TRACE_ID, 1.0) and not keeps(TRACE_ID, 0.0)


def test_records_are_built_after_the_request_on_the_event_loop(
    host: PluginHost, recorder: OpenTelemetryRecorder, exporter: InMemorySpanExporter
) -> None:
    async def request() -> int:
        recorder.record(make_record(), environment=environment(host))
        recorder.record(make_record(request_id="req-2"), environment=environment(host))
        built_during = len(exporter.get_finished_spans())
        await asyncio.sleep(0)  # the request is over: the loop gets to the recorder
        return built_during

    assert asyncio.run(request()) == 0
    roots = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.SERVER]
    assert sorted(str((s.attributes or {})["switchboard.request_id"]) for s in roots) == [
        "req-1",
        "req-2",
    ]


async def test_closing_flushes_and_then_records_are_ignored(host: PluginHost) -> None:
    exporter = InMemorySpanExporter()
    recorder = OpenTelemetryRecorder(SimpleSpanProcessor(exporter))
    recorder.record(make_record(), environment=environment(host))
    await recorder.aclose()
    assert [s.name for s in exporter.get_finished_spans() if s.kind is SpanKind.SERVER] == [
        "POST /v1/chat/completions"
    ]
    recorder.record(make_record(request_id="late"), environment=environment(host))
    recorder.drain()
    assert len([s for s in exporter.get_finished_spans() if s.kind is SpanKind.SERVER]) == 1


def test_settings_are_validated_naming_the_field(host: PluginHost) -> None:
    assert resolve_selection(host, {}).enabled.isdisjoint({"opentelemetry"})
    on = resolve_selection(host, {"opentelemetry": {}})
    assert on.settings_for("opentelemetry", OpenTelemetrySettings) == OpenTelemetrySettings()
    with pytest.raises(PluginSettingsError, match=r"plugins\.opentelemetry\.settings\.sampleRatio"):
        resolve_selection(host, {"opentelemetry": {"settings": {"sampleRatio": 1.5}}})
    with pytest.raises(PluginSettingsError, match=r"plugins\.opentelemetry\.settings"):
        resolve_selection(host, {"opentelemetry": {"settings": {"includePrompts": True}}})
