"""A gateway whose OpenTelemetry plugin exports to memory, in the data plane's test world
(fake providers, the workspace ``acme``, environment ``prod``, resource ``chat``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from switchboard.plugins.host import PluginHost
from switchboard.settings import Settings
from switchboard.testing import RunningGateway
from switchboard.testing.pytest_plugin import RegisterPlugin
from switchboard.testing.records import KeptRecords
from switchboard.testing.server import serve_in_thread
from switchboard_opentelemetry.plugin import OpenTelemetryPlugin
from tests.core.api.client import expect
from tests.core.dataplane.conftest import (  # noqa: F401 - fixtures, shared with the data plane's tests
    ENV,
    World,
    switchboard_settings,
    world,
)


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def kept() -> KeptRecords:
    return KeptRecords()


@pytest.fixture
def gateway(
    switchboard_settings: Settings,  # noqa: F811 - the data plane's, imported above
    switchboard_plugins: PluginHost,
    register_plugin: RegisterPlugin,
    exporter: InMemorySpanExporter,
    kept: KeptRecords,
) -> Iterator[RunningGateway]:
    """The gateway with the installed plugin replaced by one exporting to ``exporter``."""
    switchboard_plugins.unregister("opentelemetry")
    register_plugin(OpenTelemetryPlugin(SimpleSpanProcessor(exporter)), "opentelemetry")
    register_plugin(kept, "kept-records")
    with serve_in_thread(switchboard_settings, switchboard_plugins) as running:
        yield running


def enable_tracing(in_world: World, **settings: object) -> None:
    """Switch the plugin on in ``prod`` with ``settings``."""
    plugins = {"opentelemetry": {"settings": settings}}
    expect(in_world.admin.patch(ENV, {"plugins": plugins}), 200)


@pytest.fixture
def traced(world: World) -> World:  # noqa: F811 - the data plane's, imported above
    """The world with tracing on in its environment."""
    enable_tracing(world)
    return world
