"""Record retention: request records older than ``SWITCHBOARD_RECORD_RETENTION_DAYS`` are
purged, at startup and then every hour, in every gateway process.

The purge deletes in small batches, each its own short transaction, oldest first along the
``created_at`` index, with a pause between batches: it holds row locks on one batch at a
time and never the table, so the database recorder keeps writing meanwhile. Several
processes may purge at once, harmlessly: on PostgreSQL each batch takes its rows with
``FOR UPDATE SKIP LOCKED``, so concurrent purges delete disjoint batches instead of
waiting on each other; SQLite runs one writer at a time anyway (the other waits for the
busy timeout), and a batch that finds nothing left to delete ends the purge.

A failing purge (the database is down) is logged and retried at the next interval; it
never stops the gateway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.db.engine import begin_writing
from switchboard.db.models import RequestRecord

__all__ = ["DEFAULT_BATCH_SIZE", "PURGE_INTERVAL_S", "RecordRetention", "purge_records_before"]

log = logging.getLogger(__name__)

PURGE_INTERVAL_S: Final = 3600.0
"""How often each process purges (besides once at startup)."""
DEFAULT_BATCH_SIZE: Final = 5_000
"""Rows per delete: a batch commits in milliseconds, so no writer waits long behind it."""
_PAUSE_S: Final = 0.05
"""Breathing room between batches for the recorder's inserts (SQLite has one writer)."""


async def purge_records_before(
    sessions: async_sessionmaker[AsyncSession],
    cutoff: datetime,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    pause_s: float = _PAUSE_S,
) -> int:
    """Delete request records created before ``cutoff``, in batches; return how many."""
    oldest = (
        select(RequestRecord.id)
        .where(RequestRecord.created_at < cutoff)
        .order_by(RequestRecord.created_at)
        .limit(batch_size)
        # PostgreSQL: concurrent purges skip each other's batches (SQLite ignores this).
        .with_for_update(skip_locked=True)
    )
    statement = (
        delete(RequestRecord)
        .where(RequestRecord.id.in_(oldest.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    purged = 0
    while True:
        async with sessions() as session:
            await begin_writing(session)
            result = await session.execute(statement)
            await session.commit()
        deleted = int(getattr(result, "rowcount", 0) or 0)
        purged += deleted
        if deleted < batch_size:
            return purged
        await asyncio.sleep(pause_s)


class RecordRetention:
    """The purge job of one process: :meth:`start` it after the database is open,
    :meth:`aclose` it before the database closes. ``retention_days == 0`` keeps records
    forever: the job then does nothing."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        retention_days: int,
        *,
        interval_s: float = PURGE_INTERVAL_S,
        batch_size: int = DEFAULT_BATCH_SIZE,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.sessions = sessions
        self.retention_days = retention_days
        self.interval_s = interval_s
        self.batch_size = batch_size
        self.clock = clock
        self._task: asyncio.Task[None] | None = None

    @property
    def enabled(self) -> bool:
        """Whether records expire at all."""
        return self.retention_days > 0

    def cutoff(self) -> datetime:
        """Records created before this instant are expired."""
        return self.clock() - timedelta(days=self.retention_days)

    async def purge_once(self) -> int:
        """Purge what has expired now; return how many records were deleted."""
        if not self.enabled:
            return 0
        cutoff = self.cutoff()
        purged = await purge_records_before(self.sessions, cutoff, batch_size=self.batch_size)
        if purged:
            log.info(
                "purged %d request records created before %s (retention %d days)",
                purged,
                cutoff.isoformat(),
                self.retention_days,
            )
        return purged

    def start(self) -> None:
        """Purge now in the background, then every ``interval_s``."""
        if self.enabled and self._task is None:
            self._task = asyncio.create_task(self._run(), name="switchboard-record-retention")

    async def _run(self) -> None:
        while True:
            try:
                await self.purge_once()
            except Exception:
                log.warning("purging expired request records failed; retrying later", exc_info=True)
            await asyncio.sleep(self.interval_s)

    async def aclose(self) -> None:
        """Stop the job (a batch in flight is rolled back, and purged again next time)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
