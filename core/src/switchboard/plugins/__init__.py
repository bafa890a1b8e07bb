"""The plugin host: discovery, per-environment selection, typed hooks, registered objects."""

from switchboard.plugins.hooks import Hooks, Registered
from switchboard.plugins.host import FailedPlugin, LoadedPlugin, PluginHost, PluginLoadError
from switchboard.plugins.registry import ObjectRegistry, Registry
from switchboard.plugins.selection import (
    EnvironmentPlugins,
    PluginEntry,
    PluginSettingsError,
    parse_selection,
    resolve_selection,
)

__all__ = [
    "EnvironmentPlugins",
    "FailedPlugin",
    "Hooks",
    "LoadedPlugin",
    "ObjectRegistry",
    "PluginEntry",
    "PluginHost",
    "PluginLoadError",
    "PluginSettingsError",
    "Registered",
    "Registry",
    "parse_selection",
    "resolve_selection",
]
