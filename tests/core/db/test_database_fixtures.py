"""The database fixtures of switchboard.testing.databases, run inside a nested pytest.

The nested sessions run in subprocesses: pytester's in-process mode unloads the modules the
nested session imported, and re-importing asyncpg's extension modules afterwards crashes the
outer session.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from switchboard.db.engine import create_engine
from switchboard.testing.databases import (
    REQUIRE_SERVICES_ENV,
    TEST_POSTGRES_URL_ENV,
    postgres_unreachable_reason,
)

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
    reason = postgres_unreachable_reason(NOWHERE)
    assert reason is not None
    assert "127.0.0.1:1" in reason
    assert TEST_POSTGRES_URL_ENV in reason
    assert "secretpw" not in reason


def test_unreachable_postgres_skips_with_the_reason(
    nested: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEST_POSTGRES_URL_ENV, NOWHERE)
    monkeypatch.delenv(REQUIRE_SERVICES_ENV, raising=False)
    nested.makepyfile("def test_needs_postgres(postgres_url):\n    raise AssertionError\n")
    result = nested.runpytest_subprocess("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*PostgreSQL is not reachable at 127.0.0.1:1*"])


def test_unreachable_postgres_fails_when_services_are_required(
    nested: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEST_POSTGRES_URL_ENV, NOWHERE)
    monkeypatch.setenv(REQUIRE_SERVICES_ENV, "1")
    nested.makepyfile("def test_needs_postgres(postgres_url):\n    pass\n")
    result = nested.runpytest_subprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*127.0.0.1:1*{REQUIRE_SERVICES_ENV}=1*"])


@pytest.mark.postgres
def test_each_test_gets_its_own_database_dropped_afterwards(
    nested: pytest.Pytester, postgres_server_url: str, tmp_path: Path
) -> None:
    # A sync test: the nested session runs its own event loops.
    seen = tmp_path / "seen.txt"
    nested.makepyfile(
        f"""
        from pathlib import Path

        def test_database_url(database_url):
            with Path({str(seen)!r}).open("a") as seen:
                seen.write(database_url + "\\n")
        """
    )
    result = nested.runpytest_subprocess("-v")
    result.stdout.fnmatch_lines(
        ["*test_database_url?sqlite? PASSED*", "*test_database_url?postgres? PASSED*"]
    )
    sqlite, postgres = seen.read_text().splitlines()
    assert make_url(sqlite).get_backend_name() == "sqlite"
    name = make_url(postgres).database
    assert name is not None
    assert name.startswith("sb_test_")

    assert asyncio.run(_databases_named(postgres_server_url, name)) == 0


async def _databases_named(server_url: str, name: str) -> int:
    server = create_engine(server_url)
    try:
        async with server.connect() as connection:
            found = await connection.execute(
                text("SELECT count(*) FROM pg_database WHERE datname = :name"), {"name": name}
            )
            count: int = found.scalar_one()
            return count
    finally:
        await server.dispose()
