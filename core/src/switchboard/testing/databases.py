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
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from switchboard.db.engine import create_engine, normalize_url
from switchboard.db.migrations import upgrade
from switchboard.testing.services import require_reachable

__all__ = [
    "DEFAULT_TEST_POSTGRES_URL",
    "TEST_POSTGRES_URL_ENV",
    "database_url",
    "migrated_engine",
    "postgres_server_url",
    "postgres_url",
    "sqlite_url",
]

TEST_POSTGRES_URL_ENV = "SWITCHBOARD_TEST_POSTGRES_URL"
DEFAULT_TEST_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """URL of a PostgreSQL server whose user may create databases (checked once)."""
    url = normalize_url(os.environ.get(TEST_POSTGRES_URL_ENV) or DEFAULT_TEST_POSTGRES_URL)
    require_reachable(
        "PostgreSQL", url.host or "127.0.0.1", url.port or 5432, TEST_POSTGRES_URL_ENV
    )
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
