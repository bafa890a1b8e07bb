"""SQLite batches written by the writer process: stored once, locks and failures survived."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from switchboard.db.engine import create_engine
from switchboard.db.migrations import upgrade
from switchboard_database_recorder import sqlite_writer
from switchboard_database_recorder.sqlite_writer import CHILD_MODULE, sqlite_file_of
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


@pytest.fixture
async def writer(sqlite_file: tuple[AsyncEngine, Path]) -> AsyncIterator[BatchWriter]:
    engine, _ = sqlite_file
    made = BatchWriter(engine, timeout=10)
    try:
        yield made
    finally:
        await made.aclose()


def process_of(writer: BatchWriter) -> int:
    """The pid of ``writer``'s SQLite process (which must be running)."""
    assert writer.sqlite_process is not None
    pid = writer.sqlite_process.pid
    assert pid is not None
    return pid


def test_only_a_file_database_gets_a_writer_process() -> None:
    assert sqlite_file_of("/data/switchboard.db") == "/data/switchboard.db"
    assert sqlite_file_of(":memory:") is None
    assert sqlite_file_of("file::memory:?cache=shared") is None
    assert sqlite_file_of(None) is None


def test_the_writer_process_loads_neither_sqlalchemy_nor_the_gateway() -> None:
    script = (
        f"import sys, {CHILD_MODULE}; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'aiosqlite', 'litestar', 'aiohttp', 'switchboard_database_recorder')))"
    )
    out = subprocess.run(
        [sys.executable, "-P", "-c", script], capture_output=True, text=True, check=True
    ).stdout
    loaded = json.loads(out.replace("'", '"'))
    assert loaded == [
        "switchboard_database_recorder",
        "switchboard_database_recorder.rows",
        "switchboard_database_recorder.sqlite_writer_child",
    ]


async def test_the_process_starts_with_the_writer_not_with_the_first_write(
    writer: BatchWriter,
) -> None:
    assert writer.sqlite_process is not None and writer.sqlite_process.pid is None
    await writer.start()  # the recorder's start(): before traffic
    pid = process_of(writer)
    await writer.write([make_record()])
    assert process_of(writer) == pid


async def test_records_are_written_by_a_process_of_their_own(
    writer: BatchWriter, sqlite_file: tuple[AsyncEngine, Path]
) -> None:
    engine, _ = sqlite_file
    records = [
        make_record(api_key_id=None, payload={"request": {"messages": [{"content": "hi"}]}})
        for _ in range(700)
    ]
    result = await writer.write(records)
    assert (result.written, result.skipped) == (700, 0)
    assert process_of(writer) != os.getpid()
    rows = await stored(engine)
    assert sorted(rows) == sorted(r.request_id for r in records)
    first = rows[records[0].request_id]
    assert first.payload == {"request": {"messages": [{"content": "hi"}]}}
    assert first.attempts[0]["connection_id"] == "c1"


async def test_a_locked_database_is_waited_for_without_blocking_the_loop(
    writer: BatchWriter, sqlite_file: tuple[AsyncEngine, Path]
) -> None:
    engine, path = sqlite_file
    await writer.write([make_record()])  # the process is up
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
    assert result.written == 1
    assert record.request_id in await stored(engine)


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


async def test_a_bad_record_is_set_aside_and_the_rest_stored(
    writer: BatchWriter, sqlite_file: tuple[AsyncEngine, Path]
) -> None:
    engine, _ = sqlite_file
    records = [make_record() for _ in range(6)]
    wrong_type = make_record(status="two hundred")  # cannot even be decoded as a record
    not_null = make_record(status=None)  # refused by SQLite
    unencodable = make_record(payload={"request": object()})  # cannot even be sent
    batch = [*records[:2], wrong_type, *records[2:4], not_null, unencodable, *records[4:]]
    result = await writer.write(batch)
    assert (result.written, result.skipped) == (6, 3)
    assert sorted(await stored(engine)) == sorted(r.request_id for r in records)


async def test_a_killed_process_is_replaced_and_nothing_is_lost(
    writer: BatchWriter, sqlite_file: tuple[AsyncEngine, Path]
) -> None:
    engine, path = sqlite_file
    await writer.write([make_record()])
    first = process_of(writer)
    # Killed while a write waits for the lock: that write reports the database down
    # (its batch goes to the spool), the next one starts a new process.
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    write = asyncio.create_task(writer.write([make_record()]))
    await asyncio.sleep(0.2)
    os.kill(first, signal.SIGKILL)
    with pytest.raises(DatabaseDown, match="ended"):
        await asyncio.wait_for(write, 5)
    other.execute("ROLLBACK")
    other.close()
    # Killed between writes: the next write does not notice.
    await writer.write([make_record()])
    second = process_of(writer)
    assert second != first
    os.kill(second, signal.SIGKILL)
    await asyncio.sleep(0.2)
    record = make_record()
    assert (await writer.write([record])).written == 1
    assert process_of(writer) not in (first, second)
    assert record.request_id in await stored(engine)


async def test_a_process_that_stops_answering_is_killed_at_the_deadline(
    sqlite_file: tuple[AsyncEngine, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, _ = sqlite_file
    monkeypatch.setattr(sqlite_writer, "ANSWER_GRACE_SECONDS", 0.3)
    writer = BatchWriter(engine, timeout=0.2)
    await writer.write([make_record()])
    stuck = process_of(writer)
    os.kill(stuck, signal.SIGSTOP)
    started = time.monotonic()
    with pytest.raises(DatabaseDown, match="no answer"):
        await writer.write([make_record()])
    assert time.monotonic() - started < 2
    assert (await writer.write([make_record()])).written == 1
    assert process_of(writer) != stuck
    await writer.aclose()
    assert not await alive_after(stuck, 2.0)  # the stopped process was killed and reaped


async def alive_after(pid: int, seconds: float) -> bool:
    """Whether process ``pid`` still exists after up to ``seconds``."""
    for _ in range(max(1, int(seconds / 0.02))):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        await asyncio.sleep(0.02)
    return True


async def test_a_cancelled_write_does_not_mix_up_the_answers(
    writer: BatchWriter, sqlite_file: tuple[AsyncEngine, Path]
) -> None:
    engine, path = sqlite_file
    await writer.write([make_record()])
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    write = asyncio.create_task(writer.write([make_record()]))
    await asyncio.sleep(0.2)
    write.cancel()
    with pytest.raises(asyncio.CancelledError):
        await write
    other.execute("ROLLBACK")
    other.close()
    # The process that owed the cancelled write an answer is gone: this answer is this one's.
    bad = make_record(status=None)
    result = await writer.write([bad])
    assert (result.written, result.skipped) == (0, 1)
    assert bad.request_id not in await stored(engine)


async def test_closing_ends_the_process(writer: BatchWriter) -> None:
    await writer.write([make_record()])
    pid = process_of(writer)
    await writer.aclose()
    assert writer.sqlite_process is not None and writer.sqlite_process.pid is None
    assert not await alive_after(pid, 0.0)
