"""pytest fixtures for tests that need a real database: SQLite files and throwaway
PostgreSQL databases.

``database_url`` runs a test once on SQLite and once on PostgreSQL (the second marked
``postgres``). PostgreSQL comes from ``SWITCHBOARD_TEST_POSTGRES_URL`` (default
``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``); each test gets its own database,
dropped afterwards. When the server does not answer, PostgreSQL tests are skipped with the
reason, or fail when ``SWITCHBOARD_REQUIRE_SERVICES=1`` (CI).
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from switchboard.db.engine import create_engine, normalize_url
from switchboard.db.migrations import upgrade

__all__ = [
    "DEFAULT_TEST_POSTGRES_URL",
    "REQUIRE_SERVICES_ENV",
    "TEST_POSTGRES_URL_ENV",
    "database_url",
    "migrated_engine",
    "postgres_server_url",
    "postgres_unreachable_reason",
    "postgres_url",
    "sqlite_url",
]

TEST_POSTGRES_URL_ENV = "SWITCHBOARD_TEST_POSTGRES_URL"
REQUIRE_SERVICES_ENV = "SWITCHBOARD_REQUIRE_SERVICES"
DEFAULT_TEST_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
_REACHABILITY_TIMEOUT_S = 2.0


def postgres_unreachable_reason(url: str | URL) -> str | None:
    """Return why the PostgreSQL server of ``url`` cannot be reached, or ``None`` if it
    accepts TCP connections. A plain socket: no event loop needed at session scope."""
    parsed = normalize_url(url)
    host = parsed.host or "127.0.0.1"
    port = parsed.port or 5432
    try:
        with socket.create_connection((host, port), timeout=_REACHABILITY_TIMEOUT_S):
            return None
    except OSError as exc:
        return (
            f"PostgreSQL is not reachable at {host}:{port} ({exc}); "
            f"set {TEST_POSTGRES_URL_ENV} to a server's URL"
        )


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """URL of a PostgreSQL server whose user may create databases (checked once)."""
    url = normalize_url(os.environ.get(TEST_POSTGRES_URL_ENV) or DEFAULT_TEST_POSTGRES_URL)
    reason = postgres_unreachable_reason(url)
    if reason is not None:
        if os.environ.get(REQUIRE_SERVICES_ENV) == "1":
            pytest.fail(f"{reason} ({REQUIRE_SERVICES_ENV}=1)", pytrace=False)
        pytest.skip(reason)
    return url.render_as_string(hide_password=False)


@pytest_asyncio.fixture
async def postgres_url(postgres_server_url: str) -> AsyncIterator[str]:
    """URL of a new, empty PostgreSQL database, dropped (even if still in use) afterwards."""
    server = normalize_url(postgres_server_url)
    name = f"sb_test_{secrets.token_hex(6)}"
    # CREATE/DROP DATABASE cannot run inside a transaction; no pool so nothing lingers.
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as connection:
            await connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as connection:
                await connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of a SQLite database file (not yet created) in the test's temporary folder."""
    return URL.create(
        "sqlite+aiosqlite", database=str(tmp_path / "switchboard.db")
    ).render_as_string()


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest) -> str:
    """URL of an empty database: the test runs once on SQLite and once on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest_asyncio.fixture
async def migrated_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on ``database_url`` with the schema at head; disposed afterwards."""
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        yield engine
    finally:
        await engine.dispose()
