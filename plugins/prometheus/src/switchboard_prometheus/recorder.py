"""The recorder: counts every request record, publishes the counts, answers scrapes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, ClassVar, TypeVar

import msgspec

from switchboard.interfaces import Recorder
from switchboard.records import RequestRecord
from switchboard_prometheus.aggregates import Aggregates
from switchboard_prometheus.exposition import render
from switchboard_prometheus.sharing import SharedRun

if TYPE_CHECKING:
    from switchboard.plugins import EnvironmentPlugins

__all__ = ["PLUGIN_NAME", "PUBLISH_SECONDS", "PrometheusRecorder"]

log = logging.getLogger(__name__)

T = TypeVar("T")

PLUGIN_NAME = "prometheus"

PUBLISH_SECONDS = 1.0
"""How often a worker publishes its counts for the others (when they changed)."""


class PrometheusRecorder(Recorder):
    """Aggregates records in this process; renders this run's totals on a scrape.

    :param sharing: the run folder shared with the other workers, ``None`` when this
        process serves alone.

    File work and rendering run on one background thread, in submission order, so a
    snapshot encoded later is always written later. Only :meth:`Aggregates.encode` (one
    msgspec call) runs on the event loop, which is what keeps the counts consistent: the
    loop's thread is the only one that ever touches the live dicts.
    """

    name: ClassVar[str] = PLUGIN_NAME

    def __init__(
        self, sharing: SharedRun | None, *, publish_seconds: float = PUBLISH_SECONDS
    ) -> None:
        self.aggregates = Aggregates()
        self.sharing = sharing
        self.publish_seconds = publish_seconds
        self._published = 0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prometheus")
        self._publisher: asyncio.Task[None] | None = None

    def record(self, record: RequestRecord, *, environment: EnvironmentPlugins) -> None:
        """Count ``record`` (a few dict updates on the event loop, no I/O)."""
        self.aggregates.add(record)

    async def start(self) -> None:
        """Prepare the run folder and publish every :attr:`publish_seconds` from now on."""
        if self.sharing is None:
            return
        try:
            await self._in_background(self.sharing.prepare)
        except OSError as error:
            log.warning(
                "metrics cannot be shared with the other workers (%s): each scrape shows "
                "only the worker that answers it",
                error,
            )
            self.sharing = None
            return
        self._publisher = asyncio.create_task(self._publish_every(), name="prometheus-publish")

    async def aclose(self) -> None:
        """Publish the final counts (they stay in the run's totals) and stop."""
        if self._publisher is not None:
            self._publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._publisher
            self._publisher = None
            await self.publish()
        self._executor.shutdown(wait=True)

    async def publish(self) -> None:
        """Write this worker's counts to its file, when they changed since the last time."""
        sharing, changes = self.sharing, self.aggregates.changes
        if sharing is None or changes == self._published:
            return
        snapshot = self.aggregates.encode()
        await self._in_background(partial(self._write, sharing, snapshot, changes))

    async def scrape(self) -> bytes:
        """The exposition of this run's totals: this worker's live counts and the others'.

        This worker's counts are published before they are shown, so no later scrape,
        whichever worker answers it and even if this one is killed, shows less.
        """
        snapshot, changes = self.aggregates.encode(), self.aggregates.changes
        return await self._in_background(partial(self._render, snapshot, changes))

    # -- on the background thread -----------------------------------------------------------

    def _write(self, sharing: SharedRun, snapshot: bytes, changes: int) -> None:
        sharing.publish(snapshot)
        self._published = changes

    def _render(self, snapshot: bytes, changes: int) -> bytes:
        totals = Aggregates.decode(snapshot)
        sharing = self.sharing
        if sharing is not None:
            if changes != self._published:
                try:
                    self._write(sharing, snapshot, changes)
                except OSError as error:  # the scrape still answers, with what is known
                    log.warning("could not publish this worker's metrics: %s", error)
            for other in sharing.others():
                try:
                    totals.merge(Aggregates.decode(other))
                except msgspec.DecodeError as error:
                    log.warning("skipping an unreadable worker snapshot: %s", error)
        return render(totals)

    async def _publish_every(self) -> None:
        while True:
            await asyncio.sleep(self.publish_seconds)
            try:
                await self.publish()
            except OSError:
                log.exception("could not publish this worker's metrics")

    async def _in_background(self, call: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)
