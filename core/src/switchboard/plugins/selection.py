"""Per-environment plugin selection: which plugins are on, with what settings.

An environment's ``plugins`` value maps plugin names to entries::

    plugins:
      redis-limiter: {settings: {failMode: closed}}   # listed: on (enabled defaults to true)
      log-recorder: {enabled: false}                   # switched off here

A plugin not listed is on when it is enabled by default. Settings are validated by the
plugin's own ``Settings`` Struct; an unknown plugin or a bad setting is refused with a
:class:`PluginSettingsError` naming the plugin and the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec

from switchboard.plugins.hooks import Hooks
from switchboard.plugins.host import PluginHost

__all__ = [
    "EnvironmentPlugins",
    "PluginEntry",
    "PluginSettingsError",
    "parse_selection",
    "resolve_selection",
]

S = TypeVar("S", bound=msgspec.Struct)


class PluginEntry(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """One plugin's entry in an environment's ``plugins``."""

    enabled: bool = True
    settings: dict[str, Any] = msgspec.field(default_factory=dict)


class PluginSettingsError(ValueError):
    """A selection names an unknown plugin or gives a plugin a bad setting.

    ``plugin`` and ``field`` (a dotted path inside the plugin's settings, or ``None``) say
    exactly what to fix; ``str()`` is a sentence that names both.
    """

    def __init__(self, plugin: str, field: str | None, problem: str) -> None:
        self.plugin = plugin
        self.field = field
        self.problem = problem
        where = f"plugins.{plugin}" + (f".{field}" if field else "")
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class EnvironmentPlugins:
    """The resolved selection of one environment: what is on, its settings, its hooks."""

    enabled: frozenset[str]
    settings: Mapping[str, msgspec.Struct]
    hooks: Hooks

    def settings_for(self, plugin: str, settings_type: type[S]) -> S:
        """The validated settings of ``plugin`` (its defaults when none were given)."""
        value = self.settings.get(plugin)
        if value is None:
            return settings_type()
        if not isinstance(value, settings_type):
            raise TypeError(f"plugin {plugin!r} settings are {type(value).__name__}")
        return value


def parse_selection(host: PluginHost, raw: Mapping[str, Any] | None) -> dict[str, PluginEntry]:
    """Validate an environment's raw ``plugins`` value against the loaded plugins."""
    entries: dict[str, PluginEntry] = {}
    for name, value in (raw or {}).items():
        plugin = host.plugins.get(name)
        if plugin is None:
            known = ", ".join(sorted(host.plugins)) or "none"
            raise PluginSettingsError(name, None, f"unknown plugin (loaded plugins: {known})")
        try:
            entry = msgspec.convert(value, PluginEntry)
        except msgspec.ValidationError as exc:
            field, problem = _split_path(str(exc))
            raise PluginSettingsError(name, field, problem) from None
        if entry.settings and plugin.settings_type is None:
            raise PluginSettingsError(name, "settings", "this plugin takes no settings")
        if plugin.settings_type is not None:
            _convert_settings(name, plugin.settings_type, entry.settings)
        entries[name] = entry
    return entries


def resolve_selection(host: PluginHost, raw: Mapping[str, Any] | None) -> EnvironmentPlugins:
    """Turn an environment's ``plugins`` value into the plugins, settings and hooks it uses."""
    entries = parse_selection(host, raw)
    enabled = set()
    settings: dict[str, msgspec.Struct] = {}
    for name, plugin in host.plugins.items():
        entry = entries.get(name)
        on = plugin.enabled_by_default if entry is None else entry.enabled
        if not on:
            continue
        enabled.add(name)
        if plugin.settings_type is not None:
            given = entry.settings if entry else {}
            settings[name] = _convert_settings(name, plugin.settings_type, given)
    frozen = frozenset(enabled)
    return EnvironmentPlugins(enabled=frozen, settings=settings, hooks=host.hooks_for(frozen))


def _convert_settings(plugin: str, settings_type: type[S], given: Mapping[str, Any]) -> S:
    try:
        return msgspec.convert(given, settings_type)
    except msgspec.ValidationError as exc:
        field, problem = _split_path(str(exc))
        raise PluginSettingsError(
            plugin, "settings" + (f".{field}" if field else ""), problem
        ) from None


def _split_path(message: str) -> tuple[str | None, str]:
    """``"Expected `int`, got `str` - at `$.a.b`"`` → ``("a.b", "Expected `int`, got `str`")``."""
    problem, sep, path = message.partition(" - at `$")
    if not sep:
        return None, message
    path = path.rstrip("`").lstrip(".")
    return (path or None), problem
