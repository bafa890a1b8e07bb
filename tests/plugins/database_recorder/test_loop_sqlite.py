"""SQLite batches written from the event loop: the loop keeps serving, locks never block it."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from switchboard.db.engine import create_engine
from switchboard.db.migrations import upgrade
from switchboard_database_recorder import loop_sqlite
from switchboard_database_recorder.loop_sqlite import ROWS_PER_STATEMENT, sqlite_file_of
from switchboard_database_recorder.writer import BatchWriter, DatabaseDown
from tests.plugins.database_recorder.conftest import make_record, stored


@pytest.fixture
async def sqlite_file(tmp_path: Path) -> AsyncIterator[tuple[AsyncEngine, Path]]:
    path = tmp_path / "records.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade(engine)
        yield engine, path
    finally:
        await engine.dispose()


def test_only_a_file_database_is_written_from_the_loop() -> None:
    assert sqlite_file_of("/data/switchboard.db") == "/data/switchboard.db"
    assert sqlite_file_of(":memory:") is None
    assert sqlite_file_of("file::memory:?cache=shared") is None
    assert sqlite_file_of(None) is None


async def test_the_loop_serves_between_the_statements_of_a_batch(
    sqlite_file: tuple[AsyncEngine, Path],
) -> None:
    engine, _ = sqlite_file
    writer = BatchWriter(engine, timeout=10)
    records = [make_record() for _ in range(ROWS_PER_STATEMENT * 8)]
    turns = 0
    writing = True

    async def other_requests() -> None:
        nonlocal turns
        while writing:
            turns += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(other_requests())
    await asyncio.sleep(0)
    try:
        result = await writer.write(records)
    finally:
        writing = False
        await ticker
        await writer.aclose()
    assert (result.written, result.skipped) == (len(records), 0)
    # One turn of the loop at least between each two of the eight statements.
    assert turns >= 7
    assert sorted(await stored(engine)) == sorted(r.request_id for r in records)


async def test_a_locked_database_is_waited_for_without_blocking_the_loop(
    sqlite_file: tuple[AsyncEngine, Path],
) -> None:
    engine, path = sqlite_file
    writer = BatchWriter(engine, timeout=10)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    record = make_record()
    write = asyncio.create_task(writer.write([record]))
    started = time.monotonic()
    await asyncio.sleep(0.3)
    # The loop ran this coroutine on time while the write waited for the lock.
    assert time.monotonic() - started < 0.5
    assert not write.done()
    other.execute("COMMIT")
    other.close()
    result = await asyncio.wait_for(write, 5)
    await writer.aclose()
    assert result.written == 1
    assert list(await stored(engine)) == [record.request_id]


async def test_a_lock_held_past_the_timeout_reports_the_database_down(
    sqlite_file: tuple[AsyncEngine, Path],
) -> None:
    engine, path = sqlite_file
    writer = BatchWriter(engine, timeout=0.2)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseDown, match="locked"):
            await writer.write([make_record()])
    finally:
        other.execute("ROLLBACK")
        other.close()
    # The failed transaction left nothing open: the next write goes through.
    result = await writer.write([make_record()])
    await writer.aclose()
    assert result.written == 1


async def test_the_wal_is_checkpointed_by_a_thread_after_enough_rows(
    sqlite_file: tuple[AsyncEngine, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, path = sqlite_file
    monkeypatch.setattr(loop_sqlite, "CHECKPOINT_ROWS", 50)
    checkpoints: list[tuple[str, bool]] = []
    real_checkpoint = loop_sqlite._checkpoint

    def checkpoint(database: str) -> None:
        checkpoints.append((database, threading.current_thread() is threading.main_thread()))
        real_checkpoint(database)

    monkeypatch.setattr(loop_sqlite, "_checkpoint", checkpoint)
    writer = BatchWriter(engine, timeout=10)
    await writer.write([make_record() for _ in range(40)])
    await asyncio.sleep(0.05)
    assert checkpoints == []  # the writer's connection never checkpoints by itself
    await writer.write([make_record() for _ in range(20)])
    await writer.aclose()  # waits for the checkpoint it started
    assert checkpoints == [(str(path), False)]
    probe = sqlite3.connect(path, isolation_level=None)
    try:
        busy, frames, done = probe.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert busy == 0 and done == frames
        assert probe.execute("SELECT count(*) FROM request_records").fetchone() == (60,)
    finally:
        probe.close()
