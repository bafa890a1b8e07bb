"""``GET .../{connections,resources,api-keys}/{key}/capacity``: current use and what is left.

For each configured period of the object the answer shows the limit, what the environment's
capacity limiter has counted in the current window and what remains, per dimension
(requests, tokens), and when the oldest counted reservation leaves the window. The counters
are the data plane's own (``connection:<id>``, ``resource:<id>``, ``api-key:<id>``; see
:mod:`switchboard.dataplane.limits`), read with :meth:`CapacityLimiter.usage` in one call,
so with the ``redis-limiter`` the numbers are those every gateway process shares.

A connection also shows, per model, the limits its provider last announced (discovered
capacity) and, when the connection enforces them, the use of their
``connection:<id>:discovered:<model>`` counters.

Reading needs the same permission as reading the object (``ai-connection:get``,
``ai-resource:get``, ``api-key:get``). A limiter that fails closed (its shared store is
unreachable) makes the answer a 503 naming the cause: a guess would be worse than no answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, get
from litestar.datastructures import State
from litestar.params import FromPath

from switchboard.api.api_keys import api_key_resource
from switchboard.api.connections import connection_resource
from switchboard.api.deps import CallerDep, Db, gateway_of
from switchboard.api.lookup import find_in_environment, find_scope
from switchboard.api.resources import ai_resource
from switchboard.api.shapes import ApiShape
from switchboard.capacity import CapacityEntry, Period
from switchboard.dataplane.discovered import read_discovered
from switchboard.dataplane.limits import TokenCost, choose_limiter, discovered_checks, entry_checks
from switchboard.db.models import AIConnection, AIResource, ApiKey, Environment
from switchboard.errors import ServiceUnavailable
from switchboard.interfaces import CapacityCheck, CapacityLimiter, CapacityUnavailable, PeriodUsage
from switchboard.interfaces.limiter import Level
from switchboard.interfaces.provider import DiscoveredLimits
from switchboard.plugins.selection import resolve_selection
from switchboard.state import Gateway

__all__ = [
    "CapacityUsage",
    "CapacityUsageController",
    "ConnectionCapacityUsage",
    "DimensionUsage",
    "DiscoveredUsage",
    "PeriodCapacity",
]

_NO_COST = TokenCost(prompt=0, completion=0, estimated=False)
"""Reading usage reserves nothing."""


class DimensionUsage(ApiShape):
    """One limit of one period. ``used`` and ``remaining`` are null when no limiter counts."""

    limit: int
    used: int | None
    remaining: int | None


class PeriodCapacity(ApiShape):
    """One period: each dimension that has a limit (null: not limited in this period) and
    ``resetSeconds``, the seconds until the oldest counted reservation leaves the window
    (``0`` when nothing is counted; null when no limiter counts)."""

    period: Period
    requests: DimensionUsage | None
    tokens: DimensionUsage | None
    reset_seconds: float | None


class CapacityUsage(ApiShape):
    """The capacity of one resource or API key, as the environment's limiter counts it.

    ``limiter``: the name of the limiter holding the counters (``memory``, ``redis``, ...),
    null when the environment has none enabled. ``enforced``: whether requests are held to
    these limits now (the object's ``enforceCapacity`` is on, always for a connection, and
    a limiter is enabled); ``note`` says why not when they are not. ``periods`` follow the
    object's ``capacity``.
    """

    id: str
    name: str
    limiter: str | None
    enforced: bool
    note: str | None
    periods: list[PeriodCapacity]


class DiscoveredUsage(ApiShape):
    """The limits a provider last announced for ``model`` (``announced``, as of
    ``updatedAt``; their ``*Remaining`` are the provider's count at that moment) and, when
    the connection enforces them, the gateway's own count against them (``periods``; null
    when not enforced)."""

    model: str
    announced: DiscoveredLimits
    updated_at: datetime | None
    enforced: bool
    periods: list[PeriodCapacity] | None


class ConnectionCapacityUsage(CapacityUsage):
    """A connection's capacity, plus its discovered capacity per model (sorted by model)."""

    discovered: list[DiscoveredUsage]


def _limiter(gateway: Gateway, environment: Environment) -> CapacityLimiter | None:
    registry = gateway.registry
    assert registry is not None, "handlers run after startup"
    return choose_limiter(registry, resolve_selection(gateway.plugins, environment.plugins))


async def _read(limiter: CapacityLimiter | None, checks: list[CapacityCheck]) -> list[PeriodUsage]:
    """Every check's usage in one limiter call ([] when there is nothing to read)."""
    if limiter is None or not checks:
        return []
    try:
        usage = await limiter.usage(checks)
    except CapacityUnavailable as exc:
        raise ServiceUnavailable(str(exc), code="capacity_unavailable") from exc
    if len(usage) != len(checks):
        raise RuntimeError(
            f"capacity limiter {limiter.name!r} answered {len(usage)} usages "
            f"for {len(checks)} checks"
        )
    return usage


def _dimension(limit: int | None, used: int | None, remaining: int | None) -> DimensionUsage | None:
    if limit is None:
        return None
    return DimensionUsage(limit=limit, used=used, remaining=remaining)


def _periods(
    checks: Sequence[CapacityCheck], usage: Sequence[PeriodUsage] | None
) -> list[PeriodCapacity]:
    """``checks`` as the API shows them; ``usage`` (same order) is None when not counted."""
    shown: list[PeriodCapacity] = []
    for index, check in enumerate(checks):
        counted = usage[index] if usage is not None else None
        shown.append(
            PeriodCapacity(
                period=check.period,
                requests=_dimension(
                    check.requests,
                    counted.requests if counted else None,
                    counted.remaining_requests if counted else None,
                ),
                tokens=_dimension(
                    check.tokens,
                    counted.tokens if counted else None,
                    counted.remaining_tokens if counted else None,
                ),
                reset_seconds=round(counted.reset_seconds, 3) if counted else None,
            )
        )
    return shown


def _checks(
    level: Level, owner_id: str, capacity: Iterable[Mapping[str, Any]]
) -> list[CapacityCheck]:
    entries = msgspec.convert(list(capacity), list[CapacityEntry])
    return entry_checks(level, owner_id, entries, _NO_COST)


def _note(limiter: CapacityLimiter | None, environment: Environment, level_on: bool) -> str | None:
    if limiter is None:
        return (
            f"no capacity limiter is enabled in environment {environment.name!r}: "
            "limits are not enforced"
        )
    if not level_on:
        return "enforceCapacity is off: requests are not counted or held to these limits"
    return None


async def _usage(
    gateway: Gateway,
    environment: Environment,
    *,
    level: Level,
    object_id: str,
    name: str,
    capacity: Iterable[Mapping[str, Any]],
    level_on: bool,
) -> CapacityUsage:
    limiter = _limiter(gateway, environment)
    checks = _checks(level, object_id, capacity)
    usage = await _read(limiter, checks)
    return CapacityUsage(
        id=object_id,
        name=name,
        limiter=limiter.name if limiter else None,
        enforced=level_on and limiter is not None,
        note=_note(limiter, environment, level_on),
        periods=_periods(checks, usage if limiter else None),
    )


async def _connection_usage(
    gateway: Gateway, environment: Environment, connection: AIConnection
) -> ConnectionCapacityUsage:
    limiter = _limiter(gateway, environment)
    checks = _checks("connection", connection.id, connection.capacity)
    discovered_on = connection.enforce_discovered_capacity and limiter is not None
    by_model = [
        (model, limits, updated_at, discovered_checks(connection.id, model, limits, _NO_COST))
        for model, limits, updated_at in read_discovered(
            connection.discovered_capacity, f"connection {connection.id}"
        )
    ]
    # One limiter call for the connection's counters and every enforced model's.
    counted = checks + [c for *_, model_checks in by_model if discovered_on for c in model_checks]
    usage = await _read(limiter, counted)
    offset = len(checks)
    discovered: list[DiscoveredUsage] = []
    for model, limits, updated_at, model_checks in by_model:
        periods = None
        if discovered_on:
            periods = _periods(model_checks, usage[offset : offset + len(model_checks)])
            offset += len(model_checks)
        discovered.append(
            DiscoveredUsage(
                model=model,
                announced=limits,
                updated_at=updated_at,
                enforced=discovered_on,
                periods=periods,
            )
        )
    return ConnectionCapacityUsage(
        id=connection.id,
        name=connection.name,
        limiter=limiter.name if limiter else None,
        enforced=limiter is not None,
        note=_note(limiter, environment, True),
        periods=_periods(checks, usage[: len(checks)] if limiter else None),
        discovered=discovered,
    )


class CapacityUsageController(Controller):
    """The capacity endpoints of an environment's connections, resources and API keys."""

    path = "/workspaces/{workspace_key:str}/environments/{environment_key:str}"

    @get("/connections/{connection_key:str}/capacity", tags=["connections"])
    async def connection_capacity(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        connection_key: FromPath[str],
        state: State,
        caller: CallerDep,
        db: Db,
    ) -> ConnectionCapacityUsage:
        """A connection's use and what is left per period, and per model of its discovered
        capacity (``ai-connection:get``); 503 when the limiter cannot be read."""
        workspace, environment = await find_scope(db, workspace_key, environment_key)
        connection = await find_in_environment(
            db, AIConnection, environment, connection_key, "connection"
        )
        await caller.require(
            "ai-connection:get", connection_resource(workspace, environment, connection.name)
        )
        return await _connection_usage(gateway_of(state), environment, connection)

    @get("/resources/{resource_key:str}/capacity", tags=["resources"])
    async def resource_capacity(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        resource_key: FromPath[str],
        state: State,
        caller: CallerDep,
        db: Db,
    ) -> CapacityUsage:
        """A resource's use and what is left per period (``ai-resource:get``); 503 when the
        limiter cannot be read."""
        workspace, environment = await find_scope(db, workspace_key, environment_key)
        resource = await find_in_environment(db, AIResource, environment, resource_key, "resource")
        await caller.require("ai-resource:get", ai_resource(workspace, environment, resource.name))
        return await _usage(
            gateway_of(state),
            environment,
            level="resource",
            object_id=resource.id,
            name=resource.name,
            capacity=resource.capacity,
            level_on=resource.enforce_capacity,
        )

    @get("/api-keys/{api_key_key:str}/capacity", tags=["api-keys"])
    async def api_key_capacity(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        api_key_key: FromPath[str],
        state: State,
        caller: CallerDep,
        db: Db,
    ) -> CapacityUsage:
        """An API key's use and what is left per period (``api-key:get``); 503 when the
        limiter cannot be read."""
        workspace, environment = await find_scope(db, workspace_key, environment_key)
        key = await find_in_environment(db, ApiKey, environment, api_key_key, "API key")
        await caller.require("api-key:get", api_key_resource(workspace, environment, key.name))
        return await _usage(
            gateway_of(state),
            environment,
            level="api-key",
            object_id=key.id,
            name=key.name,
            capacity=key.capacity,
            level_on=key.enforce_capacity,
        )
