"""Record retention on SQLite and PostgreSQL: expired request records are purged in
batches, the cutoff is exact, concurrent purges are harmless, ``0`` keeps everything, and
a gateway purges at startup."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from switchboard.db.engine import create_engine, session_factory
from switchboard.db.migrations import upgrade
from switchboard.db.models import RequestRecord
from switchboard.plugins.host import PluginHost
from switchboard.retention import RecordRetention, purge_records_before
from switchboard.settings import load_settings
from switchboard.testing import serve_in_thread

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def _record(created_at: datetime) -> RequestRecord:
    return RequestRecord(
        request_id=f"req-{uuid.uuid4().hex}",
        environment_id="env",
        created_at=created_at,
        status_code=200,
    )


async def _insert(sessions: async_sessionmaker[AsyncSession], *moments: datetime) -> None:
    async with sessions() as session:
        session.add_all(_record(moment) for moment in moments)
        await session.commit()


async def _remaining(sessions: async_sessionmaker[AsyncSession]) -> list[datetime]:
    async with sessions() as session:
        rows = await session.scalars(select(RequestRecord.created_at).order_by("created_at"))
        return list(rows)


async def test_expired_records_are_purged_in_batches(migrated_engine: AsyncEngine) -> None:
    sessions = session_factory(migrated_engine)
    expired = [NOW - timedelta(days=40, minutes=i) for i in range(23)]
    fresh = [NOW - timedelta(days=29, minutes=i) for i in range(5)]
    await _insert(sessions, *expired, *fresh)
    purged = await purge_records_before(sessions, NOW - timedelta(days=30), batch_size=4, pause_s=0)
    assert purged == 23
    assert await _remaining(sessions) == sorted(fresh)
    # Nothing left to purge: a second run deletes nothing.
    assert await purge_records_before(sessions, NOW - timedelta(days=30), batch_size=4) == 0


async def test_the_cutoff_is_exact(migrated_engine: AsyncEngine) -> None:
    sessions = session_factory(migrated_engine)
    retention = RecordRetention(sessions, 30, clock=lambda: NOW)
    cutoff = NOW - timedelta(days=30)
    assert retention.cutoff() == cutoff
    await _insert(sessions, cutoff - timedelta(microseconds=1), cutoff, NOW)
    assert await retention.purge_once() == 1
    assert await _remaining(sessions) == [cutoff, NOW]


async def test_zero_keeps_records_forever(migrated_engine: AsyncEngine) -> None:
    sessions = session_factory(migrated_engine)
    await _insert(sessions, datetime(2001, 1, 1, tzinfo=UTC), NOW)
    forever = RecordRetention(sessions, 0, interval_s=0.01, clock=lambda: NOW)
    assert not forever.enabled
    assert await forever.purge_once() == 0
    forever.start()  # does nothing: no task is started
    await asyncio.sleep(0.05)
    await forever.aclose()
    assert len(await _remaining(sessions)) == 2


async def test_concurrent_purges_delete_each_record_once(database_url: str) -> None:
    # Three engines stand for three gateway processes purging at the same moment.
    engines = [create_engine(database_url) for _ in range(3)]
    try:
        await upgrade(engines[0])
        sessions = [session_factory(engine) for engine in engines]
        await _insert(sessions[0], *(NOW - timedelta(days=100, seconds=i) for i in range(60)))
        await _insert(sessions[0], NOW)
        counts = await asyncio.gather(
            *(purge_records_before(s, NOW - timedelta(days=1), batch_size=5) for s in sessions)
        )
        assert sum(counts) == 60
        assert await _remaining(sessions[0]) == [NOW]
    finally:
        for engine in engines:
            await engine.dispose()


async def test_the_job_purges_at_start_and_again_each_interval(
    migrated_engine: AsyncEngine,
) -> None:
    sessions = session_factory(migrated_engine)
    now = [NOW]
    retention = RecordRetention(sessions, 7, interval_s=0.05, clock=lambda: now[0])
    await _insert(sessions, NOW - timedelta(days=8), NOW)
    retention.start()
    try:
        await _wait_for(lambda: _remaining(sessions), [NOW])
        # A week later the record of NOW has expired too; the next round purges it.
        now[0] = NOW + timedelta(days=7, seconds=1)
        await _wait_for(lambda: _remaining(sessions), [])
    finally:
        await retention.aclose()
    await _insert(sessions, NOW - timedelta(days=30))
    await asyncio.sleep(0.15)  # stopped: nothing purges any more
    assert len(await _remaining(sessions)) == 1


async def _wait_for(
    read: Callable[[], Awaitable[object]], expected: object, timeout_s: float = 10.0
) -> None:
    deadline = time.monotonic() + timeout_s
    while (found := await read()) != expected:
        assert time.monotonic() < deadline, f"still {found!r}, expected {expected!r}"
        await asyncio.sleep(0.02)


def test_a_gateway_purges_expired_records_at_startup(database_url: str, tmp_path: Path) -> None:
    async def prepare() -> None:
        engine = create_engine(database_url)
        try:
            await upgrade(engine)
            now = datetime.now(UTC)
            await _insert(session_factory(engine), now - timedelta(days=3), now)
        finally:
            await engine.dispose()

    async def count() -> int:
        engine = create_engine(database_url)
        try:
            async with session_factory(engine)() as session:
                return int(await session.scalar(select(func.count(RequestRecord.id))) or 0)
        finally:
            await engine.dispose()

    asyncio.run(prepare())
    settings = load_settings(
        {}, data_dir=str(tmp_path / "data"), database_url=database_url, record_retention_days=2
    )
    assert msgspec.structs.asdict(settings)["record_retention_days"] == 2
    plugins = PluginHost(settings)
    plugins.load_entry_points()
    with serve_in_thread(settings, plugins):
        deadline = time.monotonic() + 20
        while asyncio.run(count()) != 1:
            assert time.monotonic() < deadline, "the startup purge did not run"
            time.sleep(0.05)
