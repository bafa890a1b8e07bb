"""The Redis capacity limiter: exact limits shared by every process, one round trip each.

Each reserve, reconcile, release or usage is one ``EVALSHA`` of :mod:`.script` over all the
checks' keys, all in the ``{sb}`` hash slot, with Redis's clock. Semantics are the memory
limiter's, exactly (both pass :mod:`switchboard.testing.limiter_contract`). The calls of
concurrent requests share pipelines (auto-pipelining), and ``SWITCHBOARD_REDIS_CLUSTER``
switches to a Redis Cluster client: see :mod:`.connection`.

When Redis cannot be reached, the environment's ``failMode`` decides: ``open`` reserves in a
per-process :class:`~switchboard_memory_limiter.MemoryCapacityLimiter` (limits then hold per
process only; the outage is logged once and every such call counted), ``closed`` raises
:class:`~switchboard.interfaces.CapacityUnavailable` naming Redis. Reconcile and release are
best effort in both modes: a reservation made in Redis that cannot be settled during an
outage expires with its window. Reservations made in the fallback are settled there.

The limiter is registered once per process with default settings; :meth:`configured` gives
the view for an environment's settings, sharing the connection and the fallback.

It also keeps routing's error-rate windows (:meth:`share_outcomes`, :mod:`.outcomes`): one
more small script, once a second per environment and process, always failing open.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from switchboard.interfaces import (
    CapacityCheck,
    CapacityExhausted,
    CapacityLimiter,
    CapacityUnavailable,
    OutcomeCount,
    PeriodUsage,
    Reservation,
)
from switchboard.plugins.selection import EnvironmentPlugins
from switchboard_memory_limiter import MemoryCapacityLimiter
from switchboard_redis_limiter.config import RedisLimiterSettings
from switchboard_redis_limiter.connection import RedisScript, RedisUnavailable
from switchboard_redis_limiter.outcomes import SharedOutcomes
from switchboard_redis_limiter.script import keys_for

__all__ = ["RedisCapacityLimiter"]

_MICROS = 1_000_000
_FALLBACK = "mem:"
PLUGIN_NAME = "redis-limiter"


class RedisCapacityLimiter(CapacityLimiter):
    """Capacity limits kept in Redis; see the module docstring for failure handling.

    ``time_offset`` (seconds) is test-only: it is added to Redis's clock in the script so the
    contract suite can move time; production leaves it at ``0``.
    """

    name = "redis"
    priority = 10

    def __init__(
        self,
        url: str,
        settings: RedisLimiterSettings | None = None,
        *,
        cluster: bool = False,
        retry_interval: float = 1.0,
        timeout: float = 1.0,
        time_offset: float = 0.0,
        _redis: RedisScript | None = None,
        _fallback: MemoryCapacityLimiter | None = None,
    ) -> None:
        self.settings = settings or RedisLimiterSettings()
        self.redis = _redis or RedisScript(
            url, cluster=cluster, retry_interval=retry_interval, timeout=timeout
        )
        self.fallback = _fallback or MemoryCapacityLimiter()
        self.time_offset = time_offset
        self.outcomes = SharedOutcomes(self.redis, self.settings.key_prefix)
        self._views: dict[RedisLimiterSettings, RedisCapacityLimiter] = {}

    def configured(self, settings: RedisLimiterSettings) -> RedisCapacityLimiter:
        """This limiter with an environment's settings (same connection and fallback)."""
        if settings == self.settings:
            return self
        view = self._views.get(settings)
        if view is None:
            view = self._views[settings] = RedisCapacityLimiter(
                self.redis.url,
                settings,
                time_offset=self.time_offset,
                _redis=self.redis,
                _fallback=self.fallback,
            )
        return view

    def for_environment(self, environment: EnvironmentPlugins) -> RedisCapacityLimiter:
        """This limiter with the ``redis-limiter`` settings of ``environment``."""
        return self.configured(environment.settings_for(PLUGIN_NAME, RedisLimiterSettings))

    def _keys(self, checks: Sequence[CapacityCheck]) -> list[str | bytes]:
        keys: list[str | bytes] = []
        for check in checks:
            keys.extend(keys_for(self.settings.key_prefix, check.period, check.key))
        return keys

    def _args(
        self, op: str, checks: Sequence[CapacityCheck], member: str = "", tokens: int = 0
    ) -> list[str | bytes | int]:
        """The script's three arguments (see :mod:`.script`): the numbers as one string."""
        numbers = [round(self.time_offset * _MICROS), tokens]
        for check in checks:
            numbers += (
                check.period_seconds * _MICROS,
                -1 if check.requests is None else check.requests,
                -1 if check.tokens is None else check.tokens,
                max(check.cost_tokens, 0),
            )
        return [op, member, " ".join(map(str, numbers))]

    def _unavailable(self, reason: RedisUnavailable) -> CapacityUnavailable:
        return CapacityUnavailable(f"capacity limits cannot be checked: {reason}")

    async def reserve(self, checks: Sequence[CapacityCheck]) -> Reservation:
        """Reserve in one script run, all or nothing; see the module for Redis failures."""
        checks = tuple(checks)
        member = uuid.uuid4().hex
        try:
            reply: list[Any] = await self.redis.run(
                self._keys(checks), self._args("reserve", checks, member)
            )
        except RedisUnavailable as exc:
            if self.settings.fail_mode == "closed":
                raise self._unavailable(exc) from exc
            return await self.fallback.reserve(checks)
        if int(reply[0]) == 1:
            return Reservation(checks=checks, token=member, usage=_usage(checks, reply[2:]))
        index, dimension, retry_us = int(reply[1]), _text(reply[2]), int(reply[3])
        raise CapacityExhausted(
            checks[index - 1], retry_after=retry_us / _MICROS, dimension=dimension
        )

    async def reconcile(self, reservation: Reservation, *, tokens: int) -> None:
        """Set every check's tokens to ``tokens`` (may exceed the limit)."""
        if reservation.token.startswith(_FALLBACK):
            await self.fallback.reconcile(reservation, tokens=tokens)
            return
        checks = reservation.checks
        args = self._args("reconcile", checks, reservation.token, max(tokens, 0))
        try:
            await self.redis.run(self._keys(checks), args)
        except RedisUnavailable:
            return

    async def release(self, reservation: Reservation) -> None:
        """Give back the request and the tokens of every check."""
        if reservation.token.startswith(_FALLBACK):
            await self.fallback.release(reservation)
            return
        checks = reservation.checks
        try:
            await self.redis.run(
                self._keys(checks), self._args("release", checks, reservation.token)
            )
        except RedisUnavailable:
            return

    async def usage(self, checks: Sequence[CapacityCheck]) -> list[PeriodUsage]:
        """Current use of each check's window, as Redis counts it."""
        try:
            reply: list[Any] = await self.redis.run(self._keys(checks), self._args("usage", checks))
        except RedisUnavailable as exc:
            if self.settings.fail_mode == "closed":
                raise self._unavailable(exc) from exc
            return await self.fallback.usage(checks)
        return list(_usage(checks, reply))

    async def share_outcomes(
        self, namespace: str, counts: Sequence[OutcomeCount], *, since_minute: int
    ) -> list[OutcomeCount]:
        """Share routing's error-rate windows in Redis, one script run; always fails open,
        whatever ``failMode`` says (see :mod:`.outcomes`)."""
        return await self.outcomes.share(namespace, counts, since_minute=since_minute)

    async def aclose(self) -> None:
        """Close the shared connection pool."""
        await self.redis.aclose()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _usage(checks: Sequence[CapacityCheck], reply: list[Any]) -> tuple[PeriodUsage, ...]:
    """The script's three integers per check (requests, tokens, µs to reset) as usage."""
    return tuple(
        PeriodUsage.of(
            check,
            requests=int(reply[3 * i]),
            tokens=int(reply[3 * i + 1]),
            reset_seconds=int(reply[3 * i + 2]) / _MICROS,
        )
        for i, check in enumerate(checks)
    )
