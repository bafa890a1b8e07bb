"""``.../environments/{env}/resources``: AI resources, the names applications call, and the
dry run of their routing.

A resource is the policy resource ``workspace:<ws>:environment:<env>:ai-resource:<name>``;
its ``name`` is the ``model`` applications send. Its fields are the seed's: the primary
``model``, ``routing`` (validated by the environment's routing plugins), ``useFallback`` and
``fallbackModels``, ``capacity`` and ``enforceCapacity``, ``assignApiKeys`` (API key names or
ids of the same environment), plus ``maxQueueWaitMs`` (how long a request may wait for
capacity; absent: never). ``POST .../{resource}/test-route`` answers what a sample request
would do, without calling any provider.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT
from sqlalchemy import delete as sql_delete
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
from switchboard.api.resource_checks import (
    ModelSpec,
    ResourceChecks,
    checked_capacity,
    resolve_api_keys,
)
from switchboard.api.resource_dry_run import (
    DryRun,
    DryRunResult,
    api_key_principal,
    dry_run,
    environment_snapshot,
)
from switchboard.api.shapes import ApiShape, Description, Name, Page, paginate
from switchboard.capacity import CapacityEntry
from switchboard.db.models import AIResource, ApiKey, ApiKeyResource, Environment, Workspace, utcnow
from switchboard.errors import Conflict
from switchboard.plugins.selection import resolve_selection

__all__ = ["ResourcesController", "ai_resource"]

QueueWait = Annotated[int, msgspec.Meta(ge=0, le=300_000)]


class ResourceOut(ApiShape):
    """A resource as the API shows it; ``assignApiKeys`` lists key names."""

    id: str
    name: str
    description: str
    model: ModelSpec
    routing: dict[str, Any] | None
    use_fallback: bool
    fallback_models: list[ModelSpec]
    capacity: list[CapacityEntry]
    enforce_capacity: bool
    max_queue_wait_ms: int | None
    assign_api_keys: list[str]
    created_at: datetime
    updated_at: datetime


class ResourceCreate(ApiShape):
    """A new resource (the seed's YAML shape)."""

    name: Name
    model: ModelSpec
    description: Description = ""
    routing: dict[str, Any] | None = None
    use_fallback: bool = False
    fallback_models: list[ModelSpec] = []
    capacity: list[CapacityEntry] = []
    enforce_capacity: bool = False
    max_queue_wait_ms: QueueWait | None = None
    assign_api_keys: list[str] = []


class ResourceUpdate(ApiShape):
    """Fields to change; absent fields stay. ``routing: null`` removes the routing,
    ``assignApiKeys`` replaces the assignments."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    model: ModelSpec | msgspec.UnsetType = msgspec.UNSET
    routing: dict[str, Any] | msgspec.UnsetType | None = msgspec.UNSET
    use_fallback: bool | msgspec.UnsetType = msgspec.UNSET
    fallback_models: list[ModelSpec] | msgspec.UnsetType = msgspec.UNSET
    capacity: list[CapacityEntry] | msgspec.UnsetType = msgspec.UNSET
    enforce_capacity: bool | msgspec.UnsetType = msgspec.UNSET
    max_queue_wait_ms: QueueWait | msgspec.UnsetType | None = msgspec.UNSET
    assign_api_keys: list[str] | msgspec.UnsetType = msgspec.UNSET


def ai_resource(workspace: Workspace, environment: Environment, name: str) -> str:
    """``workspace:<ws>:environment:<env>:ai-resource:<name>``."""
    return f"{environment_resource(workspace, environment)}:ai-resource:{name}"


def _out(resource: AIResource, key_names: list[str]) -> ResourceOut:
    return ResourceOut(
        id=resource.id,
        name=resource.name,
        description=resource.description,
        model=msgspec.convert(resource.model, ModelSpec),
        routing=resource.routing,
        use_fallback=resource.use_fallback,
        fallback_models=msgspec.convert(resource.fallback_models, list[ModelSpec]),
        capacity=msgspec.convert(resource.capacity, list[CapacityEntry]),
        enforce_capacity=resource.enforce_capacity,
        max_queue_wait_ms=resource.max_queue_wait_ms,
        assign_api_keys=sorted(key_names),
        created_at=resource.created_at,
        updated_at=resource.updated_at,
    )


async def _key_names(db: Db, environment: Environment) -> dict[str, list[str]]:
    """Names of the keys assigned to each resource of ``environment``."""
    rows = await db.execute(
        select(ApiKeyResource.resource_id, ApiKey.name)
        .join(ApiKey, ApiKey.id == ApiKeyResource.api_key_id)
        .where(ApiKey.environment_id == environment.id)
    )
    names: dict[str, list[str]] = defaultdict(list)
    for resource_id, name in rows:
        names[resource_id].append(name)
    return names


async def _shown(db: Db, environment: Environment, resource: AIResource) -> ResourceOut:
    return _out(resource, (await _key_names(db, environment)).get(resource.id, []))


async def _assign(db: Db, environment: Environment, resource: AIResource, keys: list[str]) -> None:
    """Replace the resource's key assignments with ``keys`` (names or ids)."""
    chosen = await resolve_api_keys(db, environment, keys)
    await db.execute(sql_delete(ApiKeyResource).where(ApiKeyResource.resource_id == resource.id))
    db.add_all(ApiKeyResource(api_key_id=key.id, resource_id=resource.id) for key in chosen)


def _models(specs: list[ModelSpec]) -> list[dict[str, Any]]:
    stored: list[dict[str, Any]] = msgspec.to_builtins(specs)
    return stored


class ResourcesController(Controller):
    """AI resources of one environment."""

    path = "/workspaces/{workspace_key:str}/environments/{environment_key:str}/resources"
    tags = ["resources"]

    @get()
    async def list_resources(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        caller: CallerDep,
        db: Db,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[ResourceOut]:
        """The resources the caller may list (``ai-resource:list``), by name."""
        workspace, environment = await find_scope(db, workspace_key, environment_key)
        rows = await db.execute(
            select(AIResource)
            .where(AIResource.environment_id == environment.id)
            .order_by(AIResource.name)
        )
        names = await _key_names(db, environment)
        visible = await caller.listable(
            "ai-resource:list",
            environment_resource(workspace, environment),
            (
                (ai_resource(workspace, environment, r.name), _out(r, names.get(r.id, [])))
                for r in rows.scalars()
            ),
        )
        return paginate(visible, limit, offset)

    @post()
    async def create_resource(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        data: JSONBody[ResourceCreate],
        state: State,
        caller: CallerDep,
        db: Db,
    ) -> ResourceOut:
        """Create a resource (``ai-resource:create``)."""
        gateway = gateway_of(state)
        workspace, environment = await find_scope(db, workspace_key, environment_key)
        policy_resource = ai_resource(workspace, environment, data.name)
        await caller.require("ai-resource:create", policy_resource)
        plugins = resolve_selection(gateway.plugins, environment.plugins)
        checks = await ResourceChecks.load(db, gateway, plugins, environment)
        checks.model(data.model, "model")
        checks.routing(data.routing)
        checks.fallbacks(data.fallback_models)
        capacity = checked_capacity(data.capacity)
        await refuse_taken(
            db,
            AIResource,
            data.name,
            f"environment {environment.name!r} already has a resource named {data.name!r}",
            AIResource.environment_id == environment.id,
        )
        resource = AIResource(
            environment_id=environment.id,
            name=data.name,
            description=data.description,
            model=msgspec.to_builtins(data.model),
            routing=data.routing,
            use_fallback=data.use_fallback,
            fallback_models=_models(data.fallback_models),
            capacity=capacity,
            enforce_capacity=data.enforce_capacity,
            max_queue_wait_ms=data.max_queue_wait_ms,
        )
        db.add(resource)
        try:
            await db.flush()
        except IntegrityError:
            raise Conflict(f"resource {data.name!r} already exists", param="name") from None
        await _assign(db, environment, resource, data.assign_api_keys)
        await db.flush()
        created = await _shown(db, environment, resource)
        await commit_change(
            db,
            gateway,
            caller,
            action="ai-resource:create",
            resource=policy_resource,
            after=created,
            workspace_id=workspace.id,
            environment_id=environment.id,
        )
        return created

    @get("/{resource_key:str}")
    async def get_resource(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        resource_key: FromPath[str],
        caller: CallerDep,
        db: Db,
    ) -> ResourceOut:
        """One resource by id or name (``ai-resource:get``)."""
        workspace, environment = await find_scope(db, workspace_key, environment_key)
        resource = await find_in_environment(db, AIResource, environment, resource_key, "resource")
        await caller.require("ai-resource:get", ai_resource(workspace, environment, resource.name))
        return await _shown(db, environment, resource)

    @patch("/{resource_key:str}")
    async def update_resource(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        resource_key: FromPath[str],
        data: JSONBody[ResourceUpdate],
        state: State,
        caller: CallerDep,
        db: Db,
    ) -> ResourceOut:
        """Change a resource (``ai-resource:update``)."""
        gateway = gateway_of(state)
        workspace, environment = await find_scope(db, workspace_key, environment_key)
        resource = await find_in_environment(db, AIResource, environment, resource_key, "resource")
        policy_resource = ai_resource(workspace, environment, resource.name)
        await caller.require("ai-resource:update", policy_resource)
        plugins = resolve_selection(gateway.plugins, environment.plugins)
        checks = await ResourceChecks.load(db, gateway, plugins, environment)
        before = await _shown(db, environment, resource)
        if isinstance(data.name, str) and data.name != resource.name:
            await refuse_taken(
                db,
                AIResource,
                data.name,
                f"environment {environment.name!r} already has a resource named {data.name!r}",
                AIResource.environment_id == environment.id,
            )
            resource.name = data.name
        if isinstance(data.description, str):
            resource.description = data.description
        if isinstance(data.model, ModelSpec):
            checks.model(data.model, "model")
            resource.model = msgspec.to_builtins(data.model)
        if data.routing is not msgspec.UNSET:
            checks.routing(data.routing)
            resource.routing = data.routing
        if isinstance(data.use_fallback, bool):
            resource.use_fallback = data.use_fallback
        if isinstance(data.fallback_models, list):
            checks.fallbacks(data.fallback_models)
            resource.fallback_models = _models(data.fallback_models)
        if isinstance(data.capacity, list):
            resource.capacity = checked_capacity(data.capacity)
        if isinstance(data.enforce_capacity, bool):
            resource.enforce_capacity = data.enforce_capacity
        if data.max_queue_wait_ms is not msgspec.UNSET:
            resource.max_queue_wait_ms = data.max_queue_wait_ms
        if isinstance(data.assign_api_keys, list):
            await _assign(db, environment, resource, data.assign_api_keys)
        resource.updated_at = utcnow()
        try:
            await db.flush()
        except IntegrityError:
            raise Conflict(f"resource {resource.name!r} already exists", param="name") from None
        after = await _shown(db, environment, resource)
        await commit_change(
            db,
            gateway,
            caller,
            action="ai-resource:update",
            resource=policy_resource,
            before=before,
            after=after,
            workspace_id=workspace.id,
            environment_id=environment.id,
        )
        return after

    @delete("/{resource_key:str}", status_code=HTTP_204_NO_CONTENT)
    async def delete_resource(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        resource_key: FromPath[str],
        state: State,
        caller: CallerDep,
        db: Db,
    ) -> None:
        """Delete a resource (``ai-resource:delete``) and its key assignments."""
        workspace, environment = await find_scope(db, workspace_key, environment_key)
        resource = await find_in_environment(db, AIResource, environment, resource_key, "resource")
        policy_resource = ai_resource(workspace, environment, resource.name)
        await caller.require("ai-resource:delete", policy_resource)
        before = await _shown(db, environment, resource)
        await db.execute(
            sql_delete(ApiKeyResource).where(ApiKeyResource.resource_id == resource.id)
        )
        await db.delete(resource)
        await commit_change(
            db,
            gateway_of(state),
            caller,
            action="ai-resource:delete",
            resource=policy_resource,
            before=before,
            workspace_id=workspace.id,
            environment_id=environment.id,
        )

    @post("/{resource_key:str}/test-route", status_code=HTTP_200_OK)
    async def test_route(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        resource_key: FromPath[str],
        data: JSONBody[DryRun],
        state: State,
        caller: CallerDep,
        db: Db,
    ) -> DryRunResult:
        """What a sample request would do (``ai-resource:get``): the rule that matches, a
        block, the events, and the chain of models and connections; nothing is called."""
        gateway = gateway_of(state)
        workspace, environment = await find_scope(db, workspace_key, environment_key)
        resource = await find_in_environment(db, AIResource, environment, resource_key, "resource")
        await caller.require("ai-resource:get", ai_resource(workspace, environment, resource.name))
        plugins = resolve_selection(gateway.plugins, environment.plugins)
        snapshot = await environment_snapshot(db, gateway, plugins, workspace, environment)
        principal = (
            await api_key_principal(db, environment, data.api_key)
            if data.api_key is not None
            else caller.principal
        )
        return dry_run(snapshot, resource.name, data, principal, caller.request_id)
