"""Switchboard's pytest plugin: fixtures for testing the gateway and plugins for it.

``switchboard_settings``
    Settings for a gateway whose data dir (and embedded SQLite database) is in ``tmp_path``;
    the process's ``SWITCHBOARD_*`` variables are ignored so tests are reproducible.
``switchboard_plugins``
    A plugin host with the installed plugins loaded.
``register_plugin``
    ``register_plugin(obj, name=None)`` registers ``obj`` (a module, class or instance with
    hook implementations) for this test only. Register before starting ``gateway``: the
    registered objects (providers, recorders, ...) are collected at startup.
``gateway``
    A real gateway (uvicorn, real sockets) on a free port; ``gateway.url`` is its base URL.
``redis_url``
    The test Redis (``SWITCHBOARD_TEST_REDIS_URL``, default ``redis://127.0.0.1:6379/0``).
plus the database fixtures of :mod:`switchboard.testing.databases`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

try:
    import pytest_asyncio  # noqa: F401 - the database fixtures are async
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        "switchboard's pytest plugin needs pytest-asyncio: install 'switchboard-core[testing]'"
    ) from exc

from switchboard.plugins.host import LoadedPlugin, PluginHost
from switchboard.settings import Settings, load_settings
from switchboard.testing.databases import *  # noqa: F403 - re-exported fixtures
from switchboard.testing.databases import __all__ as _database_fixtures
from switchboard.testing.server import RunningGateway, serve_in_thread
from switchboard.testing.services import require_reachable

__all__ = [
    "gateway",
    "redis_url",
    "register_plugin",
    "switchboard_plugins",
    "switchboard_settings",
    *_database_fixtures,
]

RegisterPlugin = Callable[..., LoadedPlugin]


@pytest.fixture
def switchboard_settings(tmp_path: Path) -> Settings:
    """Settings for a throwaway gateway: data dir in ``tmp_path``, embedded database."""
    return load_settings({}, data_dir=str(tmp_path / "data"))


@pytest.fixture
def switchboard_plugins(switchboard_settings: Settings) -> PluginHost:
    """A plugin host with every installed plugin loaded."""
    host = PluginHost(switchboard_settings)
    host.load_entry_points()
    return host


@pytest.fixture
def register_plugin(switchboard_plugins: PluginHost) -> Iterator[RegisterPlugin]:
    """Register plugins for the duration of one test."""
    added: list[str] = []

    def register(plugin: Any, name: str | None = None) -> LoadedPlugin:
        plugin_name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        loaded = switchboard_plugins.register(plugin, name=plugin_name)
        added.append(plugin_name)
        return loaded

    yield register
    for name in reversed(added):
        switchboard_plugins.unregister(name)


@pytest.fixture
def gateway(
    switchboard_settings: Settings, switchboard_plugins: PluginHost
) -> Iterator[RunningGateway]:
    """A real gateway server on a free port, stopped after the test."""
    with serve_in_thread(switchboard_settings, switchboard_plugins) as running:
        yield running


@pytest.fixture
def redis_url() -> str:
    """The URL of the test Redis; skips (or fails in CI) when it does not answer."""
    url = os.environ.get("SWITCHBOARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    parts = urlsplit(url)
    require_reachable(
        "Redis", parts.hostname or "127.0.0.1", parts.port or 6379, "SWITCHBOARD_TEST_REDIS_URL"
    )
    return url


def pytest_configure(config: pytest.Config) -> None:
    """Declare the markers the fixtures use, so ``--strict-markers`` suites accept them."""
    config.addinivalue_line("markers", "postgres: needs PostgreSQL (SWITCHBOARD_TEST_POSTGRES_URL)")
    config.addinivalue_line("markers", "redis: needs Redis (SWITCHBOARD_TEST_REDIS_URL)")
