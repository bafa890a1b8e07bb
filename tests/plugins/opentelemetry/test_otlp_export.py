"""Export end to end: the installed plugin, configured only by ``OTEL_*`` variables, sends
a request's trace over OTLP/HTTP to a collector, while running and when the gateway stops."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from switchboard.plugins.host import PluginHost
from switchboard.settings import Settings
from switchboard.testing import RunningGateway
from switchboard.testing.pytest_plugin import RegisterPlugin
from switchboard.testing.records import KeptRecords
from switchboard.testing.server import serve_in_thread
from tests.core.dataplane.conftest import World
from tests.plugins.opentelemetry.collector import Collector, running_collector
from tests.plugins.opentelemetry.conftest import enable_tracing
from tests.plugins.opentelemetry.support import wait_for


@pytest.fixture
def collector(monkeypatch: pytest.MonkeyPatch) -> Iterator[Collector]:
    with running_collector() as running:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", running.url)
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-collector-token=tenant-7")
        monkeypatch.setenv("OTEL_SERVICE_NAME", "gateway-under-test")
        monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
        monkeypatch.delenv("OTEL_TRACES_SAMPLER", raising=False)
        monkeypatch.delenv("OTEL_SDK_DISABLED", raising=False)
        yield running


@pytest.fixture
def stops() -> Iterator[ExitStack]:
    """Holds the gateway: a test closes it to stop the gateway before the test ends."""
    with ExitStack() as stack:
        yield stack


@pytest.fixture
def gateway(
    switchboard_settings: Settings,
    switchboard_plugins: PluginHost,
    register_plugin: RegisterPlugin,
    kept: KeptRecords,
    collector: Collector,
    stops: ExitStack,
) -> RunningGateway:
    """The gateway with the installed plugin as it is (this directory's conftest swaps it)."""
    assert "opentelemetry" in switchboard_plugins.plugins
    register_plugin(kept, "kept-records")
    return stops.enter_context(serve_in_thread(switchboard_settings, switchboard_plugins))


def exported_trace(collector: Collector, request_id: str) -> tuple[dict[str, str], list[str]]:
    """The resource and the span names of the trace whose root is ``request_id``'s."""
    roots = [
        (resource, span)
        for resource, span in collector.spans()
        if any(
            a.key == "switchboard.request_id" and a.value.string_value == request_id
            for a in span.attributes
        )
    ]
    assert len(roots) == 1
    resource, root = roots[0]
    names = [s.name for _, s in collector.spans() if s.parent_span_id == root.span_id]
    return resource, [root.name, *sorted(names)]


def test_spans_reach_the_collector_named_by_the_environment(
    world: World, collector: Collector, kept: KeptRecords, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "50")
    enable_tracing(world)
    request_id = world.chat("chat").headers["x-request-id"]
    wait_for(lambda: collector.received or None, "export")
    arrived = collector.received[0]
    assert arrived.path == "/v1/traces"
    assert arrived.headers["content-type"] == "application/x-protobuf"
    assert arrived.headers["x-collector-token"] == "tenant-7"
    wait_for(lambda: len(collector.spans()) >= 4 or None, "all four spans")
    resource, names = exported_trace(collector, request_id)
    assert resource["service.name"] == "gateway-under-test"
    assert names == ["POST /v1/chat/completions", "capacity", "chat gpt-4o-mini", "routing"]
    (root,) = [s for _, s in collector.spans() if s.name == "POST /v1/chat/completions"]
    assert root.trace_id.hex() == kept.of(request_id).trace_id


def test_the_last_spans_are_sent_when_the_gateway_stops(
    world: World, collector: Collector, stops: ExitStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "600000")  # nothing leaves on its own
    enable_tracing(world)
    request_ids = [world.chat("chat").headers["x-request-id"] for _ in range(3)]
    stops.close()  # the gateway stops: the plugin flushes and shuts its provider down
    for request_id in request_ids:
        resource, names = exported_trace(collector, request_id)
        assert resource["service.name"] == "gateway-under-test"
        assert names[0] == "POST /v1/chat/completions" and len(names) == 4
