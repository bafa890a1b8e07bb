"""Every control-plane test runs against SQLite and PostgreSQL over real HTTP.

``switchboard_settings`` is overridden to use the ``database_url`` fixture (parametrized
over both databases), so the plugin's ``gateway`` fixture migrates and serves that
database. ``harness`` adds the admin's client (signed in, then a personal token).
``module_gateway`` / ``module_harness`` are one gateway per database per test module, for
modules whose tests can share it (each using names of its own) or that build a large world
once (the matrix): a gateway start costs about a second, more on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from switchboard.db.engine import normalize_url
from switchboard.plugins.host import PluginHost
from switchboard.settings import Settings, load_settings
from switchboard.testing import RunningGateway, serve_in_thread
from tests.core.api.client import ADMIN_PASSWORD, Api, Transcript, login

# Connection credentials are sealed with this key; PostgreSQL deployments must set one.
# (Passed only when the settings know the field, so these tests run with or without it.)
ENCRYPTION_KEY = base64.b64encode(bytes(range(32))).decode()


def api_settings(data_dir: str, database_url: str) -> Settings:
    """Settings for a test gateway on ``database_url`` with a known admin password."""
    extra: dict[str, str] = {}
    if "encryption_key" in Settings.__struct_fields__:
        extra["encryption_key"] = ENCRYPTION_KEY
    return load_settings(
        {},
        data_dir=data_dir,
        database_url=database_url,
        admin_password=ADMIN_PASSWORD,
        **extra,
    )


@pytest.fixture
def switchboard_settings(tmp_path: Path, database_url: str) -> Settings:
    """The plugin's settings, on the parametrized database, with a known admin password."""
    return api_settings(str(tmp_path / "data"), database_url)


@dataclass
class Harness:
    """A running gateway, its database URL, the admin's token client and the transcript."""

    gateway: RunningGateway
    database_url: str
    transcript: Transcript
    admin: Api

    @property
    def url(self) -> str:
        return self.gateway.url

    def anonymous(self) -> Api:
        return Api(self.url, self.transcript)

    def login(self, username: str, password: str, **headers: str) -> Api:
        return login(self.url, self.transcript, username, password, headers=headers or None)

    def user(self, username: str, *roles: str, password: str) -> Api:
        """Create a user with ``roles`` and return a bearer-token client acting as them."""
        self.admin.create_user(username, *roles, password=password)
        return self.login(username, password).as_token()


def make_harness(gateway: RunningGateway, database_url: str) -> Harness:
    transcript = Transcript()
    admin = login(gateway.url, transcript, "admin", ADMIN_PASSWORD).as_token("admin-cli")
    return Harness(gateway, database_url, transcript, admin)


@pytest.fixture
def harness(gateway: RunningGateway, database_url: str) -> Harness:
    """A fresh gateway (one per test and database) and the admin's bearer-token client."""
    return make_harness(gateway, database_url)


async def _on_postgres_server(server_url: str, sql: str) -> None:
    engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql(sql)
    finally:
        await engine.dispose()


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ],
)
def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty database shared by one module's tests: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp("sqlite")
        yield URL.create("sqlite+aiosqlite", database=str(folder / "sb.db")).render_as_string()
        return
    server: str = request.getfixturevalue("postgres_server_url")
    name = f"sb_test_{secrets.token_hex(6)}"
    asyncio.run(_on_postgres_server(server, f'CREATE DATABASE "{name}"'))
    try:
        yield normalize_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_on_postgres_server(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def module_gateway(
    module_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningGateway]:
    """One gateway per module and database (for worlds too costly to build per test)."""
    settings = api_settings(str(tmp_path_factory.mktemp("data")), module_database_url)
    plugins = PluginHost(settings)
    plugins.load_entry_points()
    with serve_in_thread(settings, plugins) as running:
        yield running


@pytest.fixture(scope="module")
def module_harness(module_gateway: RunningGateway, module_database_url: str) -> Harness:
    """One gateway per module and database, with the admin's client: tests sharing it use
    names of their own."""
    return make_harness(module_gateway, module_database_url)
