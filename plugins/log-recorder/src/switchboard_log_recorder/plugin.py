"""Logs every data-plane request as one structured line (logger ``switchboard.requests``)."""

from __future__ import annotations

from collections.abc import Iterable

from switchboard.context import GatewayContext
from switchboard.hookspecs import hookimpl
from switchboard.interfaces import Recorder
from switchboard_log_recorder.config import LogRecorderSettings
from switchboard_log_recorder.recorder import LogRecorder

__all__ = ["Settings", "switchboard_register_recorders"]

Settings = LogRecorderSettings

# A line per request is noise (and cost) unless someone wants it: environments opt in.
ENABLED_BY_DEFAULT = False


@hookimpl
def switchboard_register_recorders(gateway: GatewayContext) -> Iterable[Recorder]:
    """Register the log recorder."""
    return [LogRecorder()]
