"""Capacity for one request: reserve before each attempt, settle after it (DESIGN.md §8).

:class:`Admission` builds an attempt's checks (:mod:`switchboard.dataplane.limits`), broadest
first — API key, resource, plugins' own, then the connection — so a refusal names the limit
that matters: a key or resource at capacity stops the request (no other model would help), a
connection at capacity moves on to the next connection or model. All checks of an attempt are
one call to the environment's limiter (one Redis round trip with the ``redis-limiter``).

After the call the reservation is reconciled with the provider's reported usage, or released
when the call failed. The ``x-ratelimit-*`` headers describe the tightest limit of the last
reservation, in OpenAI's format; a 429 of the gateway's own names the limit and carries
``Retry-After``.

:class:`WaitLines` queue requests of resources with ``maxQueueWait`` in FIFO order per
process: the first in line retries, the others wait behind it; nobody waits longer than the
resource allows.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from switchboard.capacity import CapacityEntry
from switchboard.context import Principal
from switchboard.dataplane.config import (
    ApiKeyEntry,
    ConnectionConfig,
    EnvironmentRuntime,
    ResourceConfig,
)
from switchboard.dataplane.discovered import DiscoveredCapacity
from switchboard.dataplane.limits import (
    CompletionEstimates,
    TokenCost,
    discovered_checks,
    entry_checks,
    tightest,
)
from switchboard.errors import GatewayError, ServiceUnavailable
from switchboard.interfaces import (
    CapacityCheck,
    CapacityExhausted,
    CapacityLimiter,
    CapacityUnavailable,
    PeriodUsage,
    Reservation,
)
from switchboard.interfaces.provider import Upstream
from switchboard.routing import ModelRef

__all__ = [
    "Admission",
    "CapacityRefused",
    "Refusal",
    "Settlements",
    "WaitLines",
    "format_reset",
    "ratelimit_headers",
]


log = logging.getLogger(__name__)


def format_reset(seconds: float) -> str:
    """A duration as OpenAI writes ``x-ratelimit-reset-*``: ``20ms``, ``1.5s``, ``6m0s``."""
    if seconds < 1:
        return f"{max(math.ceil(seconds * 1000), 0)}ms"
    whole_minutes, rest = divmod(seconds, 60)
    hours, minutes = divmod(int(whole_minutes), 60)
    text = f"{rest:.3f}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{hours}h{minutes}m{text}"
    if minutes:
        return f"{minutes}m{text}"
    return text


def _scope(usage: PeriodUsage) -> str:
    return f"{usage.check.level}:{usage.check.period}"


def ratelimit_headers(usage: Sequence[PeriodUsage]) -> dict[str, str]:
    """``x-ratelimit-*`` for the tightest request and token limits among ``usage``.

    The names and formats are OpenAI's (so clients that read them work unchanged);
    ``x-switchboard-ratelimit-scope-*`` says which limit it is (``resource:minute``).
    """
    headers: dict[str, str] = {}
    chosen = tightest(usage)
    for dimension, found in (("requests", chosen.requests), ("tokens", chosen.tokens)):
        if found is None:
            continue
        check = found.check
        limit = check.requests if dimension == "requests" else check.tokens
        remaining = found.remaining_requests if dimension == "requests" else found.remaining_tokens
        headers[f"x-ratelimit-limit-{dimension}"] = str(limit)
        headers[f"x-ratelimit-remaining-{dimension}"] = str(remaining)
        headers[f"x-ratelimit-reset-{dimension}"] = format_reset(found.reset_seconds)
        headers[f"x-switchboard-ratelimit-scope-{dimension}"] = _scope(found)
    return headers


@dataclass(frozen=True, slots=True)
class Refusal:
    """An attempt the limiter refused: which model and connection, and why."""

    model: ModelRef
    connection: ConnectionConfig
    exhausted: CapacityExhausted

    @property
    def broad(self) -> bool:
        """Whether the limit holds for every model (key, resource or a plugin's own)."""
        return self.exhausted.check.level != "connection"

    def describe(self) -> str:
        """The limit in words: whose, how much, per what, and when it frees."""
        exhausted = self.exhausted
        check = exhausted.check
        limit = check.requests if exhausted.dimension == "requests" else check.tokens
        who = check.label or check.key
        if ":discovered:" in check.key:
            who = f"{who} (limit announced by {self.model.provider} for {self.model.model})"
        return (
            f"{check.level} {who!r} allows {limit} {exhausted.dimension} per {check.period} "
            f"(retry after {max(1, math.ceil(exhausted.retry_after))}s)"
        )


class CapacityRefused(GatewayError):
    """429: no model of the chain has capacity, or a key or resource limit is reached."""

    status_code = 429
    error_type = "rate_limit_error"

    def __init__(self, refusals: Sequence[Refusal], *, waited_ms: float = 0.0) -> None:
        broad = next((r for r in refusals if r.broad), None)
        if broad is not None:
            message = f"capacity exhausted: {broad.describe()}"
            retry_after = broad.exhausted.retry_after
            culprit = broad
        else:
            said = "; ".join(
                f"{r.model.provider}/{r.model.model} via {r.connection.name!r}: {r.describe()}"
                for r in refusals
            )
            message = f"every model in the chain is at capacity — {said}"
            culprit = min(refusals, key=lambda r: r.exhausted.retry_after)
            retry_after = culprit.exhausted.retry_after
        if waited_ms:
            message += f" (waited {waited_ms:.0f} ms in the resource's queue)"
        check = culprit.exhausted.check
        dimension = culprit.exhausted.dimension
        limit = check.requests if dimension == "requests" else check.tokens
        super().__init__(
            message,
            code="capacity_exhausted",
            headers={
                "retry-after": str(max(1, math.ceil(retry_after))),
                f"x-ratelimit-limit-{dimension}": str(limit),
                f"x-ratelimit-remaining-{dimension}": "0",
                f"x-ratelimit-reset-{dimension}": format_reset(retry_after),
                f"x-switchboard-ratelimit-scope-{dimension}": f"{check.level}:{check.period}",
            },
        )
        self.refusals = tuple(refusals)
        self.retry_after = retry_after


@dataclass
class Admission:
    """The capacity of one request across its attempts."""

    limiter: CapacityLimiter | None
    environment: EnvironmentRuntime
    resource: ResourceConfig
    key: ApiKeyEntry | None
    principal: Principal
    count_prompt: Callable[[], int]
    """Counts the prompt's tokens; called at most once, and only when a token limit applies."""
    expected_completion: int | None
    estimates: CompletionEstimates
    discovered: DiscoveredCapacity
    settlements: Settlements
    refusals: list[Refusal] = field(default_factory=list)
    usage: tuple[PeriodUsage, ...] = ()
    """The windows after the last reservation (for ``x-ratelimit-*``)."""
    _cost: TokenCost | None = None

    def cost(self) -> TokenCost:
        """The tokens an attempt reserves (counted once per request)."""
        if self._cost is None:
            expected = self.expected_completion
            self._cost = TokenCost(
                prompt=self.count_prompt(),
                completion=expected
                if expected is not None
                else self.estimates.expected(self.resource.id),
                estimated=expected is None,
            )
        return self._cost

    def checks(
        self, call: Upstream, model: ModelRef, connection: ConnectionConfig
    ) -> list[CapacityCheck]:
        """The attempt's checks, broadest first."""
        needs_tokens = self._needs_tokens(connection)
        cost = self.cost() if needs_tokens else TokenCost(0, 0, estimated=True)
        checks: list[CapacityCheck] = []
        key = self.key
        if key is not None and key.enforce_capacity:
            checks += entry_checks("api-key", key.id, key.capacity, cost, key.name)
        resource = self.resource
        if resource.enforce_capacity:
            checks += entry_checks("resource", resource.id, resource.capacity, cost, resource.name)
        hooks = self.environment.plugins.hooks
        checks += hooks.capacity_checks(call=call, principal=self.principal)
        checks += entry_checks(
            "connection", connection.id, connection.capacity, cost, connection.name
        )
        if connection.enforce_discovered_capacity:
            announced = self.discovered.limits(connection, model.model)
            checks += discovered_checks(
                connection.id, model.model, announced, cost, connection.name
            )
        return checks

    def _entries(self, connection: ConnectionConfig) -> list[CapacityEntry]:
        """The configured limits an attempt on ``connection`` is held to."""
        entries = [*connection.capacity]
        if self.resource.enforce_capacity:
            entries += self.resource.capacity
        if self.key is not None and self.key.enforce_capacity:
            entries += self.key.capacity
        return entries

    def _open_ended(self, connection: ConnectionConfig) -> bool:
        """Whether limits beyond the configured ones may apply (the provider's announced
        limits, plugins' checks): they may count tokens too."""
        return connection.enforce_discovered_capacity or self.environment.plugins.hooks.implemented(
            "switchboard_capacity_checks"
        )

    def _limited(self, connection: ConnectionConfig) -> bool:
        """Whether anything may limit an attempt on ``connection`` (most answers: no)."""
        return bool(self._entries(connection)) or self._open_ended(connection)

    def _needs_tokens(self, connection: ConnectionConfig) -> bool:
        if self._cost is not None:
            return True
        return any(e.tokens is not None for e in self._entries(connection)) or self._open_ended(
            connection
        )

    async def reserve(
        self, call: Upstream, model: ModelRef, connection: ConnectionConfig
    ) -> Reservation | None:
        """Reserve the attempt's checks (``None``: nothing limits it).

        Raises :class:`CapacityExhausted` (recorded in :attr:`refusals`) or a 503 when the
        limiter fails closed.
        """
        if self.limiter is None or not self._limited(connection):
            return None
        checks = self.checks(call, model, connection)
        if not checks:
            return None
        try:
            reservation = await self.limiter.reserve(checks)
        except CapacityExhausted as exhausted:
            self.refusals.append(Refusal(model, connection, exhausted))
            raise
        except CapacityUnavailable as exc:
            raise ServiceUnavailable(str(exc), code="capacity_unavailable") from None
        self.usage = reservation.usage
        return reservation

    def settle(
        self, reservation: Reservation | None, prompt: int, completion: int, *, typical: bool = True
    ) -> None:
        """Replace the reserved tokens with what the provider reported using.

        Sent off the request path (the answer does not wait for it), and only when a limit
        counts tokens: requests alone need no settling. ``typical=False`` (an answer cut
        short by its client) keeps ``completion`` out of the resource's expected length.
        """
        if typical:
            self.estimates.observe(self.resource.id, completion)
        if (
            reservation is not None
            and self.limiter is not None
            and any(check.tokens is not None for check in reservation.checks)
        ):
            self.settlements.start(self.limiter.reconcile(reservation, tokens=prompt + completion))

    async def release(self, reservation: Reservation | None) -> None:
        """Give back a failed attempt's reservation."""
        if reservation is not None and self.limiter is not None:
            await self.limiter.release(reservation)

    def headers(self) -> dict[str, str]:
        """``x-ratelimit-*`` of the last reservation (empty when nothing limited it)."""
        return ratelimit_headers(self.usage) if self.usage else {}


class Settlements:
    """Reconciliations running after their answers were sent; awaited at shutdown."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, settling: Coroutine[Any, Any, None]) -> None:
        """Run ``settling`` in the background (a failure is logged, never raised)."""
        task = asyncio.get_running_loop().create_task(settling)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("could not reconcile a reservation: %s", task.exception())

    async def aclose(self) -> None:
        """Wait for the reconciliations still running."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


class WaitLines:
    """FIFO lines of requests waiting for a resource's capacity, in this process.

    ``asyncio.Lock`` hands itself to its waiters in arrival order, so the lock of a resource
    is its line: the holder retries the chain, the others wait their turn. One lock is kept
    per resource that ever had a queue setting (a few hundred bytes each).
    """

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    def busy(self, resource_id: str) -> bool:
        """Whether someone is already waiting for this resource (newcomers queue behind)."""
        lock = self._locks.get(resource_id)
        return lock is not None and lock.locked()

    async def wait_turn(self, resource_id: str, patience: float) -> asyncio.Lock | None:
        """Wait up to ``patience`` seconds to be first in line; the lock to release when
        done, or ``None`` when the wait ran out."""
        lock = self._locks.setdefault(resource_id, asyncio.Lock())
        try:
            await asyncio.wait_for(lock.acquire(), timeout=max(patience, 0.0))
        except TimeoutError:
            return None
        return lock
