"""Which capacity limits hold for an attempt, and what it reserves (DESIGN.md §8).

Connection capacity always applies and is counted once for every resource that uses the
connection (counter ``connection:<id>``); a connection that enforces its discovered capacity
adds the provider's announced limits per model (``connection:<id>:discovered:<model>``).
Resource and API-key capacity apply when their ``enforceCapacity`` is on (``resource:<id>``,
``api-key:<id>``). Plugins add their own through ``switchboard_capacity_checks``.

An attempt reserves one request and its expected tokens: the prompt's counted tokens plus the
completion budget the caller set (``max_completion_tokens`` / ``max_tokens``), or, without
one, an estimate learned from the resource's recent answers. An estimate never makes a
request impossible: it is capped at what is left of the token limit after the prompt.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from switchboard.capacity import CapacityEntry
from switchboard.interfaces import CapacityCheck, CapacityLimiter, PeriodUsage
from switchboard.interfaces.limiter import Level
from switchboard.interfaces.provider import DiscoveredLimits
from switchboard.plugins.registry import Registry
from switchboard.plugins.selection import EnvironmentPlugins

__all__ = [
    "CompletionEstimates",
    "Tightest",
    "TokenCost",
    "choose_limiter",
    "counter_key",
    "discovered_checks",
    "entry_checks",
    "tightest",
]

DEFAULT_COMPLETION_ESTIMATE = 256
"""Completion tokens expected of a resource before it has answered anything."""


def choose_limiter(registry: Registry, plugins: EnvironmentPlugins) -> CapacityLimiter | None:
    """The environment's limiter: the enabled one with the highest priority, configured."""
    enabled = registry.capacity_limiters.available(plugins.enabled)
    if not enabled:
        return None
    best = max(enabled, key=lambda limiter: limiter.priority)
    return best.for_environment(plugins)


@dataclass(frozen=True, slots=True)
class TokenCost:
    """What an attempt expects to use: the prompt, and the completion (``estimated`` when
    the caller set no budget)."""

    prompt: int
    completion: int
    estimated: bool

    def for_limit(self, limit: int | None) -> int:
        """Tokens to reserve against ``limit``: an estimate is capped to what can fit."""
        total = self.prompt + self.completion
        if limit is None or not self.estimated:
            return total
        return min(total, max(limit, self.prompt))


def counter_key(level: Level, owner_id: str) -> str:
    """The counter of one owner's limits: ``connection:<id>``, ``resource:<id>``, ..."""
    return f"{level}:{owner_id}"


def entry_checks(
    level: Level, owner_id: str, entries: Iterable[CapacityEntry], cost: TokenCost, label: str = ""
) -> list[CapacityCheck]:
    """One check per configured period of the owner's counter (``label``: its name)."""
    key = counter_key(level, owner_id)
    return [
        CapacityCheck(
            level=level,
            key=key,
            period=entry.period,
            requests=entry.requests,
            tokens=entry.tokens,
            cost_tokens=cost.for_limit(entry.tokens),
            label=label,
        )
        for entry in entries
    ]


def discovered_checks(
    connection_id: str,
    model: str,
    limits: DiscoveredLimits | None,
    cost: TokenCost,
    label: str = "",
) -> list[CapacityCheck]:
    """Checks for the limits a provider announced for ``model`` (its own periods)."""
    if limits is None:
        return []
    by_period: dict[str, tuple[int | None, int | None]] = {}
    if limits.requests_limit:
        by_period[limits.requests_period] = (limits.requests_limit, None)
    if limits.tokens_limit:
        requests = by_period.get(limits.tokens_period, (None, None))[0]
        by_period[limits.tokens_period] = (requests, limits.tokens_limit)
    return entry_checks(
        "connection",
        f"{connection_id}:discovered:{model}",
        (
            CapacityEntry(period=period, requests=requests, tokens=tokens)  # type: ignore[arg-type]
            for period, (requests, tokens) in by_period.items()
        ),
        cost,
        label,
    )


@dataclass(frozen=True, slots=True)
class Tightest:
    """The limits closest to exhaustion, one per dimension (``None``: none applies)."""

    requests: PeriodUsage | None
    tokens: PeriodUsage | None


def tightest(usage: Sequence[PeriodUsage]) -> Tightest:
    """The check with the fewest requests left and the one with the fewest tokens left
    (ties: the one that resets last, as that one binds longer)."""
    requests = [u for u in usage if u.remaining_requests is not None]
    tokens = [u for u in usage if u.remaining_tokens is not None]
    return Tightest(
        requests=min(requests, key=lambda u: (u.remaining_requests, -u.reset_seconds))
        if requests
        else None,
        tokens=min(tokens, key=lambda u: (u.remaining_tokens, -u.reset_seconds))
        if tokens
        else None,
    )


class CompletionEstimates:
    """Completion tokens to expect per resource when a request sets no ``max_tokens``.

    A moving average of the resource's recent answers (each new answer weighs 1/16), kept in
    process: it only sizes reservations, which are reconciled with real usage anyway.
    """

    _WEIGHT = 1 / 16

    def __init__(self, initial: int = DEFAULT_COMPLETION_ESTIMATE) -> None:
        self.initial = initial
        self._average: dict[str, float] = {}

    def expected(self, resource_id: str) -> int:
        """Completion tokens to reserve for a request to ``resource_id``."""
        return round(self._average.get(resource_id, self.initial))

    def observe(self, resource_id: str, completion_tokens: int) -> None:
        """Learn from one answer's completion tokens."""
        average = self._average.get(resource_id)
        if average is None:
            self._average[resource_id] = float(completion_tokens)
        else:
            self._average[resource_id] = average + (completion_tokens - average) * self._WEIGHT
