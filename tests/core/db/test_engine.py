"""Engines: URL handling, SQLite tuning, transactions, ping and unreachable databases."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from switchboard.db import engine as engine_module
from switchboard.db.engine import (
    SQLITE_BEGIN_OPTION,
    DatabaseUnavailable,
    connect_check,
    create_engine,
    default_database_url,
    describe_url,
    normalize_url,
    ping,
    session_factory,
)
from switchboard.db.models import Base, Workspace

UNREACHABLE_URL = "postgresql+asyncpg://postgres:secretpw@127.0.0.1:1/x"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///data/sb.db", "sqlite+aiosqlite:///data/sb.db"),
        ("sqlite+aiosqlite:///data/sb.db", "sqlite+aiosqlite:///data/sb.db"),
        ("postgresql://u:p@db:5433/sb", "postgresql+asyncpg://u:p@db:5433/sb"),
        ("postgres://u@db/sb", "postgresql+asyncpg://u@db/sb"),
        ("postgresql+asyncpg://u@db/sb", "postgresql+asyncpg://u@db/sb"),
    ],
)
def test_normalize_url_selects_the_async_driver(given: str, expected: str) -> None:
    assert normalize_url(given).render_as_string(hide_password=False) == expected


@pytest.mark.parametrize(
    "url", ["mysql://u@db/sb", "postgresql+psycopg2://u@db/sb", "sqlite+pysqlite:///x.db", "::"]
)
def test_normalize_url_refuses_other_databases_and_drivers(url: str) -> None:
    with pytest.raises(ValueError, match="database URL"):
        normalize_url(url)


def test_describe_url_names_host_and_port_and_masks_the_password() -> None:
    described = describe_url("postgresql+asyncpg://sb:hunter2@db.internal:6543/sb")
    assert described.startswith("db.internal:6543 ")
    assert "hunter2" not in described
    assert "***" in described
    assert describe_url("postgresql+asyncpg://sb@db/sb").startswith("db:5432 ")


def test_default_database_url_is_an_absolute_sqlite_file(tmp_path: Path) -> None:
    url = normalize_url(default_database_url(tmp_path / "data"))
    assert url.drivername == "sqlite+aiosqlite"
    assert url.database == str(tmp_path / "data" / "switchboard.db")


async def test_sqlite_engine_creates_the_folder_and_tunes_connections(tmp_path: Path) -> None:
    database = tmp_path / "deep" / "er" / "switchboard.db"
    engine = create_engine(f"sqlite:///{database}")
    try:
        assert database.parent.is_dir()
        async with engine.connect() as connection:
            pragmas = {
                name: (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar_one()
                for name in ("foreign_keys", "journal_mode", "busy_timeout")
            }
        assert pragmas == {"foreign_keys": 1, "journal_mode": "wal", "busy_timeout": 5000}
    finally:
        await engine.dispose()


async def test_a_new_file_another_connection_is_writing_is_waited_for(tmp_path: Path) -> None:
    # A fresh database in rollback mode with another connection's write lock held: SQLite
    # refuses the switch to WAL at once instead of waiting (concurrent first migrations).
    database = tmp_path / "switchboard.db"
    other = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("CREATE TABLE early (x)")
    release = threading.Timer(0.3, other.execute, ("COMMIT",))
    release.start()
    engine = create_engine(f"sqlite:///{database}")
    try:
        async with engine.connect() as connection:
            mode = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar_one()
        assert mode == "wal"
    finally:
        release.join()
        other.close()
        await engine.dispose()


def test_sqlite_folder_that_cannot_be_created_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(DatabaseUnavailable, match="cannot create the folder") as caught:
        create_engine(f"sqlite:///{blocker}/switchboard.db")
    assert str(blocker) in str(caught.value)


async def test_in_memory_sqlite_keeps_one_database_across_connections() -> None:
    engine = create_engine("sqlite+aiosqlite://")
    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        async with engine.connect() as connection:
            assert (await connection.exec_driver_sql("SELECT count(*) FROM t")).scalar() == 0
    finally:
        await engine.dispose()


async def test_ping_answers(engine: AsyncEngine) -> None:
    await ping(engine)
    await connect_check(engine)


async def test_unreachable_database_gives_a_one_line_message_without_the_password() -> None:
    engine = create_engine(UNREACHABLE_URL)
    try:
        with pytest.raises(DatabaseUnavailable) as caught:
            await connect_check(engine)
        with pytest.raises(DatabaseUnavailable):
            await ping(engine)
    finally:
        await engine.dispose()
    message = str(caught.value)
    assert "127.0.0.1:1" in message
    assert "secretpw" not in message
    assert "\n" not in message
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


async def test_silent_server_times_out_as_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    # Accepts TCP connections and never answers, like a server stuck behind a firewall.
    silent_clients: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        silent_clients.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    engine = create_engine(f"postgresql+asyncpg://postgres:secretpw@127.0.0.1:{port}/x")
    monkeypatch.setattr(engine_module, "PING_TIMEOUT_S", 0.3)
    try:
        with pytest.raises(DatabaseUnavailable, match=r"no answer within 0\.3 s") as caught:
            await ping(engine)
        assert f"127.0.0.1:{port}" in str(caught.value)
    finally:
        await engine.dispose()
        for writer in silent_clients:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_sessions_keep_objects_readable_after_commit(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.tables["workspaces"].create)
    async with session_factory(engine)() as session:
        workspace = Workspace(name="acme")
        session.add(workspace)
        await session.commit()
        # An expired attribute would need a lazy load, which fails under asyncio.
        assert workspace.name == "acme"
        assert workspace.created_at is not None


async def test_savepoints_roll_back_only_their_part(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.tables["workspaces"].create)
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        session.add(Workspace(name="kept"))
        nested = await session.begin_nested()
        session.add(Workspace(name="dropped"))
        await session.flush()
        await nested.rollback()
    async with sessions() as session:
        names = (await session.execute(text("SELECT name FROM workspaces"))).scalars().all()
    assert names == ["kept"]


async def test_ddl_is_transactional(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        await connection.exec_driver_sql("CREATE TABLE scratch (x INTEGER)")
        await transaction.rollback()
        tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    assert "scratch" not in tables


async def test_sqlite_begin_mode_is_validated(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as connection:
            await connection.execution_options(**{SQLITE_BEGIN_OPTION: "SOMETIMES"})
            with pytest.raises(ValueError, match=SQLITE_BEGIN_OPTION):
                await connection.begin()
    finally:
        await engine.dispose()
