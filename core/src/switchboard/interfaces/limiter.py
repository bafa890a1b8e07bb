"""Capacity limiters: all-or-nothing reservations of requests and tokens.

The core builds the list of :class:`CapacityCheck` for one attempt (connection always,
resource and API key when their ``enforceCapacity`` is on, plus any the
``switchboard_capacity_checks`` hook adds) and asks the environment's limiter to reserve them
in one step. A minimal single-process limiter, counting requests only, fixed windows (for
illustration: real limiters must use an accurate window)::

    class CountingLimiter(CapacityLimiter):
        name = "counting"

        def __init__(self) -> None:
            self.used: dict[str, int] = {}

        async def reserve(self, checks):
            for check in checks:
                if check.requests is not None and self.used.get(check.key, 0) >= check.requests:
                    raise CapacityExhausted(check, retry_after=60.0)
            for check in checks:
                self.used[check.key] = self.used.get(check.key, 0) + 1
            return Reservation(checks=tuple(checks))

        async def reconcile(self, reservation, *, tokens): ...
        async def release(self, reservation):
            for check in reservation.checks:
                self.used[check.key] -= 1
        async def usage(self, checks):
            return [PeriodUsage(check=c, requests=self.used.get(c.key, 0), tokens=0)
                    for c in checks]

Limiters also hold the windows of routing's ``errorRate()`` (outcome counts per minute, per
connection and model): :meth:`CapacityLimiter.share_outcomes`, which a single-process limiter
need not override.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, ClassVar, Literal

import msgspec

if TYPE_CHECKING:
    from switchboard.plugins.selection import EnvironmentPlugins

__all__ = [
    "CapacityCheck",
    "CapacityExhausted",
    "CapacityLimiter",
    "CapacityUnavailable",
    "OutcomeCount",
    "OutcomeWindows",
    "PeriodUsage",
    "Reservation",
]

Period = Literal["minute", "hour", "day", "week", "month"]
Level = Literal["connection", "resource", "api-key", "custom"]

PERIOD_SECONDS: dict[str, int] = {
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 7 * 86400,
    "month": 30 * 86400,
}


class CapacityCheck(msgspec.Struct, frozen=True, kw_only=True):
    """One limit to hold for one attempt.

    ``key`` identifies the counter (e.g. ``connection:<id>``); ``requests`` / ``tokens`` are
    the limits per ``period`` (``None``: not limited); ``cost_tokens`` is what this attempt
    reserves; ``label`` names the limit's owner for people (a connection's name), in errors.
    """

    level: Level
    key: str
    period: Period
    requests: int | None = None
    tokens: int | None = None
    cost_tokens: int = 0
    label: str = ""

    @property
    def period_seconds(self) -> int:
        """The length of the window in seconds (a month counts as 30 days)."""
        return PERIOD_SECONDS[self.period]


class PeriodUsage(msgspec.Struct, frozen=True, kw_only=True):
    """Current use of one check's window.

    ``remaining_requests`` / ``remaining_tokens``: what is left of each limit (``None`` when
    not limited; ``0`` when over it after a reconcile). ``reset_seconds``: seconds until the
    oldest counted reservation leaves the window (``0.0`` when the window is empty).
    """

    check: CapacityCheck
    requests: int
    tokens: int
    remaining_requests: int | None = None
    remaining_tokens: int | None = None
    reset_seconds: float = 0.0

    @classmethod
    def of(
        cls, check: CapacityCheck, *, requests: int, tokens: int, reset_seconds: float
    ) -> PeriodUsage:
        """The usage of ``check``'s window, with what is left of each limit worked out."""
        return cls(
            check=check,
            requests=requests,
            tokens=tokens,
            remaining_requests=None
            if check.requests is None
            else max(check.requests - requests, 0),
            remaining_tokens=None if check.tokens is None else max(check.tokens - tokens, 0),
            reset_seconds=reset_seconds,
        )


def _left(limit: int | None, used: int) -> int | None:
    """What is left of ``limit`` (never negative), ``None`` when unlimited."""
    return None if limit is None else max(limit - used, 0)


class Reservation(msgspec.Struct, frozen=True, kw_only=True):
    """What a successful :meth:`CapacityLimiter.reserve` holds until reconciled or released.

    ``token`` identifies the reservation to the limiter that made it. ``usage`` is each
    check's window just after this reservation was counted (same order as ``checks``), so the
    gateway can send ``x-ratelimit-*`` headers without asking again; empty when the limiter
    does not report it.
    """

    checks: tuple[CapacityCheck, ...]
    token: str = ""
    usage: tuple[PeriodUsage, ...] = ()


class CapacityExhausted(Exception):
    """A check would go over its limit; nothing was reserved.

    ``retry_after`` is the number of seconds after which the same reservation could succeed.
    """

    def __init__(self, check: CapacityCheck, *, retry_after: float, dimension: str = "requests"):
        self.check = check
        self.retry_after = retry_after
        self.dimension = dimension
        limit = check.requests if dimension == "requests" else check.tokens
        super().__init__(
            f"{check.level} capacity exhausted: {limit} {dimension} per {check.period} "
            f"(retry after {math.ceil(retry_after)}s)"
        )


class CapacityUnavailable(Exception):
    """The limiter cannot decide (its shared store, e.g. Redis, is unreachable) and fails closed.

    The message names the cause; the gateway answers 503 with it.
    """


OUTCOME_MINUTES = 60
"""Minutes of outcome counts routing reads at most (``errorRate(window)`` is 1 to 60)."""


class OutcomeCount(msgspec.Struct, frozen=True):
    """How many attempts of one kind ended in one minute, for routing's ``errorRate()``.

    ``minute`` is ``unix time // 60`` on the clock of the process that recorded the attempts;
    ``connection`` is the connection's id; ``status`` the HTTP status the attempt got (2xx: a
    success; a timeout or network failure counts as the gateway answers it, 504 or 502).
    """

    minute: int
    provider: str
    model: str
    connection: str
    status: int
    count: int


OutcomeKey = tuple[str, str, str, int]
"""(provider, model, connection, status) of an :class:`OutcomeCount`."""


class OutcomeWindows:
    """Outcome counts per minute, summed per (provider, model, connection, status).

    Bounded: minutes more than :data:`OUTCOME_MINUTES` before the newest one seen (in counts
    added or asked for) are dropped, so it never holds more than 61 minutes.
    """

    __slots__ = ("_minutes", "_newest")

    def __init__(self) -> None:
        self._minutes: dict[int, dict[OutcomeKey, int]] = {}
        self._newest: int | None = None

    def __bool__(self) -> bool:
        return bool(self._minutes)

    def add(self, counts: Iterable[OutcomeCount]) -> None:
        """Add ``counts`` to what is held."""
        newest = self._newest
        for count in counts:
            bucket = self._minutes.setdefault(count.minute, {})
            key = (count.provider, count.model, count.connection, count.status)
            bucket[key] = bucket.get(key, 0) + count.count
            if newest is None or count.minute > newest:
                newest = count.minute
        self._advance(newest)

    def since(self, minute: int | None = None) -> list[OutcomeCount]:
        """Every count of minutes ``>= minute`` (all without one); asking for a minute also
        ages out those more than :data:`OUTCOME_MINUTES` before it."""
        if minute is not None:
            self._advance(minute if self._newest is None else max(self._newest, minute))
        return [
            OutcomeCount(at, provider, model, connection, status, count)
            for at, bucket in sorted(self._minutes.items())
            if minute is None or at >= minute
            for (provider, model, connection, status), count in bucket.items()
        ]

    def _advance(self, newest: int | None) -> None:
        if newest is None or newest == self._newest:
            return
        self._newest = newest
        for minute in [m for m in self._minutes if m < newest - OUTCOME_MINUTES]:
            del self._minutes[minute]


class CapacityLimiter(abc.ABC):
    """Reserves capacity before a provider call and settles it afterwards.

    ``priority`` decides between several limiters enabled in one environment: the highest
    wins (the embedded memory limiter has ``0``, so switching on a shared backend is enough).
    """

    name: ClassVar[str]
    priority: ClassVar[int] = 0
    _outcomes: dict[str, OutcomeWindows] | None = None

    def for_environment(self, environment: EnvironmentPlugins) -> CapacityLimiter:
        """This limiter as configured by ``environment``'s plugin settings (default: itself)."""
        return self

    @abc.abstractmethod
    async def reserve(self, checks: Sequence[CapacityCheck]) -> Reservation:
        """Reserve one request and each check's ``cost_tokens``, all or nothing.

        Raises :class:`CapacityExhausted` for the first check that does not fit.
        """

    @abc.abstractmethod
    async def reconcile(self, reservation: Reservation, *, tokens: int) -> None:
        """Replace the reserved token count with what the provider reported using."""

    @abc.abstractmethod
    async def release(self, reservation: Reservation) -> None:
        """Give back a reservation whose call failed before using capacity."""

    @abc.abstractmethod
    async def usage(self, checks: Sequence[CapacityCheck]) -> list[PeriodUsage]:
        """Current use of each check's window, for the capacity endpoints."""

    async def share_outcomes(
        self, namespace: str, counts: Sequence[OutcomeCount], *, since_minute: int
    ) -> list[OutcomeCount]:
        """Add this process's new outcome counts to the shared windows of ``namespace`` (an
        environment id) and return every process's counts for minutes ``>= since_minute``.

        The gateway calls it about once a second per environment, off the request path, with
        the counts recorded since its previous call; routing's ``errorRate()`` then reads the
        answer as its snapshot. Each count must be added exactly once, and this must never
        raise: the counts only feed routing, so a limiter whose store is unreachable keeps
        them to share on a later call and answers from what it has (always failing open,
        whatever its ``failMode`` for capacity).

        The default suits single-process limiters: the windows live in this instance
        (bounded to the last :data:`OUTCOME_MINUTES` minutes). A limiter whose counters are
        shared between processes overrides it to share these too.
        """
        if self._outcomes is None:
            self._outcomes = {}
        windows = self._outcomes.setdefault(namespace, OutcomeWindows())
        windows.add(counts)
        return windows.since(since_minute)

    async def aclose(self) -> None:  # noqa: B027 - optional to override
        """Release connections; called once at shutdown."""
