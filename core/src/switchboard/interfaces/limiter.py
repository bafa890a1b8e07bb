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
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import ClassVar, Literal

import msgspec

__all__ = [
    "CapacityCheck",
    "CapacityExhausted",
    "CapacityLimiter",
    "CapacityUnavailable",
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
    reserves.
    """

    level: Level
    key: str
    period: Period
    requests: int | None = None
    tokens: int | None = None
    cost_tokens: int = 0

    @property
    def period_seconds(self) -> int:
        """The length of the window in seconds (a month counts as 30 days)."""
        return PERIOD_SECONDS[self.period]


class Reservation(msgspec.Struct, frozen=True, kw_only=True):
    """What a successful :meth:`CapacityLimiter.reserve` holds until reconciled or released.

    ``token`` identifies the reservation to the limiter that made it.
    """

    checks: tuple[CapacityCheck, ...]
    token: str = ""


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


class CapacityExhausted(Exception):
    """A check would go over its limit; nothing was reserved.

    ``retry_after`` is the number of seconds after which the same reservation could succeed.
    """

    def __init__(self, check: CapacityCheck, *, retry_after: float, dimension: str = "requests"):
        self.check = check
        self.retry_after = retry_after
        self.dimension = dimension
        super().__init__(
            f"{check.level} capacity exhausted: {dimension} per {check.period} "
            f"(retry after {retry_after:.0f}s)"
        )


class CapacityUnavailable(Exception):
    """The limiter cannot decide (its shared store, e.g. Redis, is unreachable) and fails closed.

    The message names the cause; the gateway answers 503 with it.
    """


class CapacityLimiter(abc.ABC):
    """Reserves capacity before a provider call and settles it afterwards."""

    name: ClassVar[str]

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

    async def aclose(self) -> None:  # noqa: B027 - optional to override
        """Release connections; called once at shutdown."""
