"""``.../environments/{env}/connections``: AI connections, their credentials and a test call.

A connection is the policy resource ``workspace:<ws>:environment:<env>:ai-connection:<name>``.
``settings`` and ``credentials`` are validated by the provider plugin's own Structs;
credentials are write-only: sealed by the environment's secret box, bound to the
connection's id, and never returned, logged or audited (the audit records only which
credential fields were set). ``pricing`` overrides the provider plugin's list prices for
this connection's models (see docs/pricing.md).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from switchboard.api.audit_log import commit_change
from switchboard.api.deps import CallerDep, Db, Limit, Offset, gateway_of
from switchboard.api.lookup import (
    environment_resource,
    find_in_environment,
    find_scope,
    refuse_taken,
)
from switchboard.api.shapes import ApiShape, Description, Name, Page, convert_field, paginate
from switchboard.capacity import CapacityEntry, CapacityError, validate_capacity
from switchboard.dataplane.discovered import discovered_entry
from switchboard.dataplane.openai_types import ChatCompletionRequest, ChatMessage
from switchboard.db.models import AIConnection, Environment, Workspace, new_id, utcnow
from switchboard.errors import BadRequest, Conflict
from switchboard.interfaces import Provider, ProviderCall, ProviderError
from switchboard.interfaces.provider import DiscoveredLimits, Timeouts
from switchboard.plugins.selection import EnvironmentPlugins, resolve_selection
from switchboard.pricing import ModelPrice, PricingError, validate_pricing
from switchboard.state import Gateway
from switchboard.vault import open_credentials, seal_credentials

__all__ = ["ConnectionsController", "connection_resource"]


class ConnectionOut(ApiShape):
    """A connection as the API shows it: never its credentials, only which fields are set."""

    id: str
    name: str
    description: str
    provider: str
    settings: dict[str, Any]
    credential_fields: list[str]
    capacity: list[CapacityEntry]
    allowed_models: list[str] | None
    discovered_capacity: dict[str, Any]
    enforce_discovered_capacity: bool
    timeouts: Timeouts
    pricing: dict[str, ModelPrice]
    """The connection's own prices per model (USD per million tokens); models not listed
    are priced by the provider plugin's table (``GET /api/v1/providers``)."""
    secret_box: str | None
    created_at: datetime
    updated_at: datetime


class ConnectionCreate(ApiShape):
    """A new connection. ``allowedModels`` absent or null: every model is allowed."""

    name: Name
    provider: str
    description: Description = ""
    settings: dict[str, Any] = {}
    credentials: dict[str, Any] = {}
    capacity: list[CapacityEntry] = []
    allowed_models: list[str] | None = None
    enforce_discovered_capacity: bool = False
    timeouts: Timeouts | None = None
    pricing: dict[str, Any] | None = None
    """Prices that override the provider's list prices, by model name:
    ``{"gpt-4o": {"input": 2.5, "output": 10, "cachedInput": 1.25}}`` in USD per million
    tokens (``cachedInput`` absent: as ``input``; ``longContext`` optional). A listed name
    also prices its dated snapshots (``gpt-4o-2024-08-06``). Checked field by field, so a
    400 names e.g. ``pricing.gpt-4o.input``."""


class ConnectionUpdate(ApiShape):
    """Fields to change; absent fields stay. ``credentials`` replaces all credentials."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    settings: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET
    credentials: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET
    capacity: list[CapacityEntry] | msgspec.UnsetType = msgspec.UNSET
    allowed_models: list[str] | msgspec.UnsetType | None = msgspec.UNSET
    enforce_discovered_capacity: bool | msgspec.UnsetType = msgspec.UNSET
    timeouts: Timeouts | msgspec.UnsetType | None = msgspec.UNSET
    pricing: dict[str, Any] | msgspec.UnsetType | None = msgspec.UNSET
    """Replaces all of the connection's prices; ``null`` or ``{}`` drops them."""


class ConnectionTest(ApiShape):
    """A test call: ``model`` defaults to the first allowed or known model."""

    model: str | None = None
    prompt: str = "Reply with the single word OK."


class ConnectionTestResult(ApiShape):
    """How the test call went: the answer or the provider's error, and how long it took."""

    ok: bool
    model: str
    latency_ms: float
    answer: str | None = None
    error_class: str | None = None
    status: int | None = None
    message: str | None = None
    discovered: DiscoveredLimits | None = None


def connection_resource(workspace: Workspace, environment: Environment, name: str) -> str:
    """``workspace:<ws>:environment:<env>:ai-connection:<name>``."""
    return f"{environment_resource(workspace, environment)}:ai-connection:{name}"


def _out(connection: AIConnection) -> ConnectionOut:
    return ConnectionOut(
        id=connection.id,
        name=connection.name,
        description=connection.description,
        provider=connection.provider,
        settings=connection.settings,
        credential_fields=connection.credential_fields or [],
        capacity=msgspec.convert(connection.capacity, list[CapacityEntry]),
        allowed_models=connection.allowed_models,
        discovered_capacity=connection.discovered_capacity,
        enforce_discovered_capacity=connection.enforce_discovered_capacity,
        timeouts=msgspec.convert(connection.timeouts or {}, Timeouts),
        pricing=msgspec.convert(connection.pricing or {}, dict[str, ModelPrice]),
        secret_box=connection.secret_box,
        created_at=connection.created_at,
        updated_at=connection.updated_at,
    )


def _provider(gateway: Gateway, plugins: EnvironmentPlugins, name: str) -> Provider:
    registry = gateway.registry
    assert registry is not None
    provider = registry.providers.get(name, plugins.enabled)
    if provider is None:
        available = ", ".join(p.name for p in registry.providers.available(plugins.enabled))
        raise BadRequest(
            f"provider {name!r} is not installed or not enabled in this environment "
            f"(available: {available or 'none'})",
            param="provider",
        )
    return provider


def _pricing(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    """Checked price overrides as stored (``None``: none, the plugin's prices apply)."""
    try:
        prices = validate_pricing(raw or {})
    except PricingError as exc:
        raise BadRequest(str(exc), param=exc.param) from None
    stored: dict[str, Any] = msgspec.to_builtins(prices)
    return stored or None


def _capacity(entries: list[CapacityEntry]) -> list[dict[str, Any]]:
    try:
        validate_capacity(entries)
    except CapacityError as exc:
        raise BadRequest(str(exc), param=exc.param) from None
    stored: list[dict[str, Any]] = msgspec.to_builtins(entries)
    return stored


class ConnectionsController(Controller):
    """AI connections of one environment."""

    path = "/workspaces/{workspace_key:str}/environments/{environment_key:str}/connections"
    tags = ["connections"]

    @get()
    async def list_connections(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        caller: CallerDep,
        db: Db,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[ConnectionOut]:
        """The connections the caller may list (``ai-connection:list``), by name."""
        workspace, environment = await find_scope(db, workspace_key, environment_key)
        rows = await db.execute(
            select(AIConnection)
            .where(AIConnection.environment_id == environment.id)
            .order_by(AIConnection.name)
        )
        visible = await caller.listable(
            "ai-connection:list",
            environment_resource(workspace, environment),
            (
                (connection_resource(workspace, environment, c.name), _out(c))
                for c in rows.scalars()
            ),
        )
        return paginate(visible, limit, offset)

    @post()
    async def create_connection(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        data: JSONBody[ConnectionCreate],
        state: State,
        caller: CallerDep,
        db: Db,
    ) -> ConnectionOut:
        """Create a connection (``ai-connection:create``); credentials are sealed at once."""
        gateway = gateway_of(state)
        workspace, environment = await find_scope(db, workspace_key, environment_key)
        resource = connection_resource(workspace, environment, data.name)
        await caller.require("ai-connection:create", resource)
        plugins = resolve_selection(gateway.plugins, environment.plugins)
        provider = _provider(gateway, plugins, data.provider)
        settings = convert_field(data.settings, provider.settings_type, "settings")
        credentials = convert_field(data.credentials, provider.credentials_type, "credentials")
        capacity = _capacity(data.capacity)
        pricing = _pricing(data.pricing)
        await refuse_taken(
            db,
            AIConnection,
            data.name,
            f"environment {environment.name!r} already has a connection named {data.name!r}",
            AIConnection.environment_id == environment.id,
        )
        # The id is chosen here because the credentials are sealed bound to it, before the
        # single insert (a second flush would move updated_at after the answer was made).
        connection = AIConnection(
            id=new_id(),
            environment_id=environment.id,
            name=data.name,
            description=data.description,
            provider=provider.name,
            settings=msgspec.to_builtins(settings),
            capacity=capacity,
            allowed_models=data.allowed_models,
            enforce_discovered_capacity=data.enforce_discovered_capacity,
            timeouts=msgspec.to_builtins(data.timeouts) if data.timeouts else None,
            pricing=pricing,
        )
        await _store_credentials(gateway, plugins, connection, credentials)
        db.add(connection)
        try:
            await db.flush()
        except IntegrityError:
            raise Conflict(f"connection {data.name!r} already exists", param="name") from None
        created = _out(connection)
        await commit_change(
            db,
            gateway,
            caller,
            action="ai-connection:create",
            resource=resource,
            after=created,
            workspace_id=workspace.id,
            environment_id=environment.id,
        )
        return created

    @get("/{connection_key:str}")
    async def get_connection(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        connection_key: FromPath[str],
        caller: CallerDep,
        db: Db,
    ) -> ConnectionOut:
        """One connection by id or name (``ai-connection:get``)."""
        workspace, environment = await find_scope(db, workspace_key, environment_key)
        connection = await find_in_environment(
            db, AIConnection, environment, connection_key, "connection"
        )
        await caller.require(
            "ai-connection:get", connection_resource(workspace, environment, connection.name)
        )
        return _out(connection)

    @patch("/{connection_key:str}")
    async def update_connection(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        connection_key: FromPath[str],
        data: JSONBody[ConnectionUpdate],
        state: State,
        caller: CallerDep,
        db: Db,
    ) -> ConnectionOut:
        """Change a connection (``ai-connection:update``); the provider cannot change."""
        gateway = gateway_of(state)
        workspace, environment = await find_scope(db, workspace_key, environment_key)
        connection = await find_in_environment(
            db, AIConnection, environment, connection_key, "connection"
        )
        resource = connection_resource(workspace, environment, connection.name)
        await caller.require("ai-connection:update", resource)
        plugins = resolve_selection(gateway.plugins, environment.plugins)
        provider = _provider(gateway, plugins, connection.provider)
        before = _out(connection)
        if isinstance(data.name, str) and data.name != connection.name:
            await refuse_taken(
                db,
                AIConnection,
                data.name,
                f"environment {environment.name!r} already has a connection named {data.name!r}",
                AIConnection.environment_id == environment.id,
            )
            connection.name = data.name
        if isinstance(data.description, str):
            connection.description = data.description
        if isinstance(data.settings, dict):
            settings = convert_field(data.settings, provider.settings_type, "settings")
            connection.settings = msgspec.to_builtins(settings)
        if isinstance(data.capacity, list):
            connection.capacity = _capacity(data.capacity)
        if data.allowed_models is not msgspec.UNSET:
            connection.allowed_models = data.allowed_models
        if isinstance(data.enforce_discovered_capacity, bool):
            connection.enforce_discovered_capacity = data.enforce_discovered_capacity
        if data.timeouts is not msgspec.UNSET:
            connection.timeouts = msgspec.to_builtins(data.timeouts) if data.timeouts else None
        if not isinstance(data.pricing, msgspec.UnsetType):
            connection.pricing = _pricing(data.pricing)
        if isinstance(data.credentials, dict):
            credentials = convert_field(data.credentials, provider.credentials_type, "credentials")
            await _store_credentials(gateway, plugins, connection, credentials)
        connection.updated_at = utcnow()
        await db.flush()
        after = _out(connection)
        await commit_change(
            db,
            gateway,
            caller,
            action="ai-connection:update",
            resource=connection_resource(workspace, environment, before.name),
            before=before,
            after=after,
            workspace_id=workspace.id,
            environment_id=environment.id,
        )
        return after

    @delete("/{connection_key:str}", status_code=HTTP_204_NO_CONTENT)
    async def delete_connection(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        connection_key: FromPath[str],
        state: State,
        caller: CallerDep,
        db: Db,
    ) -> None:
        """Delete a connection (``ai-connection:delete``) and its sealed credentials."""
        workspace, environment = await find_scope(db, workspace_key, environment_key)
        connection = await find_in_environment(
            db, AIConnection, environment, connection_key, "connection"
        )
        resource = connection_resource(workspace, environment, connection.name)
        await caller.require("ai-connection:delete", resource)
        before = _out(connection)
        await db.delete(connection)
        await commit_change(
            db,
            gateway_of(state),
            caller,
            action="ai-connection:delete",
            resource=resource,
            before=before,
            workspace_id=workspace.id,
            environment_id=environment.id,
        )

    @post("/{connection_key:str}/test", status_code=HTTP_200_OK)
    async def test_connection(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        connection_key: FromPath[str],
        data: JSONBody[ConnectionTest],
        state: State,
        caller: CallerDep,
        db: Db,
    ) -> ConnectionTestResult:
        """Make a minimal real call through the connection (``ai-connection:update``, since
        it spends the account's money): the answer or the provider's error, the latency and
        the limits the provider announced (kept as the connection's discovered capacity)."""
        gateway = gateway_of(state)
        workspace, environment = await find_scope(db, workspace_key, environment_key)
        connection = await find_in_environment(
            db, AIConnection, environment, connection_key, "connection"
        )
        await caller.require(
            "ai-connection:update", connection_resource(workspace, environment, connection.name)
        )
        plugins = resolve_selection(gateway.plugins, environment.plugins)
        provider = _provider(gateway, plugins, connection.provider)
        model = data.model or next(
            iter([*(connection.allowed_models or []), *provider.known_models]), None
        )
        if model is None:
            raise BadRequest("name the model to test with", param="model")
        call = ProviderCall(
            request_id=caller.request_id,
            connection_id=connection.id,
            connection_name=connection.name,
            model=model,
            request=ChatCompletionRequest(
                model=model,
                messages=[ChatMessage(role="user", content=data.prompt)],
                max_tokens=16,
            ),
            settings=msgspec.convert(connection.settings, provider.settings_type),
            credentials=await _credentials(gateway, plugins, connection, provider),
            timeouts=msgspec.convert(connection.timeouts or {}, Timeouts),
            http=gateway.context.http,
            environment=plugins,
        )
        started = time.perf_counter()
        try:
            answer = await provider.complete(call)
        except ProviderError as exc:
            result = ConnectionTestResult(
                ok=False,
                model=model,
                latency_ms=round((time.perf_counter() - started) * 1000, 1),
                error_class=exc.error_class,
                status=exc.status,
                message=exc.message,
                discovered=call.discovered,
            )
        else:
            content = answer.choices[0].message.content if answer.choices else None
            result = ConnectionTestResult(
                ok=True,
                model=model,
                latency_ms=round((time.perf_counter() - started) * 1000, 1),
                answer=content,
                discovered=call.discovered,
            )
        if call.discovered is not None:
            connection.discovered_capacity = {
                **connection.discovered_capacity,
                model: discovered_entry(call.discovered, utcnow()),
            }
            await db.commit()
        return result


async def _store_credentials(
    gateway: Gateway, plugins: EnvironmentPlugins, connection: AIConnection, credentials: Any
) -> None:
    registry = gateway.registry
    assert registry is not None
    box, ciphertext = await seal_credentials(registry, plugins, connection.id, credentials)
    connection.secret_box = box
    connection.credentials_ciphertext = ciphertext
    connection.credential_fields = sorted(
        k for k, v in msgspec.to_builtins(credentials).items() if v not in (None, "")
    )


async def _credentials(
    gateway: Gateway, plugins: EnvironmentPlugins, connection: AIConnection, provider: Provider
) -> msgspec.Struct:
    registry = gateway.registry
    assert registry is not None
    if connection.credentials_ciphertext is None or connection.secret_box is None:
        return msgspec.convert({}, provider.credentials_type)
    raw = await open_credentials(
        registry, plugins, connection.id, connection.secret_box, connection.credentials_ciphertext
    )
    return msgspec.convert(raw, provider.credentials_type)
