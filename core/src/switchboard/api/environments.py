"""``/api/v1/workspaces/{ws}/environments``: isolation layers inside a workspace.

An environment is the policy resource ``workspace:<ws>:environment:<env>``. Its ``plugins``
switch plugins on or off there and carry their settings, validated by each plugin;
``.../{env}/plugins`` lists the installed plugins as the environment sees them (on or off,
their settings and the JSON Schema of those), what an editor of the selection needs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from switchboard.api.audit_log import commit_change
from switchboard.api.deps import CallerDep, Db, Limit, Offset, gateway_of
from switchboard.api.lookup import (
    environment_resource,
    find_environment,
    find_workspace,
    refuse_taken,
    workspace_resource,
)
from switchboard.api.shapes import ApiShape, Description, Name, Page, convert_field, paginate
from switchboard.api.workspaces import Force
from switchboard.dataplane.capture import RecordingSettings
from switchboard.db.models import AIConnection, AIResource, ApiKey, Environment, Workspace
from switchboard.errors import BadRequest, Conflict
from switchboard.plugins.selection import PluginSettingsError, parse_selection
from switchboard.state import Gateway

__all__ = ["EnvironmentsController"]


class EnvironmentOut(ApiShape):
    """An environment and its plugin selection."""

    id: str
    workspace_id: str
    workspace: str
    name: str
    description: str
    plugins: dict[str, Any]
    recording: RecordingSettings
    created_at: datetime
    updated_at: datetime


class EnvironmentPluginOut(ApiShape):
    """An installed plugin as one environment sees it: whether it is on there, the settings
    the environment gives it, and the JSON Schema of its settings (null: it takes none)."""

    name: str
    description: str
    version: str | None
    enabled_by_default: bool
    enabled: bool
    settings: dict[str, Any]
    settings_schema: dict[str, Any] | None


class EnvironmentCreate(ApiShape):
    """A new environment; ``plugins`` maps plugin names to ``{enabled, settings}``;
    ``recording`` says what request records keep of payloads (``payload``: ``off``,
    ``metadata`` — the default — or ``full``) and which JSON paths they redact
    (``redactPaths``)."""

    name: Name
    description: Description = ""
    plugins: dict[str, Any] = {}
    recording: dict[str, Any] | None = None


class EnvironmentUpdate(ApiShape):
    """Fields to change; absent fields stay as they are. ``plugins`` replaces the whole map."""

    name: Name | None = None
    description: Description | None = None
    plugins: dict[str, Any] | None = None
    recording: dict[str, Any] | None = None


def _out(workspace: Workspace, environment: Environment) -> EnvironmentOut:
    return EnvironmentOut(
        id=environment.id,
        workspace_id=workspace.id,
        workspace=workspace.name,
        name=environment.name,
        description=environment.description,
        plugins=environment.plugins,
        recording=msgspec.convert(environment.recording or {}, RecordingSettings),
        created_at=environment.created_at,
        updated_at=environment.updated_at,
    )


def _plugins(gateway: Gateway, raw: dict[str, Any]) -> dict[str, Any]:
    """The selection as stored, after every plugin validated its settings (400 otherwise)."""
    try:
        entries = parse_selection(gateway.plugins, raw)
    except PluginSettingsError as exc:
        raise BadRequest(str(exc), param=str(exc).split(":", 1)[0]) from None
    return {name: raw[name] for name in entries}


def _plugins_out(gateway: Gateway, selection: dict[str, Any]) -> list[EnvironmentPluginOut]:
    """Every loaded plugin with its state in an environment whose ``plugins`` is ``selection``
    (validated when saved; a plugin not listed is on when it is on by default)."""
    listed = []
    for name, plugin in sorted(gateway.plugins.plugins.items()):
        entry = selection.get(name)
        if isinstance(entry, dict):
            enabled = bool(entry.get("enabled", True))
            settings = entry.get("settings") or {}
        else:
            enabled, settings = plugin.enabled_by_default, {}
        schema = None if plugin.settings_type is None else msgspec.json.schema(plugin.settings_type)
        listed.append(
            EnvironmentPluginOut(
                name=name,
                description=plugin.description,
                version=plugin.version,
                enabled_by_default=plugin.enabled_by_default,
                enabled=enabled,
                settings=settings,
                settings_schema=schema,
            )
        )
    return listed


def _recording(raw: dict[str, Any]) -> dict[str, Any]:
    """The ``recording`` value as stored, once valid (400 naming the field otherwise)."""
    stored: dict[str, Any] = msgspec.to_builtins(convert_field(raw, RecordingSettings, "recording"))
    return stored


async def _contents(db: Db, environment: Environment) -> dict[str, int]:
    counts = {}
    for label, model in (
        ("connections", AIConnection),
        ("resources", AIResource),
        ("API keys", ApiKey),
    ):
        counts[label] = (
            await db.scalar(
                select(func.count())
                .select_from(model)
                .where(model.environment_id == environment.id)
            )
            or 0
        )
    return {label: n for label, n in counts.items() if n}


class EnvironmentsController(Controller):
    """Environments of one workspace."""

    path = "/workspaces/{workspace_key:str}/environments"
    tags = ["environments"]

    @get()
    async def list_environments(
        self,
        workspace_key: FromPath[str],
        caller: CallerDep,
        db: Db,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[EnvironmentOut]:
        """The environments the caller may list (``environment:list``), by name."""
        workspace = await find_workspace(db, workspace_key)
        rows = await db.execute(
            select(Environment)
            .where(Environment.workspace_id == workspace.id)
            .order_by(Environment.name)
        )
        visible = await caller.listable(
            "environment:list",
            workspace_resource(workspace),
            ((environment_resource(workspace, e), _out(workspace, e)) for e in rows.scalars()),
        )
        return paginate(visible, limit, offset)

    @post()
    async def create_environment(
        self,
        workspace_key: FromPath[str],
        data: JSONBody[EnvironmentCreate],
        state: State,
        caller: CallerDep,
        db: Db,
    ) -> EnvironmentOut:
        """Create an environment (``environment:create``); names are unique per workspace."""
        workspace = await find_workspace(db, workspace_key)
        await caller.require("environment:create", environment_resource(workspace, data.name))
        plugins = _plugins(gateway_of(state), data.plugins)
        await refuse_taken(
            db,
            Environment,
            data.name,
            f"workspace {workspace.name!r} already has an environment named {data.name!r}",
            Environment.workspace_id == workspace.id,
        )
        environment = Environment(
            workspace_id=workspace.id,
            name=data.name,
            description=data.description,
            plugins=plugins,
            recording=None if data.recording is None else _recording(data.recording),
        )
        db.add(environment)
        try:
            await db.flush()
        except IntegrityError:
            raise Conflict(f"environment {data.name!r} already exists", param="name") from None
        created = _out(workspace, environment)
        await commit_change(
            db,
            gateway_of(state),
            caller,
            action="environment:create",
            resource=environment_resource(workspace, environment),
            after=created,
            workspace_id=workspace.id,
            environment_id=environment.id,
        )
        return created

    @get("/{environment_key:str}")
    async def get_environment(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        caller: CallerDep,
        db: Db,
    ) -> EnvironmentOut:
        """One environment by id or name (``environment:get``)."""
        workspace = await find_workspace(db, workspace_key)
        environment = await find_environment(db, workspace, environment_key)
        await caller.require("environment:get", environment_resource(workspace, environment))
        return _out(workspace, environment)

    @get("/{environment_key:str}/plugins")
    async def list_environment_plugins(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        state: State,
        caller: CallerDep,
        db: Db,
    ) -> list[EnvironmentPluginOut]:
        """The installed plugins, each on or off here with its settings and their schema
        (``environment:get``); change them with the environment's ``plugins``."""
        workspace = await find_workspace(db, workspace_key)
        environment = await find_environment(db, workspace, environment_key)
        await caller.require("environment:get", environment_resource(workspace, environment))
        return _plugins_out(gateway_of(state), environment.plugins or {})

    @patch("/{environment_key:str}")
    async def update_environment(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        data: JSONBody[EnvironmentUpdate],
        state: State,
        caller: CallerDep,
        db: Db,
    ) -> EnvironmentOut:
        """Rename, describe or change the plugin selection (``environment:update``)."""
        workspace = await find_workspace(db, workspace_key)
        environment = await find_environment(db, workspace, environment_key)
        resource = environment_resource(workspace, environment)
        await caller.require("environment:update", resource)
        before = _out(workspace, environment)
        if data.plugins is not None:
            environment.plugins = _plugins(gateway_of(state), data.plugins)
        if data.recording is not None:
            environment.recording = _recording(data.recording)
        if data.name is not None and data.name != environment.name:
            await refuse_taken(
                db,
                Environment,
                data.name,
                f"workspace {workspace.name!r} already has an environment named {data.name!r}",
                Environment.workspace_id == workspace.id,
            )
            environment.name = data.name
        if data.description is not None:
            environment.description = data.description
        await db.flush()
        after = _out(workspace, environment)
        await commit_change(
            db,
            gateway_of(state),
            caller,
            action="environment:update",
            resource=resource,
            before=before,
            after=after,
            workspace_id=workspace.id,
            environment_id=environment.id,
        )
        return after

    @delete("/{environment_key:str}", status_code=HTTP_204_NO_CONTENT)
    async def delete_environment(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        state: State,
        caller: CallerDep,
        db: Db,
        force: Force = False,
    ) -> None:
        """Delete an environment (``environment:delete``).

        One that still holds connections, resources or API keys needs ``?force=true``.
        """
        workspace = await find_workspace(db, workspace_key)
        environment = await find_environment(db, workspace, environment_key)
        resource = environment_resource(workspace, environment)
        await caller.require("environment:delete", resource)
        contents = await _contents(db, environment)
        if contents and not force:
            held = ", ".join(f"{n} {label}" for label, n in contents.items())
            raise Conflict(
                f"environment {environment.name!r} still holds {held}; pass ?force=true",
                param="force",
            )
        before = _out(workspace, environment)
        await db.delete(environment)
        await commit_change(
            db,
            gateway_of(state),
            caller,
            action="environment:delete",
            resource=resource,
            before=before,
            workspace_id=workspace.id,
            environment_id=before.id,
        )
