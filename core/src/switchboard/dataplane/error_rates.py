"""Recent error rates per environment, connection and model, for routing's ``errorRate()``.

Each environment has an :class:`ErrorRates`: attempts counted per minute and per (provider,
model, connection id, status), over the last hour. Routing reads it synchronously (an
expression never waits on I/O) from three layers that never hold the same attempt:

* the *snapshot*: every process's counts as the environment's capacity limiter last returned
  them from :meth:`~switchboard.interfaces.CapacityLimiter.share_outcomes` (kept by the
  limiter itself for the embedded one, in Redis for the Redis one);
* *sending*: this process's counts handed to the sync in flight;
* *pending*: this process's counts recorded since that sync began.

:meth:`ErrorRates.sync` moves pending to sending and calls the limiter; its answer includes
what was sent, and replaces the snapshot while sending is emptied, in one step (nothing
awaits in between), so an attempt is never counted twice or missed. If the limiter fails,
sending goes back to pending for the next sync.

:class:`ErrorRateBook` keeps one :class:`ErrorRates` per environment of the process, and a
background task, started and stopped with the :class:`~switchboard.dataplane.runtime.Runtime`,
that syncs once per second every environment used in the last ten minutes or holding
counts not yet shared, through the limiter its environment snapshot chose (no limiter plugin
on: the counts stay in this process).

Minutes are ``unix time // 60`` on the clock of the process that recorded the attempt: an
attempt belongs to the minute it happened in even when it is shared later (after an outage),
and hosts kept in time by NTP agree far better than a minute's bucket needs. A rate is a
percentage, 0 to 100.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from switchboard.errors import NotFound
from switchboard.interfaces.limiter import (
    OUTCOME_MINUTES,
    CapacityLimiter,
    OutcomeCount,
    OutcomeKey,
)

if TYPE_CHECKING:
    from switchboard.dataplane.config import ConnectionConfig, EnvironmentRuntime

__all__ = [
    "IDLE_AFTER_SECONDS",
    "MAX_WINDOW_MINUTES",
    "SYNC_INTERVAL_SECONDS",
    "ErrorRateBook",
    "ErrorRates",
    "environment_limiter",
]

log = logging.getLogger(__name__)

MAX_WINDOW_MINUTES = OUTCOME_MINUTES
SYNC_INTERVAL_SECONDS = 1.0
IDLE_AFTER_SECONDS = 600.0
"""An environment not used for this long is no longer synced (until it is used again)."""
FORGET_AFTER_SECONDS = 3600.0 + 60.0
"""... and after this long, once its counts are shared, it is forgotten: nothing to read."""
_CACHE_SIZE = 512

Clock = Callable[[], float]
EnvironmentOf = Callable[[str], Awaitable["EnvironmentRuntime"]]
LimiterOf = Callable[["EnvironmentRuntime"], CapacityLimiter | None]
_Minutes = dict[int, dict[OutcomeKey, int]]
_Query = tuple[int, str | int, str | None, str | None, str | None]


class ErrorRates:
    """One environment's outcomes: recorded and read without I/O, shared by :meth:`sync`.

    ``environment_id`` is the namespace of the shared windows; ``clock`` gives unix seconds.
    """

    def __init__(self, environment_id: str = "", *, clock: Clock = time.time) -> None:
        self.environment_id = environment_id
        self.used_at = time.monotonic()
        """When routing last asked for these rates (monotonic seconds), for the book."""
        self._clock = clock
        self._snapshot: _Minutes = {}
        self._sending: _Minutes = {}
        self._pending: _Minutes = {}
        self._syncing = False
        self._failing = False
        self._connections: object = None
        self._connection_ids: dict[str, str] = {}
        self._cache: dict[_Query, tuple[int, int]] = {}

    def minute(self) -> int:
        """The current minute, ``unix time // 60``."""
        return int(self._clock() // 60)

    @property
    def unshared(self) -> bool:
        """Whether this process holds counts the shared windows do not have yet."""
        return bool(self._pending or self._sending)

    def know_connections(self, connections: Sequence[ConnectionConfig]) -> None:
        """Let :meth:`rate` take the names of ``connections`` (the environment's) as well as
        their ids. Cheap when given the same sequence again."""
        if connections is self._connections:
            return
        ids = {connection.name: connection.id for connection in connections}
        ids.update((connection.id, connection.id) for connection in connections)
        self._connections, self._connection_ids = connections, ids

    # -- the hot path: no I/O --------------------------------------------------------------

    def record(
        self, provider: str, model: str, connection: str, status: int, *, count: int = 1
    ) -> None:
        """Count ``count`` attempts of ``model`` at ``provider`` through the connection with
        id ``connection`` that got ``status`` (2xx is a success; 400 and above a failure)."""
        minute = self.minute()
        bucket = self._pending.get(minute)
        if bucket is None:
            bucket = self._pending[minute] = {}
            # Bounded even when nothing syncs (a process whose runtime was never started).
            _drop_before(self._pending, minute - MAX_WINDOW_MINUTES)
        key = (provider, model, connection, status)
        bucket[key] = bucket.get(key, 0) + count

    def rate(
        self,
        window: float = 10,
        status: str | int = "any",
        provider: str | None = None,
        model: str | None = None,
        connection: str | None = None,
    ) -> float:
        """Percentage of the attempts of the last ``window`` minutes (1 to 60) that failed
        (with ``status`` when given: an HTTP status, ``"4xx"``/``"5xx"``, or ``"any"``), over
        every attempt or those of ``provider``, ``model`` and ``connection`` (an id or a name
        of the environment's connections) when given. 0 without attempts."""
        since = self.minute() - int(min(max(window, 1), MAX_WINDOW_MINUTES)) + 1
        if connection is not None:
            connection = self._connection_ids.get(connection, connection)
        query: _Query = (since, status, provider, model, connection)
        shared = self._cache.get(query)
        if shared is None:
            # The snapshot changes once per sync: its share of a query is worked out once.
            shared = _tally(self._snapshot, query)
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[query] = shared
        sending = _tally(self._sending, query) if self._sending else (0, 0)
        pending = _tally(self._pending, query)
        total = shared[0] + sending[0] + pending[0]
        failed = shared[1] + sending[1] + pending[1]
        return 100.0 * failed / total if total else 0.0

    # -- sharing ---------------------------------------------------------------------------

    async def sync(self, limiter: CapacityLimiter | None) -> None:
        """Share the pending counts through ``limiter`` and take every process's counts as
        the new snapshot (without a limiter: keep them in this process). Never raises: when
        the limiter fails, the counts wait for the next sync (logged once)."""
        if self._syncing:
            return
        self._syncing = True
        try:
            self._sending, self._pending = self._pending, {}
            since = self.minute() - MAX_WINDOW_MINUTES + 1
            if limiter is None:
                kept = {m: dict(c) for m, c in self._snapshot.items() if m >= since}
                _merge(kept, self._sending)
                self._install(kept)
                return
            counts = [
                OutcomeCount(minute, provider, model, connection, status, count)
                for minute, bucket in self._sending.items()
                for (provider, model, connection, status), count in bucket.items()
            ]
            try:
                shared = await limiter.share_outcomes(
                    self.environment_id, counts, since_minute=since
                )
            except asyncio.CancelledError:
                self._give_back()
                raise
            except Exception as exc:  # a limiter must not raise here; routing goes on anyway
                self._give_back()
                if not self._failing:
                    self._failing = True
                    log.warning(
                        "error rates of environment %s cannot be shared through limiter %r "
                        "(%s: %s); they are kept in this process until it answers",
                        self.environment_id,
                        limiter.name,
                        type(exc).__name__,
                        exc,
                    )
                return
            if self._failing:
                self._failing = False
                log.info("error rates of environment %s are shared again", self.environment_id)
            snapshot: _Minutes = {}
            for count in shared:
                if count.minute >= since:
                    bucket = snapshot.setdefault(count.minute, {})
                    key = (count.provider, count.model, count.connection, count.status)
                    bucket[key] = bucket.get(key, 0) + count.count
            self._install(snapshot)
        finally:
            self._syncing = False

    def _install(self, snapshot: _Minutes) -> None:
        """The new snapshot, which holds what was being sent."""
        self._snapshot = snapshot
        self._sending = {}
        self._cache = {}

    def _give_back(self) -> None:
        """The sync failed: what it was sending is pending again."""
        _merge(self._pending, self._sending)
        self._sending = {}


def environment_limiter(environment: EnvironmentRuntime) -> CapacityLimiter | None:
    """The limiter of ``environment``'s snapshot (:func:`~switchboard.dataplane.limits.
    choose_limiter` of its plugins), which holds its capacity counters too."""
    return environment.limiter


class ErrorRateBook:
    """The :class:`ErrorRates` of every environment this process serves, kept shared.

    ``clock`` gives unix seconds (tests move it); ``interval`` is the seconds between syncs.
    """

    def __init__(
        self, *, clock: Clock = time.time, interval: float = SYNC_INTERVAL_SECONDS
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._rates: dict[str, ErrorRates] = {}
        self._task: asyncio.Task[None] | None = None
        self._sources: tuple[EnvironmentOf, LimiterOf] | None = None
        self._unreadable: set[str] = set()

    def for_environment(
        self, environment_id: str, connections: Sequence[ConnectionConfig] | None = None
    ) -> ErrorRates:
        """The rates of ``environment_id`` (created empty on first use); ``connections``,
        the environment's, lets rules name a connection instead of giving its id."""
        rates = self._rates.get(environment_id)
        if rates is None:
            rates = self._rates[environment_id] = ErrorRates(environment_id, clock=self._clock)
        rates.used_at = time.monotonic()
        if connections is not None:
            rates.know_connections(connections)
        return rates

    def record(
        self,
        environment_id: str | None,
        provider: str,
        model: str,
        connection: str,
        status: int,
    ) -> None:
        """Count one attempt in ``environment_id``'s rates (see :meth:`ErrorRates.record`);
        an attempt outside any environment (``None``) feeds no routing and is not counted."""
        if environment_id is not None:
            self.for_environment(environment_id).record(provider, model, connection, status)

    def environments(self) -> list[str]:
        """The environments whose rates this process holds."""
        return list(self._rates)

    # -- the background task -----------------------------------------------------------------

    def start(
        self, environment_of: EnvironmentOf, limiter_of: LimiterOf = environment_limiter
    ) -> None:
        """Sync every ``interval`` seconds; ``environment_of`` gives an environment's snapshot
        (it raises :class:`~switchboard.errors.NotFound` once the environment is deleted),
        ``limiter_of`` the limiter to share through."""
        self._sources = (environment_of, limiter_of)
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="switchboard-error-rates")

    async def aclose(self) -> None:
        """Stop syncing, after one last try (at most a second) to share what is pending."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.sync_all(only_unshared=True), timeout=1.0)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.sync_all()
            except Exception:  # pragma: no cover - sync_all handles what it expects
                log.exception("syncing error rates failed; trying again in %ss", self.interval)

    async def sync_all(self, *, only_unshared: bool = False) -> None:
        """Sync the environments used lately or holding unshared counts (only the latter
        with ``only_unshared``); forget the ones long unused and the deleted ones."""
        if self._sources is None:
            return
        environment_of, limiter_of = self._sources
        now = time.monotonic()
        for environment_id, rates in list(self._rates.items()):
            idle = now - rates.used_at
            if not rates.unshared:
                if idle > FORGET_AFTER_SECONDS:
                    del self._rates[environment_id]
                    continue
                if only_unshared or idle > IDLE_AFTER_SECONDS:
                    continue
            try:
                environment = await environment_of(environment_id)
                limiter = limiter_of(environment)
            except NotFound:
                self._rates.pop(environment_id, None)
                continue
            except Exception as exc:  # the database is down: the counts wait, rates still read
                if environment_id not in self._unreadable:
                    self._unreadable.add(environment_id)
                    log.warning(
                        "cannot read environment %s to share its error rates (%s: %s); "
                        "trying again every %ss",
                        environment_id,
                        type(exc).__name__,
                        exc,
                        self.interval,
                    )
                continue
            self._unreadable.discard(environment_id)
            rates.know_connections(environment.connections)
            await rates.sync(limiter)


def _tally(layer: _Minutes, query: _Query) -> tuple[int, int]:
    """(attempts, failures) of ``layer`` that ``query`` selects."""
    since, status, provider, model, connection = query
    total = failed = 0
    for minute, bucket in layer.items():
        if minute < since:
            continue
        for (at_provider, at_model, at_connection, code), count in bucket.items():
            if (
                (provider is not None and at_provider != provider)
                or (model is not None and at_model != model)
                or (connection is not None and at_connection != connection)
            ):
                continue
            total += count
            if code >= 400 and _matches(code, status):
                failed += count
    return total, failed


def _matches(code: int, status: str | int) -> bool:
    if status == "any":
        return True
    if isinstance(status, str) and len(status) == 3 and status.endswith("xx"):
        return str(code).startswith(status[0])
    return str(code) == str(status)


def _merge(into: _Minutes, counts: _Minutes) -> None:
    for minute, bucket in counts.items():
        target = into.setdefault(minute, {})
        for key, count in bucket.items():
            target[key] = target.get(key, 0) + count


def _drop_before(layer: _Minutes, minute: int) -> None:
    for old in [m for m in layer if m < minute]:
        del layer[old]
