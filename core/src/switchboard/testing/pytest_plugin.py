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
``redis_cluster`` / ``redis_cluster_url``
    A throwaway Redis Cluster of three primaries started for the session (a few seconds), as
    :class:`~switchboard.testing.redis_cluster.RedisClusterNodes` / the URL of its first node
    (for ``SWITCHBOARD_REDIS_URL`` with ``SWITCHBOARD_REDIS_CLUSTER=true``). Needs
    ``redis-server`` and ``redis-cli`` on ``PATH``; skips without them (fails when
    ``SWITCHBOARD_REQUIRE_SERVICES=1``).
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
from switchboard.testing.redis_cluster import RedisClusterNodes, redis_cluster_binaries
from switchboard.testing.server import RunningGateway, serve_in_thread
from switchboard.testing.services import require_reachable

__all__ = [
    "gateway",
    "redis_cluster",
    "redis_cluster_url",
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


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterNodes]:
    """A fresh three-primary Redis Cluster for the session (a few seconds to form).

    Skipped with the reason when ``redis-server`` or ``redis-cli`` is not installed, unless
    ``SWITCHBOARD_REQUIRE_SERVICES=1``, which makes it fail instead (as for the test Redis).
    Tests that stop a node start it again (:meth:`RedisClusterNodes.start`, then
    :meth:`RedisClusterNodes.wait_until_ok`): the next test gets the cluster whole.
    """
    server, cli = redis_cluster_binaries()
    nodes = RedisClusterNodes(server, cli, tmp_path_factory.mktemp("redis-cluster"))
    try:
        nodes.create()
        yield nodes
    finally:
        nodes.close()


@pytest.fixture(scope="session")
def redis_cluster_url(redis_cluster: RedisClusterNodes) -> str:
    """The URL of a node of the session's Redis Cluster (clients find the others from it)."""
    return redis_cluster.url


def pytest_configure(config: pytest.Config) -> None:
    """Declare the markers the fixtures use, so ``--strict-markers`` suites accept them."""
    config.addinivalue_line("markers", "postgres: needs PostgreSQL (SWITCHBOARD_TEST_POSTGRES_URL)")
    config.addinivalue_line("markers", "redis: needs Redis (SWITCHBOARD_TEST_REDIS_URL)")
