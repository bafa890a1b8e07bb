"""Switchboard's OpenTelemetry plugin: a trace per data-plane request, built from its record.

See ``README.md`` next to this package's ``pyproject.toml`` for the spans, their attributes
and the configuration.
"""

from switchboard_opentelemetry.config import OpenTelemetrySettings
from switchboard_opentelemetry.recorder import PLUGIN_NAME, OpenTelemetryRecorder

__all__ = ["PLUGIN_NAME", "OpenTelemetryRecorder", "OpenTelemetrySettings"]
