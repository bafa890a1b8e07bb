"""The dry run of a resource's routing (``POST .../resources/{r}/test-route``).

It builds, from the database, the same snapshot of the environment the data plane uses
(resources and connections, without credentials: nothing is called), simulates the error
rates the caller gives, and asks :func:`switchboard.dataplane.planning.plan_route` exactly
as a real request would: which rule matched, whether the request is blocked, and the chain
of models and connections that would be tried.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Annotated, Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.api.shapes import ApiShape, convert_field
from switchboard.capacity import CapacityEntry
from switchboard.context import Principal, RequestInfo
from switchboard.dataplane.config import ConnectionConfig, EnvironmentRuntime, ResourceConfig
from switchboard.dataplane.error_rates import ErrorRates
from switchboard.dataplane.openai_types import ChatCompletionRequest
from switchboard.dataplane.planning import RoutePlan, plan_route
from switchboard.db.models import (
    AIConnection,
    AIResource,
    ApiKey,
    ApiKeyResource,
    Environment,
    Workspace,
)
from switchboard.errors import BadRequest
from switchboard.interfaces.provider import Timeouts
from switchboard.plugins.selection import EnvironmentPlugins
from switchboard.routing import ModelRef
from switchboard.state import Gateway

__all__ = [
    "DryRun",
    "DryRunResult",
    "ErrorRateSample",
    "api_key_principal",
    "dry_run",
    "environment_snapshot",
    "resource_config",
    "simulated_error_rates",
]

# Outcomes recorded per simulated provider/model: rates are exact to a tenth of a percent.
_SIMULATED_ATTEMPTS = 1000


class ErrorRateSample(ApiShape):
    """A simulated error rate: ``rate`` percent of the recent attempts of ``provider`` /
    ``model`` failed with ``status`` (an HTTP status, ``5xx``, ``4xx`` or ``any``: 500).

    ``connection`` (a name or id of one of the environment's connections, of ``provider``)
    says the attempts went through it; without it they went through no connection a rule
    can name, so only ``errorRate`` without ``connection`` sees them.
    """

    provider: Annotated[str, msgspec.Meta(min_length=1)]
    model: Annotated[str, msgspec.Meta(min_length=1)]
    rate: Annotated[float, msgspec.Meta(ge=0, le=100)]
    status: str | int = "any"
    connection: Annotated[str, msgspec.Meta(min_length=1)] | None = None


class DryRun(ApiShape):
    """A sample request (a chat completion body; ``model`` defaults to the resource), the
    API key (name or id) it would come with, request headers, and simulated error rates."""

    request: dict[str, Any]
    api_key: str | None = None
    headers: dict[str, str] = {}
    error_rates: list[ErrorRateSample] = []


class ConnectionRef(ApiShape):
    """The connection an attempt would use."""

    id: str
    name: str


class ChainStep(ApiShape):
    """One attempt of the chain: the model, its connection (``null``: none can serve it,
    and ``note`` says why)."""

    provider: str
    model: str
    connection: ConnectionRef | None
    note: str | None = None


class DryRunResult(ApiShape):
    """What a real request would do: the rule, the block message, the explanation, and the
    attempts in order (the routed or primary model first, then the fallbacks)."""

    rule: str
    blocked: bool
    message: str | None
    events: list[str]
    chain: list[ChainStep]


def _status_code(status: str | int, where: str) -> int:
    if isinstance(status, int) and 100 <= status <= 599:
        return status
    if isinstance(status, str):
        if status in ("any", "5xx"):
            return 500
        if status == "4xx":
            return 400
        if status.isdigit() and 100 <= int(status) <= 599:
            return int(status)
    raise BadRequest(f"{where}: 'any', '4xx', '5xx' or an HTTP status such as 429", param=where)


def _sample_connection(
    sample: ErrorRateSample, connections: Sequence[ConnectionConfig], where: str
) -> ConnectionConfig | None:
    """The connection ``sample`` names (``None``: it names none)."""
    if sample.connection is None:
        return None
    found = next((c for c in connections if c.id == sample.connection), None) or next(
        (c for c in connections if c.name == sample.connection), None
    )
    if found is None:
        raise BadRequest(
            f"{where}: no connection {sample.connection!r} in this environment", param=where
        )
    if found.provider.name != sample.provider:
        raise BadRequest(
            f"{where}: {found.name!r} is a {found.provider.name} connection, not {sample.provider}",
            param=where,
        )
    return found


def simulated_error_rates(
    samples: Sequence[ErrorRateSample], connections: Sequence[ConnectionConfig] = ()
) -> ErrorRates:
    """An :class:`ErrorRates` whose recent outcomes give exactly the sampled rates
    (``connections``: the environment's, which samples and rules may name)."""
    failures: dict[tuple[str, str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for index, sample in enumerate(samples):
        where = f"errorRates[{index}]"
        code = _status_code(sample.status, f"{where}.status")
        if code < 400:
            raise BadRequest(
                f"{where}.status: a failure status (400 and above)", param=f"{where}.status"
            )
        connection = _sample_connection(sample, connections, f"{where}.connection")
        via = "" if connection is None else connection.id
        counts = failures[(sample.provider, sample.model, via)]
        counts[code] += round(sample.rate * _SIMULATED_ATTEMPTS / 100)
        if sum(counts.values()) > _SIMULATED_ATTEMPTS:
            through = "" if connection is None else f" through {connection.name}"
            raise BadRequest(
                f"{where}.rate: the rates of {sample.provider}/{sample.model}{through} add up "
                "to more than 100",
                param=f"{where}.rate",
            )
    rates = ErrorRates()
    rates.know_connections(connections)
    for (provider, model, via), counts in failures.items():
        for code, count in counts.items():
            rates.record(provider, model, via, code, count=count)
        successes = _SIMULATED_ATTEMPTS - sum(counts.values())
        if successes:
            rates.record(provider, model, via, 200, count=successes)
    return rates


def resource_config(row: AIResource, api_key_ids: frozenset[str]) -> ResourceConfig:
    """A stored resource as the pipeline sees it."""
    return ResourceConfig(
        id=row.id,
        name=row.name,
        model=msgspec.convert(row.model, ModelRef),
        routing=row.routing,
        use_fallback=row.use_fallback,
        fallback_models=tuple(msgspec.convert(row.fallback_models, list[ModelRef])),
        capacity=tuple(msgspec.convert(row.capacity, list[CapacityEntry])),
        enforce_capacity=row.enforce_capacity,
        max_queue_wait_ms=row.max_queue_wait_ms,
        api_key_ids=api_key_ids,
    )


async def environment_snapshot(
    db: AsyncSession,
    gateway: Gateway,
    plugins: EnvironmentPlugins,
    workspace: Workspace,
    environment: Environment,
) -> EnvironmentRuntime:
    """The environment's resources and connections as the data plane would hold them,
    without credentials; connections whose provider is off here are left out, as they are
    on the data plane."""
    registry = gateway.registry
    assert registry is not None
    links: dict[str, set[str]] = defaultdict(set)
    rows = await db.execute(
        select(ApiKeyResource.resource_id, ApiKeyResource.api_key_id)
        .join(ApiKey, ApiKey.id == ApiKeyResource.api_key_id)
        .where(ApiKey.environment_id == environment.id)
    )
    for resource_id, key_id in rows:
        links[resource_id].add(key_id)
    resources = (
        await db.execute(select(AIResource).where(AIResource.environment_id == environment.id))
    ).scalars()
    connections = []
    for row in (
        await db.execute(
            select(AIConnection)
            .where(AIConnection.environment_id == environment.id)
            .order_by(AIConnection.name)
        )
    ).scalars():
        provider = registry.providers.get(row.provider, plugins.enabled)
        if provider is None:
            continue
        connections.append(
            ConnectionConfig(
                id=row.id,
                name=row.name,
                provider=provider,
                settings=row.settings,
                credentials=None,
                allowed_models=frozenset(row.allowed_models)
                if row.allowed_models is not None
                else None,
                capacity=tuple(msgspec.convert(row.capacity, list[CapacityEntry])),
                timeouts=msgspec.convert(row.timeouts or {}, Timeouts),
                enforce_discovered_capacity=row.enforce_discovered_capacity,
            )
        )
    return EnvironmentRuntime(
        id=environment.id,
        name=environment.name,
        workspace_id=workspace.id,
        workspace_name=workspace.name,
        plugins=plugins,
        resources={r.name: resource_config(r, frozenset(links[r.id])) for r in resources},
        connections=tuple(connections),
    )


async def api_key_principal(db: AsyncSession, environment: Environment, key: str) -> Principal:
    """The principal a request with the API key ``key`` (id or name) would have."""
    rows = await db.execute(
        select(ApiKey).where(
            ApiKey.environment_id == environment.id, (ApiKey.id == key) | (ApiKey.name == key)
        )
    )
    found = list(rows.scalars())
    match = next((k for k in found if k.id == key), None) or next(iter(found), None)
    if match is None:
        raise BadRequest(
            f"apiKey: API key {key!r} does not exist in environment {environment.name!r}",
            param="apiKey",
        )
    return Principal(
        kind="api-key",
        id=match.id,
        name=match.name,
        authenticator="api-key",
        environment_id=environment.id,
        labels=tuple(match.labels or ()),
    )


def _request(body: dict[str, Any], resource: str) -> ChatCompletionRequest:
    return convert_field({"model": resource, **body}, ChatCompletionRequest, "request")


def _result(plan: RoutePlan) -> DryRunResult:
    return DryRunResult(
        rule=plan.rule,
        blocked=plan.blocked_message is not None,
        message=plan.blocked_message,
        events=list(plan.events),
        chain=[
            ChainStep(
                provider=attempt.model.provider,
                model=attempt.model.model,
                connection=ConnectionRef(id=attempt.connection.id, name=attempt.connection.name)
                if attempt.connection is not None
                else None,
                note=attempt.note,
            )
            for attempt in plan.attempts
        ],
    )


def dry_run(
    environment: EnvironmentRuntime,
    resource_name: str,
    data: DryRun,
    principal: Principal,
    request_id: str,
) -> DryRunResult:
    """Plan ``data.request`` as the data plane would, without calling anything."""
    resource = environment.resources[resource_name]
    request = _request(data.request, resource.name)
    info = RequestInfo(
        request_id=request_id,
        method="POST",
        path="/v1/chat/completions",
        headers={k.lower(): v for k, v in data.headers.items()},
    )
    rates = simulated_error_rates(data.error_rates, environment.connections)
    return _result(plan_route(environment, resource, request, principal, info, rates))
