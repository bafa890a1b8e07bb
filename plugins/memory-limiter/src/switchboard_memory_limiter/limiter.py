"""The embedded capacity limiter: exact sliding logs (see :mod:`.window`) in one process.

Every operation runs without awaiting between its check and its update, under a lock, so
concurrent requests on one event loop (or on several threads) cannot both take the last
unit of capacity. Reservations are all or nothing across their checks. Limits hold for this
process only: several gateway processes need the ``redis-limiter``.

``clock`` (seconds, monotonic) is injectable so tests can move time; it is read as integer
microseconds.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Sequence

from switchboard.interfaces import (
    CapacityCheck,
    CapacityExhausted,
    CapacityLimiter,
    PeriodUsage,
    Reservation,
)
from switchboard_memory_limiter.window import Entry, SlidingLog

__all__ = ["MemoryCapacityLimiter"]

_MICROS = 1_000_000
_SWEEP_EVERY = 4096


class MemoryCapacityLimiter(CapacityLimiter):
    """Exact per-process limits on requests and tokens per period.

    A reservation is held until released or until it has left every window (forgotten in
    a sweep every few thousand reservations); reconcile may be called on it any number of
    times.
    """

    name = "memory"

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._logs: dict[tuple[str, str], SlidingLog] = {}
        self._held: dict[str, list[tuple[SlidingLog, Entry]]] = {}
        self._ids = itertools.count(1)

    def _now(self) -> int:
        return round(self._clock() * _MICROS)

    def _log(self, check: CapacityCheck, now: int) -> SlidingLog:
        key = (check.key, check.period)
        log = self._logs.get(key)
        if log is None:
            log = self._logs[key] = SlidingLog(check.period_seconds * _MICROS)
        log.prune(now)
        return log

    async def reserve(self, checks: Sequence[CapacityCheck]) -> Reservation:
        """Reserve one request and each check's ``cost_tokens`` in every check, or none."""
        with self._lock:
            now = self._now()
            taken: list[tuple[SlidingLog, Entry]] = []
            for check in checks:
                log = self._log(check, now)
                refusal = log.refusal(
                    now, requests=check.requests, tokens=check.tokens, cost=check.cost_tokens
                )
                if refusal is not None:
                    for held_log, entry in taken:
                        held_log.remove(entry)
                    raise CapacityExhausted(
                        check, retry_after=refusal.retry_us / _MICROS, dimension=refusal.dimension
                    )
                taken.append((log, log.add(now, check.cost_tokens)))
            usage = tuple(
                _period_usage(check, log, now)
                for check, (log, _) in zip(checks, taken, strict=True)
            )
            number = next(self._ids)
            token = f"mem:{number}"
            self._held[token] = taken
            if number % _SWEEP_EVERY == 0:
                self._sweep(now)
        return Reservation(checks=tuple(checks), token=token, usage=usage)

    async def reconcile(self, reservation: Reservation, *, tokens: int) -> None:
        """Set every check's tokens to ``tokens`` (may exceed the limit)."""
        with self._lock:
            for log, entry in self._held.get(reservation.token, ()):
                log.set_tokens(entry, tokens)

    async def release(self, reservation: Reservation) -> None:
        """Give back the request and the tokens still counted in every check."""
        with self._lock:
            for log, entry in self._held.pop(reservation.token, ()):
                log.remove(entry)

    async def usage(self, checks: Sequence[CapacityCheck]) -> list[PeriodUsage]:
        """Current use and what is left of each check's window."""
        with self._lock:
            now = self._now()
            return [_period_usage(check, self._log(check, now), now) for check in checks]

    def _sweep(self, now: int) -> None:
        """Forget unsettled reservations that have left every window, and empty logs."""
        for token, held in list(self._held.items()):
            if not any(entry.live for _, entry in held):
                del self._held[token]
        for key, log in list(self._logs.items()):
            log.prune(now)
            if not len(log):
                del self._logs[key]


def _period_usage(check: CapacityCheck, log: SlidingLog, now: int) -> PeriodUsage:
    return PeriodUsage.of(
        check, requests=log.requests, tokens=log.tokens, reset_seconds=log.reset_us(now) / _MICROS
    )
