"""The plugin host: finds plugins through entry points and registers them with pluggy.

A plugin is a module registered under the entry-point group ``switchboard``; the entry
point's name is the plugin's name. Besides its hook implementations a plugin module may
define:

* ``Settings``: a ``msgspec.Struct`` subclass validating its per-environment settings;
* ``ENABLED_BY_DEFAULT``: ``False`` for a plugin that environments must switch on
  (default ``True``: on wherever an environment does not switch it off).

Built-in plugins are found and registered exactly like third-party ones, so
``SWITCHBOARD_DISABLE_PLUGINS`` blocks them the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import msgspec
import pluggy

from switchboard import hookspecs
from switchboard.plugins.hooks import Hooks
from switchboard.settings import Settings

__all__ = ["ENTRY_POINT_GROUP", "FailedPlugin", "LoadedPlugin", "PluginHost", "PluginLoadError"]

ENTRY_POINT_GROUP = "switchboard"

log = logging.getLogger(__name__)


class PluginLoadError(Exception):
    """A plugin could not be loaded, or the plugin configuration names an unknown plugin."""


@dataclass(frozen=True)
class LoadedPlugin:
    """A registered plugin and what it declares."""

    name: str
    module: object
    distribution: str | None
    version: str | None
    description: str
    settings_type: type[msgspec.Struct] | None
    enabled_by_default: bool

    @property
    def hooks(self) -> list[str]:
        """Names of the hooks this plugin implements, sorted."""
        return sorted(
            name
            for name in dir(self.module)
            if name.startswith("switchboard_") and callable(getattr(self.module, name))
        )


@dataclass(frozen=True)
class FailedPlugin:
    """An installed plugin that did not load, and why."""

    name: str
    distribution: str | None
    error: str


@dataclass
class PluginHost:
    """Owns the pluggy manager, the loaded plugins and one :class:`Hooks` per selection."""

    settings: Settings
    pm: pluggy.PluginManager = field(init=False)
    plugins: dict[str, LoadedPlugin] = field(init=False, default_factory=dict)
    failures: list[FailedPlugin] = field(init=False, default_factory=list)
    _hooks: dict[frozenset[str], Hooks] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)

    # -- loading --------------------------------------------------------------------------

    def load_entry_points(self, *, strict: bool | None = None) -> None:
        """Load every installed plugin the allow- and block-lists admit.

        A plugin that fails to import is logged with its name and error and left out;
        with ``strict`` (default: ``SWITCHBOARD_STRICT_PLUGINS``) it raises
        :class:`PluginLoadError` instead. A name in the allow- or block-list that no
        installed plugin has raises :class:`PluginLoadError`.
        """
        strict = self.settings.strict_plugins if strict is None else strict
        installed = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
        allow, block = self.settings.plugin_allow_list, self.settings.plugin_block_list
        for var, names in (("SWITCHBOARD_PLUGINS", allow), ("SWITCHBOARD_DISABLE_PLUGINS", block)):
            unknown = sorted(names - installed.keys())
            if unknown:
                raise PluginLoadError(
                    f"{var} names unknown plugin(s) {', '.join(map(repr, unknown))}; "
                    f"installed: {', '.join(sorted(installed)) or 'none'}"
                )
        for name in block:
            self.pm.set_blocked(name)
        for name, ep in sorted(installed.items()):
            if name in block or (allow and name not in allow) or name in self.plugins:
                continue
            try:
                module = ep.load()
                self.register(module, name=name, entry_point=ep)
            except Exception as exc:
                failure = FailedPlugin(name, _distribution(ep), f"{type(exc).__name__}: {exc}")
                if strict:
                    raise PluginLoadError(
                        f"plugin {name!r} failed to load: {failure.error}"
                    ) from exc
                log.warning("plugin %r failed to load and is left out: %s", name, failure.error)
                self.failures.append(failure)

    def register(
        self, plugin: object, *, name: str, entry_point: EntryPoint | None = None
    ) -> LoadedPlugin:
        """Register ``plugin`` (a module or any object with hook implementations) as ``name``.

        Validates what the plugin declares, so a broken plugin fails here with its name.
        """
        if name in self.plugins:
            raise PluginLoadError(f"a plugin named {name!r} is already registered")
        settings_type = getattr(plugin, "Settings", None)
        if settings_type is not None and not (
            isinstance(settings_type, type) and issubclass(settings_type, msgspec.Struct)
        ):
            raise PluginLoadError(f"plugin {name!r}: Settings must be a msgspec.Struct subclass")
        if self.pm.is_blocked(name):
            raise PluginLoadError(f"plugin {name!r} is blocked by SWITCHBOARD_DISABLE_PLUGINS")
        try:
            self.pm.register(plugin, name=name)
            # An implementation of a hook we do not define is a typo: refuse it now.
            self.pm.check_pending()
        except (ValueError, pluggy.PluginValidationError) as exc:
            if self.pm.has_plugin(name):
                self.pm.unregister(name=name)
            raise PluginLoadError(f"plugin {name!r} is invalid: {exc}") from exc
        loaded = LoadedPlugin(
            name=name,
            module=plugin,
            distribution=_distribution(entry_point) if entry_point else None,
            version=_version(entry_point) if entry_point else None,
            description=_first_line(getattr(plugin, "__doc__", None)),
            settings_type=settings_type,
            enabled_by_default=bool(getattr(plugin, "ENABLED_BY_DEFAULT", True)),
        )
        self.plugins[name] = loaded
        self._hooks.clear()
        return loaded

    def unregister(self, name: str) -> None:
        """Remove a plugin registered under ``name`` (tests use this to clean up)."""
        if self.plugins.pop(name, None) is not None:
            self.pm.unregister(name=name)
            self._hooks.clear()

    # -- hook callers ---------------------------------------------------------------------

    @property
    def hooks(self) -> Hooks:
        """The process-wide hooks: every loaded plugin."""
        return self.hooks_for(frozenset(self.plugins))

    def hooks_for(self, enabled: frozenset[str]) -> Hooks:
        """The hooks of a selection that switches on exactly ``enabled`` (cached)."""
        key = frozenset(enabled).intersection(self.plugins)
        hooks = self._hooks.get(key)
        if hooks is None:
            hooks = Hooks(self.pm, excluded=frozenset(self.plugins.keys() - key))
            self._hooks[key] = hooks
        return hooks


def _distribution(ep: EntryPoint) -> str | None:
    dist: Any = getattr(ep, "dist", None)
    return str(dist.name) if dist is not None else None


def _version(ep: EntryPoint) -> str | None:
    dist: Any = getattr(ep, "dist", None)
    return str(dist.version) if dist is not None else None


def _first_line(doc: str | None) -> str:
    return doc.strip().splitlines()[0] if doc and doc.strip() else ""
