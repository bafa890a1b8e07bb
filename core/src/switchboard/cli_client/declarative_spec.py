"""The file ``switchboard apply -f`` reads: its shape as msgspec Structs, and loading it.

The shape is DESIGN.md section 5's (the seed's YAML, camelCase)::

    roles: [{name, description, statements}]
    users: [{username, email, displayName, enabled, roles, passwordFromEnv | passwordFile}]
    workspaces:
      - name, description
        members: [{user, role}]
        environments:
          - name, description, plugins, recording
            connections: [{name, provider, settings, credentials, capacity, allowedModels, ...}]
            resources: [{name, model, routing, useFallback, fallbackModels, capacity, ...}]
            apiKeys: [{name, resources, labels, capacity, ...}]

A field left out of the file is a field the file does not manage: apply leaves it as it is.
Unknown fields are refused with their path (``workspaces[0].environments[1].connections[0]
.provdier: unknown field``), and so is a name given twice in one list.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
import yaml
from msgspec import UNSET, UnsetType

from switchboard.dataplane.capture import RecordingSettings
from switchboard.naming import PATTERN_MEANINGS, Email, Name

__all__ = [
    "ApiKeySpec",
    "CapacitySpec",
    "ConfigFile",
    "ConnectionSpec",
    "EnvironmentSpec",
    "FileError",
    "MemberSpec",
    "ModelRef",
    "ResourceSpec",
    "RoleSpec",
    "StatementSpec",
    "TimeoutsSpec",
    "UserSpec",
    "WorkspaceSpec",
    "load_file",
    "parse_file",
]

Period = Literal["minute", "hour", "day", "week", "month"]
PositiveInt = Annotated[int, msgspec.Meta(gt=0)]
Seconds = Annotated[float, msgspec.Meta(gt=0)]
Expiry = Annotated[datetime, msgspec.Meta(tz=True)]

# Fields that are easy to guess wrong, and what to write instead.
_HINTS = {
    "password": "use passwordFromEnv or passwordFile: secrets do not belong in the file",
    "passwordFromFile": "the field is passwordFile",
    "assignedApiKeys": "the field is assignApiKeys",
    "api_keys": "the field is apiKeys",
}


class FileError(Exception):
    """The file cannot be used; the message names the file, and the path inside it."""


class _Spec(msgspec.Struct, rename="camel", kw_only=True, forbid_unknown_fields=True):
    """Base of the file's objects: camelCase, unknown fields refused, unset fields unset."""


class StatementSpec(_Spec):
    """One policy statement of a role."""

    effect: Literal["ALLOW", "DENY"]
    actions: list[str]
    resources: list[str]


class RoleSpec(_Spec):
    """A custom role."""

    name: Name
    description: str | UnsetType = UNSET
    statements: list[StatementSpec] | UnsetType = UNSET


class UserSpec(_Spec):
    """A local account. The password is read from a variable or a file, never written here."""

    username: Name
    email: Email | UnsetType = UNSET
    display_name: str | UnsetType = UNSET
    enabled: bool | UnsetType = UNSET
    roles: list[Name] | UnsetType = UNSET
    password_from_env: str | UnsetType = UNSET
    password_file: str | UnsetType = UNSET


class MemberSpec(_Spec):
    """A workspace member: ``user`` is a username or an email."""

    user: str
    role: Literal["owner", "member"] | UnsetType = UNSET


class CapacitySpec(_Spec, omit_defaults=True):
    """Limits for one period."""

    period: Period
    requests: PositiveInt | UnsetType = UNSET
    tokens: PositiveInt | UnsetType = UNSET


class TimeoutsSpec(_Spec, omit_defaults=True):
    """How long a provider call may take, in seconds."""

    connect: Seconds | UnsetType = UNSET
    first_byte: Seconds | UnsetType = UNSET
    total: Seconds | UnsetType = UNSET


class ModelRef(_Spec, omit_defaults=True):
    """A provider's model, optionally pinned to a connection of the environment."""

    provider: str
    model: str
    connection: str | UnsetType = UNSET


class ConnectionSpec(_Spec):
    """An AI connection. ``credentials`` maps each credential field to a literal value, or
    ``<field>FromEnv: VARIABLE`` / ``<field>FromFile: PATH`` to read it from there."""

    name: Name
    provider: str
    description: str | UnsetType = UNSET
    settings: dict[str, Any] | UnsetType = UNSET
    credentials: dict[str, str] | UnsetType = UNSET
    capacity: list[CapacitySpec] | UnsetType = UNSET
    allowed_models: list[str] | UnsetType | None = UNSET
    enforce_discovered_capacity: bool | UnsetType = UNSET
    timeouts: TimeoutsSpec | UnsetType = UNSET
    pricing: dict[str, Any] | UnsetType | None = UNSET
    """Prices by model (USD per million tokens), checked by the gateway, which names the
    field it refuses: ``{gpt-4o: {input: 2.5, output: 10, cachedInput: 1.25}}``."""


class ResourceSpec(_Spec):
    """An AI resource, in the seed's shape."""

    name: Name
    model: ModelRef
    description: str | UnsetType = UNSET
    routing: dict[str, Any] | UnsetType | None = UNSET
    use_fallback: bool | UnsetType = UNSET
    fallback_models: list[ModelRef] | UnsetType = UNSET
    capacity: list[CapacitySpec] | UnsetType = UNSET
    enforce_capacity: bool | UnsetType = UNSET
    max_queue_wait_ms: int | UnsetType | None = UNSET
    assign_api_keys: list[str] | UnsetType = UNSET


class ApiKeySpec(_Spec):
    """An API key; its secret exists only when apply creates it."""

    name: Name
    description: str | UnsetType = UNSET
    enabled: bool | UnsetType = UNSET
    expires_at: Expiry | UnsetType | None = UNSET
    labels: list[str] | UnsetType = UNSET
    resources: list[str] | UnsetType = UNSET
    capacity: list[CapacitySpec] | UnsetType = UNSET
    enforce_capacity: bool | UnsetType = UNSET


class EnvironmentSpec(_Spec):
    """An environment and what it holds."""

    name: Name
    description: str | UnsetType = UNSET
    plugins: dict[str, Any] | UnsetType = UNSET
    recording: RecordingSettings | UnsetType = UNSET
    connections: list[ConnectionSpec] | UnsetType = UNSET
    resources: list[ResourceSpec] | UnsetType = UNSET
    api_keys: list[ApiKeySpec] | UnsetType = UNSET


class WorkspaceSpec(_Spec):
    """A workspace, its members and environments."""

    name: Name
    description: str | UnsetType = UNSET
    members: list[MemberSpec] | UnsetType = UNSET
    environments: list[EnvironmentSpec] | UnsetType = UNSET


class ConfigFile(_Spec):
    """The whole file. A section left out is not managed (``--prune`` leaves it alone too)."""

    roles: list[RoleSpec] | UnsetType = UNSET
    users: list[UserSpec] | UnsetType = UNSET
    workspaces: list[WorkspaceSpec] | UnsetType = UNSET


_AT = re.compile(r"^(?P<problem>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<field>[^`]*)`$")
_MISSING = re.compile(r"^Object missing required field `(?P<field>[^`]*)`$")
_PATTERN = re.compile(r"^Expected `str` matching regex '(?P<regex>.*)'$", re.DOTALL)


def _readable(error: msgspec.ValidationError) -> str:
    """msgspec's message as ``path.to.field: problem``."""
    match = _AT.match(str(error))
    assert match is not None  # the pattern matches any text
    problem, path = match["problem"], (match["path"] or "").lstrip(".")
    if unknown := _UNKNOWN.match(problem):
        field = unknown["field"]
        hint = _HINTS.get(field)
        return _join(path, field) + ": unknown field" + (f" ({hint})" if hint else "")
    if missing := _MISSING.match(problem):
        return _join(path, missing["field"]) + ": required"
    if pattern := _PATTERN.match(problem):
        # msgspec quotes the pattern as repr() does, without the outer quotes.
        meanings = {repr(regex)[1:-1]: meaning for regex, meaning in PATTERN_MEANINGS.items()}
        problem = meanings.get(pattern["regex"], problem)
    else:
        problem = problem[:1].lower() + problem[1:]
    return f"{path}: {problem}" if path else problem


def _join(path: str, field: str) -> str:
    return f"{path}.{field}" if path else field


def _duplicates(config: ConfigFile) -> str | None:
    """The path of the first name given twice in one list, with the problem."""
    groups: list[tuple[str, list[Any], str]] = []
    groups.append(("roles", _list(config.roles), "name"))
    groups.append(("users", _list(config.users), "username"))
    groups.append(("workspaces", _list(config.workspaces), "name"))
    for w, workspace in enumerate(_list(config.workspaces)):
        groups.append((f"workspaces[{w}].members", _list(workspace.members), "user"))
        groups.append((f"workspaces[{w}].environments", _list(workspace.environments), "name"))
        for e, environment in enumerate(_list(workspace.environments)):
            base = f"workspaces[{w}].environments[{e}]"
            groups.append((f"{base}.connections", _list(environment.connections), "name"))
            groups.append((f"{base}.resources", _list(environment.resources), "name"))
            groups.append((f"{base}.apiKeys", _list(environment.api_keys), "name"))
    for where, items, field in groups:
        seen: set[str] = set()
        for index, item in enumerate(items):
            value = getattr(item, field)
            if value in seen:
                return f"{where}[{index}].{_camel(field)}: {value!r} is given twice"
            seen.add(value)
    return None


def _camel(field: str) -> str:
    head, *rest = field.split("_")
    return head + "".join(part.title() for part in rest)


def _list(value: list[Any] | UnsetType) -> list[Any]:
    return [] if isinstance(value, UnsetType) else value


def parse_file(text: str, source: str = "<file>") -> ConfigFile:
    """The configuration in ``text`` (YAML); :class:`FileError` names what is wrong."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise FileError(f"{source}:{where}: not valid YAML: {problem}") from None
    if raw is None:
        raise FileError(f"{source}: the file is empty")
    if not isinstance(raw, dict):
        raise FileError(f"{source}: expected a mapping with roles, users and workspaces")
    try:
        config = msgspec.convert(raw, ConfigFile)
    except msgspec.ValidationError as exc:
        raise FileError(f"{source}: {_readable(exc)}") from None
    duplicate = _duplicates(config)
    if duplicate is not None:
        raise FileError(f"{source}: {duplicate}")
    return config


def load_file(path: Path) -> ConfigFile:
    """The configuration in the YAML file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise FileError(f"{path}: not a UTF-8 text file") from None
    return parse_file(text, str(path))
