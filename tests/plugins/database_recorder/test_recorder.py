"""The recorder: batching, bounds, shutdown flush, outages and replay across processes."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from switchboard.db.engine import create_engine
from switchboard.db.migrations import upgrade
from switchboard.testing.tcp_proxy import TcpProxy
from tests.plugins.database_recorder.conftest import (
    NO_ENVIRONMENT,
    MakeRecorder,
    make_record,
    stored,
)


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 20.0) -> None:
    """Wait until ``check()`` is true (fails after ``within`` seconds)."""
    for _ in range(int(within / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"still not so after {within:g} s")


def stored_count(engine: AsyncEngine, count: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return len(await stored(engine)) >= count

    return check


async def test_a_full_batch_is_written_at_once_the_rest_at_shutdown(
    migrated_engine: AsyncEngine, make_recorder: MakeRecorder
) -> None:
    recorder = make_recorder(migrated_engine, batch_size=10, flush_interval=60)
    await recorder.start()
    records = [make_record() for _ in range(15)]
    for record in records:
        recorder.record(record, environment=NO_ENVIRONMENT)
    await eventually(stored_count(migrated_engine, 10))
    assert sorted(await stored(migrated_engine)) == sorted(r.request_id for r in records[:10])
    await recorder.aclose()
    assert sorted(await stored(migrated_engine)) == sorted(r.request_id for r in records)


async def test_a_partial_batch_is_written_after_the_interval(
    migrated_engine: AsyncEngine, make_recorder: MakeRecorder
) -> None:
    recorder = make_recorder(migrated_engine, batch_size=1000, flush_interval=0.2)
    await recorder.start()
    records = [make_record() for _ in range(3)]
    for record in records:
        recorder.record(record, environment=NO_ENVIRONMENT)
    await eventually(stored_count(migrated_engine, 3))
    assert sorted(await stored(migrated_engine)) == sorted(r.request_id for r in records)


async def test_records_beyond_the_queue_bound_are_spooled_not_dropped(
    migrated_engine: AsyncEngine, make_recorder: MakeRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = make_recorder(
        migrated_engine, queue_size=5, batch_size=1000, flush_interval=60, retry_interval=0.2
    )
    await recorder.start()
    records = [make_record() for _ in range(20)]
    with caplog.at_level(logging.WARNING, "switchboard_database_recorder"):
        for record in records:
            recorder.record(record, environment=NO_ENVIRONMENT)
        # The queue keeps 5 (written only at the 60 s interval or shutdown); the other 15
        # went to the spool, which the replay round writes.
        await eventually(stored_count(migrated_engine, 15))
    assert sorted(await stored(migrated_engine)) == sorted(r.request_id for r in records[5:])
    assert any("queue full: 15 records spooled" in r.getMessage() for r in caplog.records)
    await recorder.aclose()
    assert sorted(await stored(migrated_engine)) == sorted(r.request_id for r in records)
    assert await emptied(recorder.spool.folder)()


async def test_a_record_after_shutdown_is_spooled_for_the_next_process(
    migrated_engine: AsyncEngine, make_recorder: MakeRecorder, tmp_path: Path
) -> None:
    first = make_recorder(migrated_engine, tmp_path / "spool")
    await first.start()
    await first.aclose()
    late = make_record()
    first.record(late, environment=NO_ENVIRONMENT)
    second = make_recorder(migrated_engine, tmp_path / "spool")
    await second.start()
    await eventually(stored_count(migrated_engine, 1))
    assert list(await stored(migrated_engine)) == [late.request_id]


@pytest.mark.postgres
async def test_an_outage_spools_and_the_return_replays_everything_once(
    postgres_url: str, make_recorder: MakeRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    url = make_url(postgres_url)
    direct = create_engine(url)
    await upgrade(direct)
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        engine = create_engine(url.set(host="127.0.0.1", port=proxy.port))
        try:
            recorder = make_recorder(
                engine, batch_size=10, flush_interval=0.05, retry_interval=0.2, write_timeout=5
            )
            await recorder.start()
            before = [make_record() for _ in range(10)]
            for record in before:
                recorder.record(record, environment=NO_ENVIRONMENT)
            await eventually(stored_count(direct, 10))

            proxy.cut()
            during = [make_record() for _ in range(45)]
            for record in during:
                recorder.record(record, environment=NO_ENVIRONMENT)
                await asyncio.sleep(0.01)
            await eventually(spooled(recorder.spool.folder, 45))
            assert not recorder.database_up
            assert len(await stored(direct)) == 10

            proxy.restore()
            await eventually(stored_count(direct, 55))
            await eventually(emptied(recorder.spool.folder))
            assert recorder.database_up
            expected = sorted(r.request_id for r in before + during)
            assert sorted(await stored(direct)) == expected
        finally:
            await recorder.aclose()
            await engine.dispose()
            await direct.dispose()


def spooled(folder: Path, count: int) -> Callable[[], Awaitable[bool]]:
    """Whether the spool files in ``folder`` hold ``count`` lines."""

    def lines() -> int:
        return sum(len(path.read_bytes().splitlines()) for path in folder.glob("*.jsonl*"))

    async def check() -> bool:
        return await asyncio.to_thread(lines) >= count

    return check


def emptied(folder: Path) -> Callable[[], Awaitable[bool]]:
    """Whether ``folder`` is empty."""

    async def check() -> bool:
        return not await asyncio.to_thread(lambda: any(folder.iterdir()))

    return check


_DYING_PROCESS = textwrap.dedent(
    """
    import asyncio, json, os, sys
    from pathlib import Path
    from switchboard.db.engine import create_engine
    from switchboard_database_recorder.config import RecorderOptions
    from switchboard_database_recorder.recorder import DatabaseRecorder
    from tests.plugins.database_recorder.conftest import make_record

    spool, port, how = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

    async def main() -> None:
        # The database of this process never answers (nothing listens on the port).
        engine = create_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/gone")
        options = RecorderOptions(batch_size=10, flush_interval=0.05, write_timeout=5)
        recorder = DatabaseRecorder(engine, spool, options)
        await recorder.start()
        records = [make_record() for _ in range(25)]
        for record in records:
            recorder.record(record, environment=None)
        print(json.dumps([r.request_id for r in records]), flush=True)
        if how == "clean":
            await recorder.aclose()
            return
        while sum(len(p.read_bytes().splitlines()) for p in spool.iterdir()) < 25:
            await asyncio.sleep(0.02)
        os._exit(3)  # a crash: no shutdown, the spool file left as it was

    asyncio.run(main())
    """
)


@pytest.mark.parametrize("how", ["clean", "crash"])
async def test_the_spool_of_a_process_that_exited_is_replayed_by_the_next(
    how: str,
    migrated_engine: AsyncEngine,
    make_recorder: MakeRecorder,
    tmp_path: Path,
    unused_tcp_port: int,
) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", _DYING_PROCESS, str(spool), str(unused_tcp_port), how],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[3],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])},
    )
    assert result.returncode == (0 if how == "clean" else 3), result.stderr
    sent = json.loads(result.stdout)
    suffix = ".jsonl" if how == "clean" else ".jsonl.part"
    left = await asyncio.to_thread(lambda: [p.name for p in spool.iterdir()])
    assert [name.endswith(suffix) for name in left] == [True]

    recorder = make_recorder(migrated_engine, spool)
    await recorder.start()
    await eventually(stored_count(migrated_engine, 25))
    await eventually(emptied(spool))
    assert sorted(await stored(migrated_engine)) == sorted(sent)
