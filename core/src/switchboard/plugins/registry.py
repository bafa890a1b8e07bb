"""The typed objects plugins registered, by kind and name, with the plugin behind each.

Collected once per process from the registration hooks. A name registered twice within a
kind is an error naming both plugins (two ``openai`` providers would make connections
ambiguous). Environments see only the objects of their enabled plugins.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from switchboard.context import GatewayContext
from switchboard.interfaces import (
    Authenticator,
    Authorizer,
    CapacityLimiter,
    Provider,
    Recorder,
    SecretBox,
)
from switchboard.plugins.hooks import Hooks
from switchboard.plugins.host import PluginLoadError

__all__ = ["ObjectRegistry", "Registry"]

T = TypeVar("T")


@dataclass(frozen=True)
class _Entry(Generic[T]):
    plugin: str
    obj: T


class ObjectRegistry(Generic[T]):
    """The objects of one kind, in hook call order, keyed by their ``name``."""

    def __init__(self, kind: str, entries: list[tuple[str, T]]) -> None:
        self.kind = kind
        self._entries: dict[str, _Entry[T]] = {}
        for plugin, obj in entries:
            name = getattr(obj, "name", None)
            if not isinstance(name, str) or not name:
                raise PluginLoadError(
                    f"plugin {plugin!r} registered a {kind[:-1]} without a name: {obj!r}"
                )
            if name in self._entries:
                first = self._entries[name].plugin
                raise PluginLoadError(
                    f"{kind[:-1]} {name!r} is registered by both plugin {first!r} "
                    f"and plugin {plugin!r}"
                )
            self._entries[name] = _Entry(plugin, obj)
        # The data plane asks for an environment's objects on every request; the entries
        # never change after construction, so each selection's answer is kept.
        self._available: dict[frozenset[str] | None, tuple[T, ...]] = {}

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, name: str, enabled: frozenset[str] | None = None) -> T | None:
        """The object named ``name``, if its plugin is in ``enabled`` (or any plugin)."""
        entry = self._entries.get(name)
        if entry is None or (enabled is not None and entry.plugin not in enabled):
            return None
        return entry.obj

    def plugin_of(self, name: str) -> str:
        """The plugin that registered ``name``."""
        return self._entries[name].plugin

    def available(self, enabled: frozenset[str] | None = None) -> tuple[T, ...]:
        """The objects whose plugins are in ``enabled`` (all when ``None``), in order."""
        found = self._available.get(enabled)
        if found is None:
            found = self._available[enabled] = tuple(
                e.obj for e in self._entries.values() if enabled is None or e.plugin in enabled
            )
        return found


@dataclass(frozen=True)
class Registry:
    """Every registered object of the process, by kind."""

    providers: ObjectRegistry[Provider]
    capacity_limiters: ObjectRegistry[CapacityLimiter]
    secret_boxes: ObjectRegistry[SecretBox]
    authenticators: ObjectRegistry[Authenticator]
    authorizers: ObjectRegistry[Authorizer]
    recorders: ObjectRegistry[Recorder]

    @classmethod
    def collect(cls, hooks: Hooks, gateway: GatewayContext) -> Registry:
        """Call every registration hook and check the results' types and names."""
        kinds: dict[str, type] = {
            "providers": Provider,
            "capacity_limiters": CapacityLimiter,
            "secret_boxes": SecretBox,
            "authenticators": Authenticator,
            "authorizers": Authorizer,
            "recorders": Recorder,
        }
        built: dict[str, ObjectRegistry[object]] = {}
        for kind, base in kinds.items():
            entries = []
            for registered in hooks.registered(kind, gateway=gateway):
                if not isinstance(registered.obj, base):
                    raise PluginLoadError(
                        f"plugin {registered.plugin!r} registered {registered.obj!r} as one of "
                        f"its {kind}, but it is not a {base.__name__}"
                    )
                entries.append((registered.plugin, registered.obj))
            built[kind] = ObjectRegistry(kind, entries)
        return cls(**built)  # type: ignore[arg-type]
