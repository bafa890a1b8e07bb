"""Discovered capacity: the rate limits providers announce, kept per connection and model.

Each provider plugin reads its rate-limit headers into ``call.discovered``; the pipeline
notes them here after every attempt. The latest value is used at once in this process (a
connection with ``enforceDiscoveredCapacity`` limits itself by it, and choosing between
connections reads what is left), and is written to the connection's ``discoveredCapacity``
(with ``updatedAt``) in the background every few seconds, so the API and the UI show it and
other processes start from it (again when the limits change, else once a minute: the
remaining counts change with every answer). Writing is best effort: while the database is
down the values wait in memory and are written when it returns; only the latest per model is
kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.dataplane.config import ConnectionConfig
from switchboard.db.engine import begin_writing
from switchboard.db.models import AIConnection
from switchboard.interfaces.provider import DiscoveredLimits

__all__ = ["DiscoveredCapacity", "discovered_entry", "read_discovered"]

log = logging.getLogger(__name__)

FLUSH_INTERVAL_SECONDS = 5.0
REWRITE_AFTER_SECONDS = 60.0


def _same_limits(a: DiscoveredLimits, b: DiscoveredLimits) -> bool:
    """Whether two announcements give the same limits (what is left may differ)."""
    return (a.requests_limit, a.requests_period, a.tokens_limit, a.tokens_period) == (
        b.requests_limit,
        b.requests_period,
        b.tokens_limit,
        b.tokens_period,
    )


def discovered_entry(limits: DiscoveredLimits, at: datetime) -> dict[str, Any]:
    """How one model's discovered limits are stored: camelCase fields and ``updatedAt``."""
    return {**msgspec.to_builtins(limits), "updatedAt": at.isoformat()}


def read_discovered(
    stored: dict[str, Any] | None, owner: str
) -> list[tuple[str, DiscoveredLimits, datetime | None]]:
    """A connection's stored discovered capacity as (model, limits, updatedAt), by model;
    an entry that no longer parses is logged (naming ``owner``) and skipped."""
    found: list[tuple[str, DiscoveredLimits, datetime | None]] = []
    for model, raw in sorted((stored or {}).items()):
        try:
            limits = msgspec.convert(raw, DiscoveredLimits)
            updated_at = msgspec.convert(raw.get("updatedAt"), datetime | None)
        except (msgspec.ValidationError, AttributeError) as exc:
            log.warning("%s: discovered capacity of model %r is unreadable (%s)", owner, model, exc)
            continue
        found.append((model, limits, updated_at))
    return found


class DiscoveredCapacity:
    """The latest announced limits per (connection, model) of this process."""

    def __init__(
        self,
        sessions: Callable[[], Callable[[], AsyncSession]],
        interval: float = FLUSH_INTERVAL_SECONDS,
    ) -> None:
        self._sessions = sessions
        self.interval = interval
        self._latest: dict[tuple[str, str], DiscoveredLimits] = {}
        self._pending: dict[tuple[str, str], tuple[DiscoveredLimits, datetime]] = {}
        self._written: dict[tuple[str, str], float] = {}
        self._task: asyncio.Task[None] | None = None

    def note(self, connection_id: str, model: str, limits: DiscoveredLimits) -> None:
        """Keep what a provider just announced; written to the database soon when its limits
        changed, else at most once every ``REWRITE_AFTER_SECONDS`` (what is left changes with
        every answer, and is kept here for choosing connections, not for storage)."""
        key = (connection_id, model)
        previous = self._latest.get(key)
        self._latest[key] = limits
        now = time.monotonic()
        if (
            previous is not None
            and _same_limits(previous, limits)
            and now - self._written.get(key, 0.0) < REWRITE_AFTER_SECONDS
        ):
            return
        self._written[key] = now
        self._pending[key] = (limits, datetime.now(UTC))

    def limits(self, connection: ConnectionConfig, model: str) -> DiscoveredLimits | None:
        """The latest limits for ``model`` on ``connection``: seen here, else as stored."""
        return self._latest.get((connection.id, model)) or connection.discovered.get(model)

    async def flush(self) -> int:
        """Write what is pending; returns how many models were written (0 on failure)."""
        if not self._pending:
            return 0
        pending, self._pending = self._pending, {}
        by_connection: dict[str, dict[str, dict[str, Any]]] = {}
        for (connection_id, model), (limits, at) in pending.items():
            by_connection.setdefault(connection_id, {})[model] = discovered_entry(limits, at)
        try:
            async with self._sessions()() as session:
                await begin_writing(session)
                rows = (
                    await session.execute(
                        select(AIConnection).where(AIConnection.id.in_(list(by_connection)))
                    )
                ).scalars()
                for row in rows:
                    row.discovered_capacity = {
                        **(row.discovered_capacity or {}),
                        **by_connection[row.id],
                    }
                await session.commit()
        except Exception as exc:
            # Keep them for the next round, unless something newer arrived meanwhile.
            for key, value in pending.items():
                self._pending.setdefault(key, value)
            log.warning("could not store discovered capacity (will retry): %s", exc)
            return 0
        return len(pending)

    async def start(self) -> None:
        """Write pending values every ``interval`` seconds in the background."""
        self._task = asyncio.create_task(self._run(), name="switchboard-discovered-capacity")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.flush()

    async def aclose(self) -> None:
        """Stop, writing what is still pending."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()
