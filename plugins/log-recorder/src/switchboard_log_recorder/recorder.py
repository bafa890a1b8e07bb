"""The recorder: a request record becomes one log line on logger ``switchboard.requests``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, ClassVar

from switchboard.interfaces import Recorder
from switchboard.records import RequestRecord
from switchboard_log_recorder.config import LogRecorderSettings

if TYPE_CHECKING:
    from switchboard.plugins import EnvironmentPlugins

__all__ = ["PLUGIN_NAME", "LogRecorder"]

PLUGIN_NAME = "log-recorder"

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}

# Fields of the record that go into the line; the payload never does (it may hold prompts).
_FIELDS = (
    "request_id",
    "correlation_id",
    "trace_id",
    "workspace_name",
    "environment_name",
    "environment_id",
    "endpoint",
    "stream",
    "resource_name",
    "api_key_name",
    "provider",
    "model",
    "connection_name",
    "route",
    "status",
    "error_class",
    "error_message",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "estimated_cost",
    "time_to_first_token_ms",
    "queue_wait_ms",
    "latency_ms",
    "gateway_latency_ms",
    "client_ip",
)


class LogRecorder(Recorder):
    """Writes each record synchronously to the logging system (handlers do the I/O)."""

    name: ClassVar[str] = PLUGIN_NAME

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or logging.getLogger("switchboard.requests")

    def record(self, record: RequestRecord, *, environment: EnvironmentPlugins) -> None:
        settings = environment.settings_for(PLUGIN_NAME, LogRecorderSettings)
        if settings.failures_only and record.status < 400:
            return
        fields = {name: getattr(record, name) for name in _FIELDS}
        fields["attempts"] = len(record.attempts)
        self.logger.log(
            _LEVELS[settings.level],
            "%s %s -> %s in %.1f ms",
            record.path,
            record.resource_name or "-",
            record.status,
            record.latency_ms,
            extra={"record": fields},
        )
