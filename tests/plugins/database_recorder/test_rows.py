"""A record becomes a ``request_records`` row that the ORM reads back as it was."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from switchboard.db.engine import session_factory
from switchboard.db.models import ApiKey, Environment, Workspace
from switchboard.db.models import RequestRecord as RecordRow
from switchboard.records import AttemptRecord
from switchboard_database_recorder.rows import COLUMNS, new_ids
from switchboard_database_recorder.writer import BatchWriter
from tests.plugins.database_recorder.conftest import make_record, stored


def test_every_column_of_the_table_is_written() -> None:
    assert sorted(COLUMNS) == sorted(column.name for column in RecordRow.__table__.columns)


def test_new_ids_are_unique_version_7_uuids_of_this_millisecond() -> None:
    ids = new_ids(1000)
    assert len(set(ids)) == 1000
    parsed = [uuid.UUID(value) for value in ids]
    assert {u.version for u in parsed} == {7}
    assert {u.variant for u in parsed} == {uuid.RFC_4122}
    assert all(str(u) == value for u, value in zip(parsed, ids, strict=True))
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    assert all(abs((u.int >> 80) - now_ms) < 5_000 for u in parsed)


async def test_a_record_reads_back_through_the_orm(migrated_engine: AsyncEngine) -> None:
    created = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
    record = make_record(
        created_at=created,
        status=502,
        correlation_id="corr-7",
        trace_id="ab" * 16,
        workspace_id="w1",
        workspace_name="acme",
        environment_id="e1",
        environment_name="prod",
        resource_id="r1",
        resource_name="chat",
        api_key_id="k1",
        api_key_name="backend",
        connection_id="c2",
        connection_name="openai-backup",
        stream=True,
        route="small-prompts",
        routing_events=["rule small-prompts matched"],
        attempts=[
            AttemptRecord(
                provider="openai",
                model="gpt-4o",
                connection_id="c1",
                outcome="error",
                status=500,
                error_class="provider_error",
                error_message="boom",
                latency_ms=3.5,
                connection_name="openai-main",
                started_ms=1.25,
                capacity_ms=0.5,
            )
        ],
        error_class="all_attempts_failed",
        error_message="every model failed",
        prompt_tokens=11,
        completion_tokens=0,
        cached_tokens=2,
        time_to_first_token_ms=None,
        queue_wait_ms=4.0,
        latency_ms=20.25,
        gateway_latency_ms=1.5,
        tokens_per_second=None,
        estimated_cost=0.0125,
        client_ip="127.0.0.1",
        user_agent="pytest",
        payload={"request": {"messages": [{"role": "user", "content": "Hi"}]}},
    )
    result = await BatchWriter(migrated_engine, timeout=10).write([record])
    assert (result.written, result.skipped) == (1, 0)

    row = (await stored(migrated_engine))[record.request_id]
    assert uuid.UUID(row.id).version == 7
    assert row.created_at == created
    assert row.status_code == 502
    assert row.total_latency_ms == 20.25
    for name in (
        "correlation_id",
        "trace_id",
        "workspace_id",
        "workspace_name",
        "environment_id",
        "environment_name",
        "resource_id",
        "resource_name",
        "api_key_id",
        "api_key_name",
        "connection_id",
        "connection_name",
        "endpoint",
        "stream",
        "provider",
        "model",
        "route",
        "error_class",
        "error_message",
        "prompt_tokens",
        "completion_tokens",
        "cached_tokens",
        "time_to_first_token_ms",
        "queue_wait_ms",
        "gateway_latency_ms",
        "tokens_per_second",
        "client_ip",
        "user_agent",
        "estimated_cost",
        "payload",
        "routing_events",
    ):
        assert getattr(row, name) == getattr(record, name), name
    assert row.attempts == [
        {
            "provider": "openai",
            "model": "gpt-4o",
            "connection_id": "c1",
            "outcome": "error",
            "status": 500,
            "error_class": "provider_error",
            "error_message": "boom",
            "latency_ms": 3.5,
            "connection_name": "openai-main",
            "started_ms": 1.25,
            "capacity_ms": 0.5,
        }
    ]


async def test_no_payload_is_sql_null(migrated_engine: AsyncEngine) -> None:
    record = make_record(payload=None)
    await BatchWriter(migrated_engine, timeout=10).write([record])
    async with session_factory(migrated_engine)() as session:
        found = await session.scalar(
            select(RecordRow.request_id).where(RecordRow.payload.is_(None))
        )
    assert found == record.request_id


async def test_the_orm_finds_written_rows_by_time_range(migrated_engine: AsyncEngine) -> None:
    # On SQLite the text must compare like SQLAlchemy's own: a range query finds the row.
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    record = make_record(created_at=moment)
    await BatchWriter(migrated_engine, timeout=10).write([record])
    async with session_factory(migrated_engine)() as session:
        found = await session.scalars(
            select(RecordRow.request_id).where(
                RecordRow.created_at >= moment, RecordRow.created_at < moment + timedelta(seconds=1)
            )
        )
        assert list(found) == [record.request_id]


async def test_writing_a_record_twice_stores_it_once(migrated_engine: AsyncEngine) -> None:
    writer = BatchWriter(migrated_engine, timeout=10)
    records = [make_record() for _ in range(5)]
    await writer.write(records[:3])
    await writer.write(records)
    await writer.write(records[2:])
    assert sorted(await stored(migrated_engine)) == sorted(r.request_id for r in records)


async def test_a_bad_row_is_skipped_and_logged_the_rest_stored(
    migrated_engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    # status is NOT NULL: both databases refuse the row with an IntegrityError.
    records = [make_record() for _ in range(9)]
    bad = make_record(status=None)
    batch = [*records[:4], bad, *records[4:]]
    with caplog.at_level(logging.ERROR, "switchboard_database_recorder"):
        result = await BatchWriter(migrated_engine, timeout=10).write(batch)
    assert (result.written, result.skipped) == (9, 1)
    assert sorted(await stored(migrated_engine)) == sorted(r.request_id for r in records)
    refused = [r.getMessage() for r in caplog.records if bad.request_id in r.getMessage()]
    assert len(refused) == 1 and "not recorded" in refused[0]


@pytest.mark.postgres
async def test_a_string_too_long_for_its_column_is_skipped_on_postgres(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    from switchboard.db.engine import create_engine
    from switchboard.db.migrations import upgrade

    engine = create_engine(postgres_url)
    try:
        await upgrade(engine)
        records = [make_record() for _ in range(20)]
        bad = make_record(correlation_id="x" * 300)  # the column is VARCHAR(255)
        with caplog.at_level(logging.ERROR, "switchboard_database_recorder"):
            result = await BatchWriter(engine, timeout=10).write(
                [*records[:13], bad, *records[13:]]
            )
        assert (result.written, result.skipped) == (20, 1)
        assert sorted(await stored(engine)) == sorted(r.request_id for r in records)
        refused = [r.getMessage() for r in caplog.records if bad.request_id in r.getMessage()]
        assert len(refused) == 1 and "too long" in refused[0]
        assert "x" * 300 not in refused[0]  # the value itself stays out of the log
    finally:
        await engine.dispose()


async def test_last_used_at_takes_the_newest_use_and_never_goes_back(
    migrated_engine: AsyncEngine,
) -> None:
    sessions = session_factory(migrated_engine)
    async with sessions.begin() as session:
        workspace = Workspace(name="acme")
        session.add(workspace)
        await session.flush()
        environment = Environment(workspace_id=workspace.id, name="prod")
        session.add(environment)
        await session.flush()
        keys = [
            ApiKey(
                environment_id=environment.id,
                name=name,
                key_prefix="sk-",
                key_hash=name * 8,
            )
            for name in ("a", "b")
        ]
        session.add_all(keys)
    a, b = (key.id for key in keys)
    t0 = datetime(2026, 5, 1, 12, 0, 0, 1, tzinfo=UTC)
    writer = BatchWriter(migrated_engine, timeout=10)
    await writer.write(
        [
            make_record(api_key_id=a, created_at=t0 + timedelta(seconds=5)),
            make_record(api_key_id=a, created_at=t0 + timedelta(seconds=9)),
            make_record(api_key_id=a, created_at=t0 + timedelta(seconds=1)),
            make_record(api_key_id=b, created_at=t0),
            make_record(api_key_id=None, created_at=t0 + timedelta(days=1)),
        ]
    )
    await writer.write([make_record(api_key_id=a, created_at=t0 + timedelta(seconds=2))])

    async with sessions() as session:
        used = dict((await session.execute(select(ApiKey.id, ApiKey.last_used_at))).all())
    assert used == {a: t0 + timedelta(seconds=9), b: t0}
