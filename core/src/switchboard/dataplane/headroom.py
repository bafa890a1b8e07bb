"""Which connection has the most capacity left, without asking anyone.

When a model reference names no connection and several connections of its provider admit
the model, the pipeline tries them in order of headroom: the share of their tightest limit
left when last seen. Two sources feed it for free: every reservation's reply (the limiter
reports each window after counting, :attr:`Reservation.usage`) and the rate-limit headers
providers send back (discovered capacity). A reading is trusted until its window would
have freed something (its reset time, at most a minute); after that, or for a connection
never seen, the headroom is full. So traffic goes to the emptiest connection and spreads as
they fill, and a connection that was full is tried again once it may have room.

Readings are per process (with several processes each learns from its own traffic); the
limits themselves are exact either way, this only decides the order of trying.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from switchboard.dataplane.config import ConnectionConfig
from switchboard.interfaces import PeriodUsage
from switchboard.interfaces.provider import DiscoveredLimits

__all__ = ["Headroom"]

C = TypeVar("C", bound=ConnectionConfig)

_MAX_TRUST_SECONDS = 60.0


def _share(remaining: int | None, limit: int | None) -> float | None:
    if remaining is None or not limit:
        return None
    return max(min(remaining / limit, 1.0), 0.0)


class Headroom:
    """The last known share of capacity left per connection (and per connection and model)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._readings: dict[tuple[str, str], tuple[float, float]] = {}

    def _keep(self, key: tuple[str, str], share: float, reset_seconds: float) -> None:
        trust = min(max(reset_seconds, 0.0), _MAX_TRUST_SECONDS)
        self._readings[key] = (share, self._clock() + trust)

    def note_usage(self, connection_id: str, usage: Sequence[PeriodUsage]) -> None:
        """Learn from a reservation's windows (only the connection's own limits count)."""
        tightest: tuple[float, float] | None = None
        for window in usage:
            if window.check.level != "connection":
                continue
            for share in (
                _share(window.remaining_requests, window.check.requests),
                _share(window.remaining_tokens, window.check.tokens),
            ):
                if share is not None and (tightest is None or share < tightest[0]):
                    tightest = (share, window.reset_seconds)
        if tightest is not None:
            self._keep((connection_id, ""), *tightest)

    def note_discovered(self, connection_id: str, model: str, limits: DiscoveredLimits) -> None:
        """Learn from what the provider said is left for ``model``."""
        readings = [
            (share, reset or 0.0)
            for share, reset in (
                (
                    _share(limits.requests_remaining, limits.requests_limit),
                    limits.requests_reset_seconds,
                ),
                (_share(limits.tokens_remaining, limits.tokens_limit), limits.tokens_reset_seconds),
            )
            if share is not None
        ]
        if readings:
            self._keep((connection_id, model), *min(readings))

    def share(self, connection_id: str, model: str) -> float:
        """The share left (0 to 1) of the connection's tightest known limit for ``model``."""
        now = self._clock()
        share = 1.0
        for key in ((connection_id, ""), (connection_id, model)):
            reading = self._readings.get(key)
            if reading is not None and reading[1] > now:
                share = min(share, reading[0])
        return share

    def order(self, connections: Sequence[C], model: str) -> list[C]:
        """``connections`` with the most headroom first (ties keep their order)."""
        if len(connections) < 2:
            return list(connections)
        return sorted(connections, key=lambda c: -self.share(c.id, model))
