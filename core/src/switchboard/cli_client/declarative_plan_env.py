"""The plan for what one environment holds: connections, AI resources and API keys.

Order of the changes: connections, then resources (their models may name a connection),
then API keys (their ``resources`` name resources). Which keys may call which resources is
one set of links that both sides edit (a resource's ``assignApiKeys``, a key's
``resources``); the file's two views are merged: a link is wanted when either side the
file declares lists it, and a side the file does not declare keeps its links. A resource
created here is linked at once to the existing keys; a key created here gets its links
when it is created, so no change is shown twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from msgspec import UNSET, UnsetType

from switchboard.cli_client.declarative_changes import Call, Change, PlanError, Updates
from switchboard.cli_client.declarative_secrets import (
    SecretError,
    credential_fields,
    resolve_credentials,
)
from switchboard.cli_client.declarative_spec import (
    ApiKeySpec,
    ConnectionSpec,
    EnvironmentSpec,
    ModelRef,
    ResourceSpec,
)
from switchboard.cli_client.declarative_state import Obj, State, environment_path, segment
from switchboard.cli_client.declarative_values import (
    builtins,
    masked,
    provider_defaults,
    show,
    timestamp,
)

__all__ = ["EnvironmentPlanner", "Options"]

Link = tuple[str, str]  # (API key name, resource name)


@dataclass(frozen=True)
class Options:
    """How to apply: ``prune`` deletes what the file leaves out (of the lists it gives),
    ``update_credentials`` re-sends credentials and passwords of existing objects, ``base``
    is the folder relative ``...FromFile`` paths start from."""

    prune: bool = False
    update_credentials: bool = False
    base: Path = Path()


def _items(value: list[Any] | UnsetType) -> list[Any]:
    return [] if isinstance(value, UnsetType) else value


def _labels_equal(wanted: list[str], current: list[str]) -> bool:
    return list(dict.fromkeys(wanted)) == current


def _expiry_equal(wanted: Any, current: Any) -> bool:
    return timestamp(wanted) == timestamp(current)


class EnvironmentPlanner:
    """Plans one environment's contents; ``exists`` says whether the environment does."""

    def __init__(
        self,
        state: State,
        options: Options,
        workspace: str,
        spec: EnvironmentSpec,
        where: str,
        *,
        exists: bool,
    ) -> None:
        self.state = state
        self.options = options
        self.workspace = workspace
        self.spec = spec
        self.where = where
        self.base = environment_path(workspace, spec.name)
        self.shown = f"{workspace}/{spec.name}"
        self.connections: dict[str, Obj] = {}
        self.resources: dict[str, Obj] = {}
        self.keys: dict[str, Obj] = {}
        if exists:
            name = spec.name
            has_resources = not isinstance(spec.resources, UnsetType)
            if has_resources or not isinstance(spec.connections, UnsetType):
                self.connections = state.connections(workspace, name)
            if has_resources or not isinstance(spec.api_keys, UnsetType):
                self.resources = state.resources(workspace, name)
                self.keys = state.api_keys(workspace, name)
        self.changes: list[Change] = []
        self.deletions: list[Change] = []

    # -- the plan ---------------------------------------------------------------------

    def plan(self) -> tuple[list[Change], list[Change]]:
        """The changes in order, and the deletions (made last, in dependency order)."""
        self._check_references()
        for index, connection in enumerate(_items(self.spec.connections)):
            self._connection(connection, f"{self.where}.connections[{index}]")
        self._prepare_links()
        for resource in _items(self.spec.resources):
            self._resource(resource)
        for key in _items(self.spec.api_keys):
            self._api_key(key)
        self._prune()
        return self.changes, self.deletions

    def _path(self, name: str) -> str:
        return f"{self.shown}/{name}"

    def _url(self, collection: str, name: str | None = None) -> str:
        url = f"{self.base}/{collection}"
        return url if name is None else f"{url}/{segment(name)}"

    # -- references -------------------------------------------------------------------

    def _after(self, listed: list[Any] | UnsetType, existing: Iterable[str]) -> set[str]:
        """Names there will be once applied: the file's, plus the existing ones unless
        ``--prune`` removes those the file's list leaves out."""
        names = {item.name for item in _items(listed)}
        if not (self.options.prune and not isinstance(listed, UnsetType)):
            names.update(existing)
        return names

    def _check_references(self) -> None:
        """Every provider, connection, key and resource the file names exists or will."""
        spec = self.spec
        uses_providers = _items(spec.connections) or _items(spec.resources)
        providers = set(self.state.providers()) if uses_providers else set()
        connections = self._after(spec.connections, self.connections)
        keys = self._after(spec.api_keys, self.keys)
        resources = self._after(spec.resources, self.resources)
        for index, connection in enumerate(_items(spec.connections)):
            where = f"{self.where}.connections[{index}].provider"
            _check_provider(connection.provider, providers, where)
        for index, resource in enumerate(_items(spec.resources)):
            where = f"{self.where}.resources[{index}]"
            for path, ref in _models_of(resource, where):
                _check_provider(ref.provider, providers, f"{path}.provider")
                if isinstance(ref.connection, str) and ref.connection not in connections:
                    raise PlanError(
                        f"{path}.connection: no connection {ref.connection!r} in {self.shown}"
                    )
            for position, key in enumerate(_items(resource.assign_api_keys)):
                if key not in keys:
                    raise PlanError(
                        f"{where}.assignApiKeys[{position}]: no API key {key!r} in {self.shown}"
                    )
        for index, api_key in enumerate(_items(spec.api_keys)):
            for position, name in enumerate(_items(api_key.resources)):
                if name not in resources:
                    raise PlanError(
                        f"{self.where}.apiKeys[{index}].resources[{position}]: "
                        f"no AI resource {name!r} in {self.shown}"
                    )

    # -- connections ------------------------------------------------------------------

    def _credentials(self, spec: ConnectionSpec, where: str) -> dict[str, str]:
        try:
            return resolve_credentials(spec, self.options.base, where)
        except SecretError as exc:
            raise PlanError(str(exc)) from None

    def _connection(self, spec: ConnectionSpec, where: str) -> None:
        current = self.connections.get(spec.name)
        path = self._path(spec.name)
        if current is None:
            body = builtins(spec)
            body["credentials"] = self._credentials(spec, where)
            call = Call("POST", self._url("connections"), body)
            self.changes.append(Change("create", "connection", path, [call]))
            return
        if spec.provider != current["provider"]:
            raise PlanError(
                f"{where}.provider: connection {path} is of provider {current['provider']!r}; "
                "a connection's provider cannot change (give the new one another name)"
            )
        provider = self.state.providers().get(spec.provider, {})
        defaults = provider_defaults(provider.get("settingsSchema", {}))
        updates = Updates()
        updates.compare("description", spec.description, current["description"])
        # The gateway fills in the provider's defaults; so does the comparison.
        settings = spec.settings
        if not isinstance(settings, UnsetType):
            settings = {**defaults, **settings}
        updates.compare("settings", settings, current["settings"])
        updates.compare("capacity", spec.capacity, current["capacity"])
        updates.compare("allowedModels", spec.allowed_models, current["allowedModels"])
        updates.compare(
            "enforceDiscoveredCapacity",
            spec.enforce_discovered_capacity,
            current["enforceDiscoveredCapacity"],
        )
        # Only the timeouts the file names are managed; the others keep their values.
        timeouts: Any = spec.timeouts
        if not isinstance(timeouts, UnsetType):
            timeouts = {**(current["timeouts"] or {}), **builtins(timeouts)}
        updates.compare("timeouts", timeouts, current["timeouts"])
        # The file's prices replace the connection's; ``null`` and ``{}`` both mean none.
        pricing: Any = {} if spec.pricing is None else spec.pricing
        updates.compare("pricing", pricing, current.get("pricing") or {})
        fields = credential_fields(spec)
        have = set(current["credentialFields"])
        if not isinstance(spec.credentials, UnsetType) and (
            self.options.update_credentials or fields != have
        ):
            updates.add("credentials", self._credentials(spec, where), masked(have), masked(fields))
        if updates:
            call = Call("PATCH", self._url("connections", spec.name), updates.body)
            self.changes.append(Change("update", "connection", path, [call], updates.fields))

    # -- links between API keys and resources -----------------------------------------

    def _prepare_links(self) -> None:
        spec = self.spec
        self.gone_keys = self._pruned(spec.api_keys, self.keys)
        self.gone_resources = self._pruned(spec.resources, self.resources)
        self.declared_by_resource = {
            r.name: set(r.assign_api_keys)
            for r in _items(spec.resources)
            if not isinstance(r.assign_api_keys, UnsetType)
        }
        self.declared_by_key = {
            k.name: set(k.resources)
            for k in _items(spec.api_keys)
            if not isinstance(k.resources, UnsetType)
        }
        self.links: set[Link] = {
            (name, resource) for name, key in self.keys.items() for resource in key["resources"]
        }
        self.existing_keys = sorted(set(self.keys) - self.gone_keys)
        # The links as they are once the resources are created and updated.
        self.links_after_resources = {
            (key, resource)
            for key, resource in self.links
            if resource in self.resources and resource not in self.declared_by_resource
        }
        for resource in _items(spec.resources):
            if resource.name in self.declared_by_resource or resource.name not in self.resources:
                self.links_after_resources.update(
                    (key, resource.name)
                    for key in self.existing_keys
                    if self._wanted(key, resource.name)
                )

    def _pruned(self, listed: list[Any] | UnsetType, existing: dict[str, Obj]) -> set[str]:
        if not self.options.prune or isinstance(listed, UnsetType):
            return set()
        return set(existing) - {item.name for item in listed}

    def _wanted(self, key: str, resource: str) -> bool:
        """Whether API key ``key`` is to call ``resource`` once applied."""
        by_key = self.declared_by_key.get(key)
        by_resource = self.declared_by_resource.get(resource)
        if by_key is None and by_resource is None:
            return (key, resource) in self.links
        return (by_key is not None and resource in by_key) or (
            by_resource is not None and key in by_resource
        )

    # -- resources --------------------------------------------------------------------

    def _resource(self, spec: ResourceSpec) -> None:
        current = self.resources.get(spec.name)
        path = self._path(spec.name)
        keys = sorted(k for k in self.existing_keys if self._wanted(k, spec.name))
        if current is None:
            body = builtins(spec)
            body["assignApiKeys"] = keys
            call = Call("POST", self._url("resources"), body)
            self.changes.append(Change("create", "resource", path, [call]))
            return
        updates = Updates()
        updates.compare("description", spec.description, current["description"])
        updates.compare("model", spec.model, current["model"])
        updates.compare("routing", spec.routing, current["routing"])
        updates.compare("useFallback", spec.use_fallback, current["useFallback"])
        updates.compare("fallbackModels", spec.fallback_models, current["fallbackModels"])
        updates.compare("capacity", spec.capacity, current["capacity"])
        updates.compare("enforceCapacity", spec.enforce_capacity, current["enforceCapacity"])
        updates.compare("maxQueueWaitMs", spec.max_queue_wait_ms, current["maxQueueWaitMs"])
        if spec.name in self.declared_by_resource:
            have = sorted(k for k, r in self.links if r == spec.name and k not in self.gone_keys)
            if keys != have:
                updates.add("assignApiKeys", keys, show(have), show(keys))
        if updates:
            call = Call("PATCH", self._url("resources", spec.name), updates.body)
            self.changes.append(Change("update", "resource", path, [call], updates.fields))

    # -- API keys ---------------------------------------------------------------------

    def _api_key(self, spec: ApiKeySpec) -> None:
        current = self.keys.get(spec.name)
        path = self._path(spec.name)
        every = (set(self.resources) | {r.name for r in _items(self.spec.resources)}) - (
            self.gone_resources
        )
        wanted = sorted(r for r in every if self._wanted(spec.name, r))
        if current is None:
            body = builtins(spec)
            body["resources"] = wanted
            call = Call("POST", self._url("api-keys"), body, new_key=path)
            self.changes.append(Change("create", "API key", path, [call]))
            return
        updates = Updates()
        updates.compare("description", spec.description, current["description"])
        updates.compare("enabled", spec.enabled, current["enabled"])
        updates.compare("expiresAt", spec.expires_at, current["expiresAt"], equal=_expiry_equal)
        updates.compare("labels", spec.labels, current["labels"], equal=_labels_equal)
        updates.compare("capacity", spec.capacity, current["capacity"])
        updates.compare("enforceCapacity", spec.enforce_capacity, current["enforceCapacity"])
        if spec.name in self.declared_by_key:
            have = sorted(
                r
                for k, r in self.links_after_resources
                if k == spec.name and r not in self.gone_resources
            )
            if wanted != have:
                updates.add("resources", wanted, show(have), show(wanted))
        if updates:
            call = Call("PATCH", self._url("api-keys", spec.name), updates.body)
            self.changes.append(Change("update", "API key", path, [call], updates.fields))

    # -- prune ------------------------------------------------------------------------

    def _prune(self) -> None:
        """With ``--prune``: what the file's lists leave out goes (keys, resources,
        connections: the order the deletions are made in)."""
        if not self.options.prune:
            return
        for collection, kind, listed, existing in (
            ("api-keys", "API key", self.spec.api_keys, self.keys),
            ("resources", "resource", self.spec.resources, self.resources),
            ("connections", "connection", self.spec.connections, self.connections),
        ):
            for name in sorted(self._pruned(listed, existing)):
                call = Call("DELETE", self._url(collection, name))
                self.deletions.append(Change("delete", kind, self._path(name), [call]))


def _check_provider(name: str, providers: set[str], where: str) -> None:
    if name not in providers:
        installed = ", ".join(sorted(providers)) or "none"
        raise PlanError(f"{where}: unknown provider {name!r} (installed: {installed})")


def _models_of(resource: ResourceSpec, where: str) -> list[tuple[str, ModelRef]]:
    """Every model a resource names, with its path: primary, fallbacks, routing targets."""
    models = [(f"{where}.model", resource.model)]
    fallbacks = enumerate(_items(resource.fallback_models))
    models.extend((f"{where}.fallbackModels[{i}]", ref) for i, ref in fallbacks)
    routing = resource.routing if isinstance(resource.routing, dict) else {}
    conditions = routing.get("conditions")
    for index, condition in enumerate(conditions if isinstance(conditions, list) else []):
        then = condition.get("then") if isinstance(condition, dict) else None
        if isinstance(then, dict) and isinstance(then.get("provider"), str):
            connection = then.get("connection")
            ref = ModelRef(
                provider=then["provider"],
                model=str(then.get("model", "")),
                connection=connection if isinstance(connection, str) else UNSET,
            )
            models.append((f"{where}.routing.conditions[{index}].then", ref))
    return models
