"""``switchboard export``: the gateway's configuration in the shape ``apply -f`` reads.

No secrets leave the gateway (it never shows them): a connection's credentials become
``{<field>FromEnv: SWITCHBOARD_<CONNECTION>_<FIELD>}`` placeholders, users have no
password, API keys no secret. Values equal to their defaults are left out. Links between
API keys and resources are written once, as each key's ``resources``. Applying the export
to the same gateway changes nothing; the placeholders' variables are needed only where a
connection does not exist yet.
"""

from __future__ import annotations

from typing import Any

from switchboard.cli_client.client import RemoteError
from switchboard.cli_client.declarative_secrets import FROM_ENV, env_variable_name
from switchboard.cli_client.declarative_state import Obj, State
from switchboard.cli_client.declarative_values import builtins, clean, provider_defaults

__all__ = ["export_config"]


_DEFAULT_RECORDING = {"payload": "metadata", "redactPaths": []}


def _set(target: dict[str, Any], name: str, value: Any, default: Any = None) -> None:
    """Write ``value`` unless it is the default (or empty)."""
    if value != default and value not in ("", [], {}):
        target[name] = value


def export_config(state: State) -> tuple[dict[str, Any], list[str]]:
    """The configuration, and notes on what the caller may not read (left out)."""
    config: dict[str, Any] = {}
    notes: list[str] = []
    for section, read in (("roles", _roles), ("users", _users)):
        try:
            config[section] = read(state)
        except RemoteError as exc:
            if exc.status != 403:
                raise
            notes.append(f"{section} left out: {exc.message}")
    config["workspaces"] = [_workspace(state, w) for w in state.workspaces().values()]
    return config, notes


def _roles(state: State) -> list[Obj]:
    roles = []
    for role in state.roles().values():
        if role["builtin"]:
            continue
        item: Obj = {"name": role["name"]}
        _set(item, "description", role["description"])
        item["statements"] = role["statements"]
        roles.append(item)
    return roles


def _users(state: State) -> list[Obj]:
    users = []
    for user in state.users().values():
        item: Obj = {"username": user["username"], "email": user["email"]}
        _set(item, "displayName", user["displayName"])
        _set(item, "enabled", user["enabled"], default=True)
        item["roles"] = user["roles"]
        users.append(item)
    return users


def _workspace(state: State, workspace: Obj) -> Obj:
    name = workspace["name"]
    item: Obj = {"name": name}
    _set(item, "description", workspace["description"])
    item["members"] = [{"user": m["username"], "role": m["role"]} for m in state.members(name)]
    item["environments"] = [
        _environment(state, name, environment) for environment in state.environments(name).values()
    ]
    return item


def _environment(state: State, workspace: str, environment: Obj) -> Obj:
    name = environment["name"]
    item: Obj = {"name": name}
    _set(item, "description", environment["description"])
    _set(item, "plugins", environment["plugins"])
    _set(item, "recording", environment.get("recording"), _DEFAULT_RECORDING)
    connections = state.connections(workspace, name).values()
    item["connections"] = [_connection(state, c) for c in connections]
    item["resources"] = [_resource(r) for r in state.resources(workspace, name).values()]
    item["apiKeys"] = [_api_key(k) for k in state.api_keys(workspace, name).values()]
    return item


def _connection(state: State, connection: Obj) -> Obj:
    from switchboard.interfaces.provider import Timeouts  # heavy: only when exporting

    name = connection["name"]
    item: Obj = {"name": name, "provider": connection["provider"]}
    _set(item, "description", connection["description"])
    provider = state.providers().get(connection["provider"], {})
    defaults = provider_defaults(provider.get("settingsSchema", {}))
    settings = {
        key: value
        for key, value in connection["settings"].items()
        if (value != defaults[key] if key in defaults else value is not None)
    }
    _set(item, "settings", settings)
    _set(
        item,
        "credentials",
        {f"{f}{FROM_ENV}": env_variable_name(name, f) for f in connection["credentialFields"]},
    )
    _set(item, "capacity", clean(connection["capacity"]))
    if connection["allowedModels"] is not None:
        item["allowedModels"] = connection["allowedModels"]
    _set(item, "enforceDiscoveredCapacity", connection["enforceDiscoveredCapacity"], False)
    _set(item, "timeouts", connection["timeouts"], builtins(Timeouts()))
    _set(item, "pricing", connection.get("pricing"))
    return item


def _resource(resource: Obj) -> Obj:
    item: Obj = {"name": resource["name"]}
    _set(item, "description", resource["description"])
    item["model"] = clean(resource["model"])
    _set(item, "routing", resource["routing"])
    _set(item, "useFallback", resource["useFallback"], False)
    _set(item, "fallbackModels", clean(resource["fallbackModels"]))
    _set(item, "capacity", clean(resource["capacity"]))
    _set(item, "enforceCapacity", resource["enforceCapacity"], False)
    _set(item, "maxQueueWaitMs", resource["maxQueueWaitMs"])
    return item


def _api_key(key: Obj) -> Obj:
    item: Obj = {"name": key["name"]}
    _set(item, "description", key["description"])
    _set(item, "enabled", key["enabled"], True)
    _set(item, "expiresAt", key["expiresAt"])
    _set(item, "labels", key["labels"])
    item["resources"] = key["resources"]
    _set(item, "capacity", clean(key["capacity"]))
    _set(item, "enforceCapacity", key["enforceCapacity"], False)
    return item
