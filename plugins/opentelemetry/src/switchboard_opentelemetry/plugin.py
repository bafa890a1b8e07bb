"""Traces data-plane requests with OpenTelemetry: spans for routing, capacity and each
provider call, continuing the caller's W3C trace (see the package README)."""

from __future__ import annotations

from collections.abc import Iterable

from opentelemetry.sdk.trace import SpanProcessor

from switchboard.context import GatewayContext
from switchboard.hookspecs import hookimpl
from switchboard.interfaces import Recorder
from switchboard_opentelemetry.config import OpenTelemetrySettings
from switchboard_opentelemetry.recorder import OpenTelemetryRecorder

__all__ = [
    "ENABLED_BY_DEFAULT",
    "OpenTelemetryPlugin",
    "Settings",
    "switchboard_register_recorders",
]

Settings = OpenTelemetrySettings

# Tracing needs somewhere to send spans: environments opt in (plugins: {opentelemetry: {}}).
ENABLED_BY_DEFAULT = False


@hookimpl
def switchboard_register_recorders(gateway: GatewayContext) -> Iterable[Recorder]:
    """Register the recorder, exporting as the process's ``OTEL_*`` variables say."""
    return [OpenTelemetryRecorder()]


class OpenTelemetryPlugin:
    """This plugin with spans going to ``processor`` instead of the OTLP exporter.

    For tests (an in-memory exporter) and deployments that want another exporter: block the
    installed plugin (``SWITCHBOARD_DISABLE_PLUGINS=opentelemetry``, or unregister it) and
    register ``OpenTelemetryPlugin(processor)`` under the name ``opentelemetry``.
    """

    Settings = OpenTelemetrySettings
    ENABLED_BY_DEFAULT = False

    def __init__(self, processor: SpanProcessor) -> None:
        self.recorder = OpenTelemetryRecorder(processor)

    @hookimpl
    def switchboard_register_recorders(self, gateway: GatewayContext) -> Iterable[Recorder]:
        """Register this instance's recorder."""
        return [self.recorder]
