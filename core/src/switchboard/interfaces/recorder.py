"""Recorders: sinks for completed request records (database, metrics, logs, ...).

:meth:`Recorder.record` is called on the request path and must not wait on I/O: queue the
record and write it from a background task started in :meth:`start`. A minimal recorder::

    class ListRecorder(Recorder):
        name = "list"

        def __init__(self) -> None:
            self.records: list[RequestRecord] = []

        def record(self, record: RequestRecord, *, environment: EnvironmentPlugins) -> None:
            self.records.append(record)
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, ClassVar

from switchboard.records import RequestRecord

if TYPE_CHECKING:
    from switchboard.plugins.selection import EnvironmentPlugins

__all__ = ["Recorder"]


class Recorder(abc.ABC):
    """Receives every finished data-plane request record."""

    name: ClassVar[str]

    @abc.abstractmethod
    def record(self, record: RequestRecord, *, environment: EnvironmentPlugins) -> None:
        """Take one record of ``environment``; never block, never raise for a sink failure.

        ``environment`` gives the recorder its plugin's settings there
        (``environment.settings_for(plugin_name, SettingsType)``).
        """

    async def start(self) -> None:  # noqa: B027 - optional to override
        """Start background work; called once per process at startup."""

    async def aclose(self) -> None:  # noqa: B027 - optional to override
        """Flush what is queued and stop; called once at shutdown."""
