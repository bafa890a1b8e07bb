"""The database fixtures of switchboard.testing.databases, run inside a nested pytest.

The nested sessions run in subprocesses, and nothing here imports asyncpg: pytester unloads
the modules imported during its test, and re-importing asyncpg's extension modules later
crashes the process.
"""

from __future__ import annotations

import pytest

from switchboard.testing.databases import TEST_POSTGRES_URL_ENV
from switchboard.testing.services import REQUIRE_SERVICES_ENV, unreachable_reason

pytest_plugins = ["pytester"]

NOWHERE = "postgresql+asyncpg://postgres:secretpw@127.0.0.1:1/postgres"


@pytest.fixture
def nested(pytester: pytest.Pytester) -> pytest.Pytester:
    """A nested pytest configured like the project's (pytest-asyncio, markers)."""
    pytester.makeini(
        """
        [pytest]
        asyncio_default_fixture_loop_scope = function
        markers = postgres: needs PostgreSQL
        """
    )
    return pytester


def test_unreachable_reason_names_the_server() -> None:
    reason = unreachable_reason("PostgreSQL", "127.0.0.1", 1, TEST_POSTGRES_URL_ENV)
    assert reason is not None
    assert "127.0.0.1:1" in reason
    assert TEST_POSTGRES_URL_ENV in reason


def test_unreachable_redis_skips_without_leaking_its_password(
    nested: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWITCHBOARD_TEST_REDIS_URL", "redis://:secretpw@127.0.0.1:1/0")
    monkeypatch.delenv(REQUIRE_SERVICES_ENV, raising=False)
    nested.makepyfile("def test_needs_redis(redis_url):\n    raise AssertionError\n")
    result = nested.runpytest_subprocess("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*Redis is not reachable at 127.0.0.1:1*"])
    assert "secretpw" not in result.stdout.str()


def test_unreachable_postgres_skips_with_the_reason(
    nested: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEST_POSTGRES_URL_ENV, NOWHERE)
    monkeypatch.delenv(REQUIRE_SERVICES_ENV, raising=False)
    nested.makepyfile("def test_needs_postgres(postgres_url):\n    raise AssertionError\n")
    result = nested.runpytest_subprocess("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*PostgreSQL is not reachable at 127.0.0.1:1*"])
    assert "secretpw" not in result.stdout.str()


def test_unreachable_postgres_fails_when_services_are_required(
    nested: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEST_POSTGRES_URL_ENV, NOWHERE)
    monkeypatch.setenv(REQUIRE_SERVICES_ENV, "1")
    nested.makepyfile("def test_needs_postgres(postgres_url):\n    pass\n")
    result = nested.runpytest_subprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*127.0.0.1:1*{REQUIRE_SERVICES_ENV}=1*"])


NESTED_DATABASE_TESTS = """
import asyncio

from sqlalchemy import text
from sqlalchemy.engine import make_url

from switchboard.db.engine import create_engine

SEEN = []


def test_database_url(database_url):
    SEEN.append(make_url(database_url))


def test_postgres_database_was_dropped(postgres_server_url):
    sqlite, postgres = SEEN
    assert sqlite.get_backend_name() == "sqlite"
    assert postgres.database.startswith("sb_test_")
    assert asyncio.run(count_databases(postgres_server_url, postgres.database)) == 0


async def count_databases(server_url, name):
    server = create_engine(server_url)
    try:
        async with server.connect() as connection:
            found = await connection.execute(
                text("SELECT count(*) FROM pg_database WHERE datname = :name"), {"name": name}
            )
            return found.scalar_one()
    finally:
        await server.dispose()
"""


@pytest.mark.postgres
def test_each_test_gets_its_own_database_dropped_afterwards(
    nested: pytest.Pytester, postgres_server_url: str
) -> None:
    # The check runs in the nested session, after the fixture's teardown: anything this
    # process imported now (asyncpg) would be unloaded again by pytester.
    nested.makepyfile(NESTED_DATABASE_TESTS)
    result = nested.runpytest_subprocess("-v")
    result.stdout.fnmatch_lines(
        [
            "*test_database_url?sqlite? PASSED*",
            "*test_database_url?postgres? PASSED*",
            "*test_postgres_database_was_dropped PASSED*",
        ]
    )
    result.assert_outcomes(passed=3)
