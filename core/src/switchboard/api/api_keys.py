"""``.../environments/{env}/api-keys``: the keys applications call the data plane with.

An API key is the policy resource ``workspace:<ws>:environment:<env>:api-key:<name>``. Its
secret (``sk-sb-...``, see :mod:`switchboard.dataplane.key_secrets`) is in the answer that
creates or rotates it and nowhere else: the database keeps its SHA-256 and its first twelve
characters for display, and neither responses nor the audit ever carry more. The AI
resources a key may call are rows of the ``api_key_resources`` link table, the same link a
resource's ``assignApiKeys`` edits. A rotation may leave the old secret valid for a grace
period (``previous_key_hash`` until ``previous_key_expires_at``); deleting a key revokes it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT
from sqlalchemy import delete as sql_delete
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from switchboard.api.audit_log import commit_change
from switchboard.api.deps import CallerDep, Db, Limit, Offset, gateway_of
from switchboard.api.lookup import (
    environment_resource,
    find_in_environment,
    find_scope,
    refuse_taken,
)
from switchboard.api.shapes import ApiShape, Description, Name, Page, paginate
from switchboard.capacity import CapacityEntry, CapacityError, validate_capacity
from switchboard.dataplane.key_secrets import hash_api_key, new_api_key, shown_prefix
from switchboard.db.models import AIResource, ApiKey, ApiKeyResource, Environment, Workspace, utcnow
from switchboard.errors import BadRequest, Conflict

__all__ = ["MAX_GRACE_SECONDS", "ApiKeysController", "api_key_resource"]

MAX_GRACE_SECONDS = 7 * 24 * 3600
"""Longest time the old secret of a rotated key may stay valid: one week."""

MASK_SUFFIX = "…"
"""Appended to the visible prefix in ``maskedKey``: the rest of the secret is never shown."""

Expiry = Annotated[
    datetime,
    msgspec.Meta(tz=True, description="When the key stops working (with a time zone)."),
]
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Labels = Annotated[list[Label], msgspec.Meta(max_length=100)]
ResourceKey = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
GraceSeconds = Annotated[
    int,
    msgspec.Meta(
        ge=0,
        le=MAX_GRACE_SECONDS,
        description="Seconds the old secret stays valid (0: invalid at once; at most a week).",
    ),
]


class ApiKeyOut(ApiShape):
    """A key as lists and lookups show it: its visible prefix, never its secret or hash.

    ``resources`` are the names of the AI resources it may call; ``previousKeyExpiresAt``
    is set while the secret it was rotated from still works.
    """

    id: str
    name: str
    description: str
    key_prefix: str
    masked_key: str
    enabled: bool
    expires_at: datetime | None
    labels: list[str]
    resources: list[str]
    capacity: list[CapacityEntry]
    enforce_capacity: bool
    last_used_at: datetime | None
    previous_key_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ApiKeyCreated(ApiKeyOut):
    """A key just created or rotated, with its secret in ``key``: shown this once."""

    key: str


class ApiKeyCreate(ApiShape):
    """A new key. ``resources`` are names or ids of AI resources of the same environment."""

    name: Name
    description: Description = ""
    enabled: bool = True
    expires_at: Expiry | None = None
    labels: Labels = []
    resources: list[ResourceKey] = []
    capacity: list[CapacityEntry] = []
    enforce_capacity: bool = False


class ApiKeyUpdate(ApiShape):
    """Fields to change; absent fields stay. ``resources`` replaces every assignment;
    ``expiresAt: null`` removes the expiry."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    enabled: bool | msgspec.UnsetType = msgspec.UNSET
    expires_at: Expiry | msgspec.UnsetType | None = msgspec.UNSET
    labels: Labels | msgspec.UnsetType = msgspec.UNSET
    resources: list[ResourceKey] | msgspec.UnsetType = msgspec.UNSET
    capacity: list[CapacityEntry] | msgspec.UnsetType = msgspec.UNSET
    enforce_capacity: bool | msgspec.UnsetType = msgspec.UNSET


class ApiKeyRotate(ApiShape):
    """A rotation: a new secret, the old one valid ``gracePeriodSeconds`` longer."""

    grace_period_seconds: GraceSeconds = 0


def api_key_resource(workspace: Workspace, environment: Environment, name: str) -> str:
    """``workspace:<ws>:environment:<env>:api-key:<name>``."""
    return f"{environment_resource(workspace, environment)}:api-key:{name}"


def _out(key: ApiKey, resources: list[str]) -> ApiKeyOut:
    previous_valid = key.previous_key_hash is not None
    return ApiKeyOut(
        id=key.id,
        name=key.name,
        description=key.description,
        key_prefix=key.key_prefix,
        masked_key=key.key_prefix + MASK_SUFFIX,
        enabled=key.enabled,
        expires_at=key.expires_at,
        labels=list(key.labels),
        resources=resources,
        capacity=msgspec.convert(key.capacity, list[CapacityEntry]),
        enforce_capacity=key.enforce_capacity,
        last_used_at=key.last_used_at,
        previous_key_expires_at=key.previous_key_expires_at if previous_valid else None,
        created_at=key.created_at,
        updated_at=key.updated_at,
    )


def _with_secret(shown: ApiKeyOut, secret: str) -> ApiKeyCreated:
    fields: dict[str, Any] = {name: getattr(shown, name) for name in shown.__struct_fields__}
    return ApiKeyCreated(**fields, key=secret)


async def _resource_names(db: Db, environment: Environment) -> dict[str, list[str]]:
    """Key id → the names of the resources assigned to it, sorted, for one environment."""
    rows = await db.execute(
        select(ApiKeyResource.api_key_id, AIResource.name)
        .join(AIResource, AIResource.id == ApiKeyResource.resource_id)
        .where(AIResource.environment_id == environment.id)
        .order_by(AIResource.name)
    )
    names: dict[str, list[str]] = {}
    for key_id, name in rows:
        names.setdefault(key_id, []).append(name)
    return names


async def _names_of(db: Db, key: ApiKey) -> list[str]:
    rows = await db.execute(
        select(AIResource.name)
        .join(ApiKeyResource, ApiKeyResource.resource_id == AIResource.id)
        .where(ApiKeyResource.api_key_id == key.id)
        .order_by(AIResource.name)
    )
    return [name for (name,) in rows]


async def _resolve_resources(db: Db, environment: Environment, keys: list[str]) -> list[AIResource]:
    """The resources ``keys`` (ids or names) name in ``environment``, each once; 400 naming
    ``resources[i]`` for the first that names none."""
    if not keys:
        return []
    rows = (
        (
            await db.execute(
                select(AIResource).where(
                    AIResource.environment_id == environment.id,
                    or_(AIResource.id.in_(keys), AIResource.name.in_(keys)),
                )
            )
        )
        .scalars()
        .all()
    )
    by_id = {row.id: row for row in rows}
    by_name = {row.name: row for row in rows}
    chosen: dict[str, AIResource] = {}
    for index, key in enumerate(keys):
        # An id wins over a name that happens to look like one.
        resource = by_id.get(key) or by_name.get(key)
        if resource is None:
            where = f"resources[{index}]"
            raise BadRequest(
                f"{where}: no AI resource {key!r} in environment {environment.name!r}",
                param=where,
            )
        chosen[resource.id] = resource
    return list(chosen.values())


async def _assign(db: Db, key: ApiKey, resources: list[AIResource]) -> None:
    """Make ``resources`` exactly the ones ``key`` may call."""
    await db.execute(sql_delete(ApiKeyResource).where(ApiKeyResource.api_key_id == key.id))
    db.add_all(ApiKeyResource(api_key_id=key.id, resource_id=r.id) for r in resources)
    await db.flush()


def _capacity(entries: list[CapacityEntry]) -> list[dict[str, Any]]:
    try:
        validate_capacity(entries)
    except CapacityError as exc:
        raise BadRequest(str(exc), param=exc.param) from None
    stored: list[dict[str, Any]] = msgspec.to_builtins(entries)
    return stored


def _expiry(expires_at: datetime | None) -> datetime | None:
    if expires_at is not None and expires_at <= utcnow():
        raise BadRequest(
            f"expiresAt: {expires_at.isoformat()} is not in the future", param="expiresAt"
        )
    return expires_at


def _labels(labels: list[str]) -> list[str]:
    """``labels`` without repeats, in the order given."""
    return list(dict.fromkeys(labels))


class ApiKeysController(Controller):
    """API keys of one environment."""

    path = "/workspaces/{workspace_key:str}/environments/{environment_key:str}/api-keys"
    tags = ["api-keys"]

    @get()
    async def list_api_keys(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        caller: CallerDep,
        db: Db,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[ApiKeyOut]:
        """The keys the caller may list (``api-key:list``), by name, masked."""
        workspace, environment = await find_scope(db, workspace_key, environment_key)
        rows = await db.execute(
            select(ApiKey).where(ApiKey.environment_id == environment.id).order_by(ApiKey.name)
        )
        names = await _resource_names(db, environment)
        visible = await caller.listable(
            "api-key:list",
            environment_resource(workspace, environment),
            (
                (api_key_resource(workspace, environment, k.name), _out(k, names.get(k.id, [])))
                for k in rows.scalars()
            ),
        )
        return paginate(visible, limit, offset)

    @post()
    async def create_api_key(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        data: JSONBody[ApiKeyCreate],
        state: State,
        caller: CallerDep,
        db: Db,
    ) -> ApiKeyCreated:
        """Create a key (``api-key:create``); its secret is in this answer only."""
        workspace, environment = await find_scope(db, workspace_key, environment_key)
        resource = api_key_resource(workspace, environment, data.name)
        await caller.require("api-key:create", resource)
        expires_at = _expiry(data.expires_at)
        capacity = _capacity(data.capacity)
        resources = await _resolve_resources(db, environment, data.resources)
        await refuse_taken(
            db,
            ApiKey,
            data.name,
            f"environment {environment.name!r} already has an API key named {data.name!r}",
            ApiKey.environment_id == environment.id,
        )
        secret = new_api_key()
        key = ApiKey(
            environment_id=environment.id,
            name=data.name,
            description=data.description,
            key_prefix=shown_prefix(secret),
            key_hash=hash_api_key(secret),
            enabled=data.enabled,
            expires_at=expires_at,
            labels=_labels(data.labels),
            capacity=capacity,
            enforce_capacity=data.enforce_capacity,
        )
        db.add(key)
        try:
            await db.flush()
        except IntegrityError:
            raise Conflict(f"API key {data.name!r} already exists", param="name") from None
        await _assign(db, key, resources)
        created = _out(key, sorted(r.name for r in resources))
        await commit_change(
            db,
            gateway_of(state),
            caller,
            action="api-key:create",
            resource=resource,
            after=created,
            workspace_id=workspace.id,
            environment_id=environment.id,
        )
        return _with_secret(created, secret)

    @get("/{api_key_key:str}")
    async def get_api_key(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        api_key_key: FromPath[str],
        caller: CallerDep,
        db: Db,
    ) -> ApiKeyOut:
        """One key by id or name (``api-key:get``), masked."""
        workspace, environment = await find_scope(db, workspace_key, environment_key)
        key = await find_in_environment(db, ApiKey, environment, api_key_key, "API key")
        await caller.require("api-key:get", api_key_resource(workspace, environment, key.name))
        return _out(key, await _names_of(db, key))

    @patch("/{api_key_key:str}")
    async def update_api_key(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        api_key_key: FromPath[str],
        data: JSONBody[ApiKeyUpdate],
        state: State,
        caller: CallerDep,
        db: Db,
    ) -> ApiKeyOut:
        """Change a key (``api-key:update``); its secret stays (see ``/rotate``)."""
        workspace, environment = await find_scope(db, workspace_key, environment_key)
        key = await find_in_environment(db, ApiKey, environment, api_key_key, "API key")
        resource = api_key_resource(workspace, environment, key.name)
        await caller.require("api-key:update", resource)
        before = _out(key, await _names_of(db, key))
        if data.expires_at is not msgspec.UNSET:
            key.expires_at = _expiry(data.expires_at)
        if isinstance(data.capacity, list):
            key.capacity = _capacity(data.capacity)
        if isinstance(data.resources, list):
            await _assign(db, key, await _resolve_resources(db, environment, data.resources))
        if isinstance(data.name, str) and data.name != key.name:
            await refuse_taken(
                db,
                ApiKey,
                data.name,
                f"environment {environment.name!r} already has an API key named {data.name!r}",
                ApiKey.environment_id == environment.id,
            )
            key.name = data.name
        if isinstance(data.description, str):
            key.description = data.description
        if isinstance(data.enabled, bool):
            key.enabled = data.enabled
        if isinstance(data.labels, list):
            key.labels = _labels(data.labels)
        if isinstance(data.enforce_capacity, bool):
            key.enforce_capacity = data.enforce_capacity
        key.updated_at = utcnow()
        try:
            await db.flush()
        except IntegrityError:
            raise Conflict(f"API key {key.name!r} already exists", param="name") from None
        after = _out(key, await _names_of(db, key))
        await commit_change(
            db,
            gateway_of(state),
            caller,
            action="api-key:update",
            resource=resource,
            before=before,
            after=after,
            workspace_id=workspace.id,
            environment_id=environment.id,
        )
        return after

    @delete("/{api_key_key:str}", status_code=HTTP_204_NO_CONTENT)
    async def delete_api_key(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        api_key_key: FromPath[str],
        state: State,
        caller: CallerDep,
        db: Db,
    ) -> None:
        """Revoke a key (``api-key:delete``): it and its assignments are deleted."""
        workspace, environment = await find_scope(db, workspace_key, environment_key)
        key = await find_in_environment(db, ApiKey, environment, api_key_key, "API key")
        resource = api_key_resource(workspace, environment, key.name)
        await caller.require("api-key:delete", resource)
        before = _out(key, await _names_of(db, key))
        await db.delete(key)
        await commit_change(
            db,
            gateway_of(state),
            caller,
            action="api-key:delete",
            resource=resource,
            before=before,
            workspace_id=workspace.id,
            environment_id=environment.id,
        )

    @post("/{api_key_key:str}/rotate", status_code=HTTP_200_OK)
    async def rotate_api_key(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        api_key_key: FromPath[str],
        state: State,
        caller: CallerDep,
        db: Db,
        data: JSONBody[ApiKeyRotate | None] = None,
    ) -> ApiKeyCreated:
        """Give a key a new secret (``api-key:update``), shown in this answer only.

        The old secret stays valid ``gracePeriodSeconds`` longer (0, the default, or no body:
        not at all); a secret still in its grace period from an earlier rotation stops
        working now.
        """
        workspace, environment = await find_scope(db, workspace_key, environment_key)
        key = await find_in_environment(db, ApiKey, environment, api_key_key, "API key")
        resource = api_key_resource(workspace, environment, key.name)
        await caller.require("api-key:update", resource)
        names = await _names_of(db, key)
        before = _out(key, names)
        grace = data.grace_period_seconds if data is not None else 0
        now = utcnow()
        if grace > 0:
            key.previous_key_hash = key.key_hash
            key.previous_key_expires_at = now + timedelta(seconds=grace)
        else:
            key.previous_key_hash = None
            key.previous_key_expires_at = None
        secret = new_api_key()
        key.key_hash = hash_api_key(secret)
        key.key_prefix = shown_prefix(secret)
        key.updated_at = now
        await db.flush()
        after = _out(key, names)
        await commit_change(
            db,
            gateway_of(state),
            caller,
            action="api-key:update",
            resource=resource,
            before=before,
            after=after,
            workspace_id=workspace.id,
            environment_id=environment.id,
        )
        return _with_secret(after, secret)
