"""The database recorder: queues records on the request path, writes them in batches.

Request path
    :meth:`DatabaseRecorder.record` appends the record to an in-memory queue (a ``deque``)
    and, when a batch is full, sets an event: nothing else. When the queue already holds
    ``queue_size`` records, the record goes to the spill list instead, which a separate
    task writes to the spool file at once: memory stays bounded by the queue size (plus
    what arrives during one disk write), and no record is dropped.

Flushing
    A background task writes the queue in batches of ``batch_size`` rows: when a batch is
    full, every ``flush_interval`` seconds, and at shutdown (:meth:`aclose` drains the queue
    before it returns). Each batch is one transaction (see :mod:`.writer`).

Database down
    A batch the database cannot take is appended to the spool (see :mod:`.spool`) and the
    recorder marks the database down: later batches go straight to the spool, without
    waiting on connection attempts. Every ``retry_interval`` seconds a replay task probes
    the database; once it answers, the task seals this process's spool file and replays
    every sealed file in name (time) order, each claimed by an atomic rename and deleted
    only after its rows are committed, then marks the database up. Files left by earlier
    processes are replayed the same way, from the first round after start.

Guarantees
    A record handed to :meth:`record` is either committed or in a spool file (flushed and
    ``fsync``-ed) by the time its batch is done, and a spooled record is replayed until it
    is committed. Inserts are idempotent (``ON CONFLICT (request_id) DO NOTHING``), so a
    crash between a commit and the deletion of its spool file stores nothing twice. What
    is lost on a hard crash is only what was still in memory: at most ``flush_interval``
    seconds of records (or a batch).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy.ext.asyncio import AsyncEngine

from switchboard.interfaces import Recorder
from switchboard.records import RequestRecord
from switchboard_database_recorder.config import RecorderOptions
from switchboard_database_recorder.spool import Spool
from switchboard_database_recorder.writer import BatchWriter, DatabaseDown

if TYPE_CHECKING:
    from switchboard.plugins.selection import EnvironmentPlugins

__all__ = ["PLUGIN_NAME", "DatabaseRecorder"]

PLUGIN_NAME = "database-recorder"

log = logging.getLogger("switchboard_database_recorder")


class DatabaseRecorder(Recorder):
    """Writes request records to ``request_records`` in batches, spooling what it cannot.

    ``engine`` is the gateway's engine, or a callable returning it (called at :meth:`start`,
    when the gateway's database is open); ``spool_dir`` the spool folder.
    """

    name: ClassVar[str] = PLUGIN_NAME

    def __init__(
        self,
        engine: AsyncEngine | Callable[[], AsyncEngine],
        spool_dir: Path,
        options: RecorderOptions | None = None,
    ) -> None:
        self.options = options or RecorderOptions()
        self._engine = engine
        self.spool = Spool(spool_dir, max_file_bytes=self.options.spool_file_mb << 20)
        self.writer: BatchWriter | None = None
        self._queue: deque[RequestRecord] = deque()
        self._queue_size = self.options.queue_size
        self._batch_size = self.options.batch_size
        self._spill: list[RequestRecord] = []
        self._batch_full = asyncio.Event()
        self._spill_waiting = asyncio.Event()
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False
        self.database_up = True
        """``False`` from a failed write until a replay round has emptied the spool."""

    # -- the request path ----------------------------------------------------------------------

    def record(self, record: RequestRecord, *, environment: EnvironmentPlugins) -> None:
        """Queue ``record`` (O(1); the event loop's thread, no I/O)."""
        queue = self._queue
        if len(queue) < self._queue_size and not self._closed:
            queue.append(record)
            if len(queue) >= self._batch_size:
                self._batch_full.set()
        elif self._closed:
            # After shutdown nothing flushes any more: the spool takes it now.
            self.spool.append_now([record])
        else:
            self._spill.append(record)
            self._spill_waiting.set()

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the flush, spill and replay tasks."""
        engine = self._engine if isinstance(self._engine, AsyncEngine) else self._engine()
        self.writer = BatchWriter(engine, timeout=self.options.write_timeout)
        await self.writer.start()
        self._tasks = [
            asyncio.create_task(self._flush_loop(), name="database-recorder-flush"),
            asyncio.create_task(self._spill_loop(), name="database-recorder-spill"),
            asyncio.create_task(self._replay_loop(), name="database-recorder-replay"),
        ]

    async def aclose(self) -> None:
        """Write what is queued (to the database, or the spool when it is down), seal the
        spool file and stop. Spooled files are left for the next process to replay."""
        if self._closed:
            return
        self._stopping.set()
        self._batch_full.set()
        self._spill_waiting.set()
        flush, spill, replay = self._tasks or (None, None, None)
        if replay is not None:
            replay.cancel()
        for task in (flush, spill, replay):
            if task is None:
                continue
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception:  # the leftovers below still reach the spool
                log.exception("the database recorder's %s task failed", task.get_name())
        self._closed = True
        # Anything left (no task ran, or a write failed on the way out) goes to the spool.
        leftovers = [*self._queue, *self._spill]
        self._queue.clear()
        self._spill.clear()
        if leftovers:
            await self.spool.append(leftovers)
        self.spool.close_now()
        if self.writer is not None:
            await self.writer.aclose()

    async def flush(self, *, full_only: bool = False) -> None:
        """Write what is queued now, in batches (``full_only``: full batches only)."""
        minimum = self._batch_size if full_only else 1
        while len(self._queue) >= minimum:
            await self._write(self._take())

    # -- background tasks ------------------------------------------------------------------------

    async def _flush_loop(self) -> None:
        interval = self.options.flush_interval
        while True:
            # Woken by a full batch: write the full batches only, the rest joins the next
            # one (a trailing handful would cost a transaction of its own). On the interval
            # and at shutdown: write everything.
            full_only = False
            if not self._stopping.is_set():
                try:
                    async with asyncio.timeout(interval):
                        await self._batch_full.wait()
                    full_only = True
                except TimeoutError:
                    pass
            self._batch_full.clear()
            try:
                await self.flush(full_only=full_only and not self._stopping.is_set())
            except Exception:  # neither the database nor the disk: retry later
                log.exception("the database recorder failed to flush; retrying")
                if not self._stopping.is_set():
                    await asyncio.sleep(self.options.retry_interval)
                    continue
            if self._stopping.is_set():
                return

    async def _spill_loop(self) -> None:
        while True:
            await self._spill_waiting.wait()
            self._spill_waiting.clear()
            if self._spill:
                spilled, self._spill = self._spill, []
                try:
                    await self.spool.append(spilled)
                except OSError:
                    log.exception("cannot spool %d records; keeping them in memory", len(spilled))
                    self._spill[:0] = spilled
                    if self._stopping.is_set():
                        return
                    await asyncio.sleep(self.options.retry_interval)
                    self._spill_waiting.set()
                    continue
                log.warning("queue full: %d records spooled to disk", len(spilled))
            if self._stopping.is_set() and not self._spill:
                return

    async def _replay_loop(self) -> None:
        while True:
            try:
                await self.replay()
            except Exception:
                log.exception("the database recorder's replay failed; retrying")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.options.retry_interval):
                    await self._stopping.wait()
            if self._stopping.is_set():
                return

    # -- writing and replaying ------------------------------------------------------------------

    def _take(self) -> list[RequestRecord]:
        queue = self._queue
        count = min(len(queue), self.options.batch_size)
        return [queue.popleft() for _ in range(count)]

    async def _write(self, batch: list[RequestRecord]) -> None:
        """Write ``batch`` to the database, or to the spool when the database is down."""
        assert self.writer is not None, "start() was not called"
        if self.database_up:
            try:
                await self.writer.write(batch)
                return
            except DatabaseDown as error:
                self.database_up = False
                log.warning(
                    "database unavailable (%s): spooling records to %s until it is back",
                    error,
                    self.spool.folder,
                )
        try:
            await self.spool.append(batch)
        except OSError:
            # Neither the database nor the disk: keep the batch, at the head of the queue.
            log.exception("cannot spool %d records; keeping them in memory", len(batch))
            self._queue.extendleft(reversed(batch))
            raise

    async def replay(self) -> int:
        """One replay round: when there is anything to replay and the database answers,
        replay every sealed spool file (this process's own file sealed first). Returns the
        number of records replayed; marks the database up when the spool is empty."""
        assert self.writer is not None, "start() was not called"
        await asyncio.to_thread(self.spool.recover)
        pending = self.spool.has_open_file or bool(self.spool.sealed())
        if not pending and self.database_up:
            return 0
        if not await self.writer.probe():
            return 0
        await self.spool.seal()
        replayed = 0
        for path in self.spool.sealed():
            claimed = self.spool.claim(path)
            if claimed is None:
                continue  # another worker has it
            try:
                count = await self._replay_file(claimed)
            except BaseException:
                self.spool.release(claimed)
                raise
            if count is None:
                self.spool.release(claimed)
                return replayed
            self.spool.remove(claimed)
            log.info("replayed %d records from spool file %s", count, path.name)
            replayed += count
        self.database_up = True
        return replayed

    async def _replay_file(self, claimed: Path) -> int | None:
        """Write the records of ``claimed``; ``None`` when the database failed meanwhile."""
        assert self.writer is not None
        count = 0
        batches = self.spool.read(claimed, self.options.batch_size)
        # One batch in memory at a time, read in a worker thread: files can be large.
        try:
            while (batch := await asyncio.to_thread(next, batches, None)) is not None:
                try:
                    await self.writer.write(batch)
                except DatabaseDown as error:
                    log.warning("replay of %s paused, database down: %s", claimed.name, error)
                    self.database_up = False
                    return None
                count += len(batch)
        finally:
            batches.close()
        return count
