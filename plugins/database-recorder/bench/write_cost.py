"""CPU cost per row of the database recorder's write path, on SQLite and PostgreSQL.

Measures the gateway process's CPU time (``time.process_time``: the event loop and the
driver's threads, not the database server) spent writing batches of realistic records, and
compares it with SQLAlchemy Core's ``insert().on_conflict_do_nothing()`` of the same rows.
On a SQLite file the recorder writes through a process of its own: its CPU time is shown
apart (read from ``/proc``), since it runs on another core than the gateway's event loop.

    uv run python plugins/database-recorder/bench/write_cost.py [POSTGRES_URL]

The PostgreSQL URL defaults to ``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``;
a scratch database is created there and dropped afterwards.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from switchboard.db.engine import create_engine
from switchboard.db.migrations import upgrade
from switchboard.db.models import RequestRecord as RecordRow
from switchboard.db.models import new_id
from switchboard.records import AttemptRecord, RequestRecord
from switchboard_database_recorder.rows import COLUMNS
from switchboard_database_recorder.writer import BatchWriter

ROWS = 20_000
BATCH = 500


def sample(n: int) -> RequestRecord:
    """A record shaped like a routed, streamed chat completion that fell back once."""
    return RequestRecord(
        request_id=f"bench-{n}-{secrets.token_hex(6)}",
        created_at=datetime.now(UTC),
        path="/v1/chat/completions",
        status=200,
        correlation_id="corr-1",
        trace_id=secrets.token_hex(16),
        workspace_id="0190a0a0-0000-7000-8000-000000000001",
        workspace_name="acme",
        environment_id="0190a0a0-0000-7000-8000-000000000002",
        environment_name="prod",
        resource_id="0190a0a0-0000-7000-8000-000000000003",
        resource_name="chat",
        api_key_id="0190a0a0-0000-7000-8000-000000000004",
        api_key_name="backend",
        connection_id="0190a0a0-0000-7000-8000-000000000005",
        connection_name="openai-main",
        endpoint="chat/completions",
        stream=True,
        provider="openai",
        model="gpt-4o-mini",
        route="primary",
        routing_events=["rule 'small' did not match", "primary"],
        attempts=[
            AttemptRecord(
                provider="openai",
                model="gpt-4o",
                connection_id="c1",
                outcome="error",
                status=500,
                error_class="provider_error",
                error_message="upstream failed",
                latency_ms=12.5,
            ),
            AttemptRecord(
                provider="openai", model="gpt-4o-mini", connection_id="c2", outcome="ok",
                status=200, latency_ms=80.25,
            ),
        ],
        prompt_tokens=120,
        completion_tokens=40,
        time_to_first_token_ms=30.0,
        latency_ms=95.5,
        gateway_latency_ms=2.75,
        tokens_per_second=600.0,
        estimated_cost=0.000123,
        client_ip="127.0.0.1",
        user_agent="OpenAI/Python 1.0",
        payload={"request": {"model": "chat", "max_tokens": 100}},
    )


def cpu_seconds(pid: int | None) -> float:
    """CPU time (user and system) of process ``pid`` so far; 0 for ``None``."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def recorder_path(engine: AsyncEngine) -> tuple[float, float]:
    """µs per row of the gateway's CPU, and of its SQLite writer process's (0 without one)."""
    writer = BatchWriter(engine, timeout=60)
    records = [sample(n) for n in range(ROWS)]
    await writer.write(records[:BATCH])  # warm: connection, prepared statement, process
    child = writer.sqlite_process.pid if writer.sqlite_process is not None else None
    started, child_started = time.process_time(), cpu_seconds(child)
    for start in range(BATCH, ROWS, BATCH):
        await writer.write(records[start : start + BATCH])
    ours, theirs = time.process_time() - started, cpu_seconds(child) - child_started
    await writer.aclose()
    return ours / (ROWS - BATCH) * 1e6, theirs / (ROWS - BATCH) * 1e6


async def core_path(engine: AsyncEngine) -> float:
    # The same rows as dicts of Python values: Core binds them through the column types.
    writer = BatchWriter(engine, timeout=60)
    dialect_insert: Any = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(RecordRow).on_conflict_do_nothing(index_elements=["request_id"])

    def as_dict(record: RequestRecord) -> dict[str, Any]:
        row = dict(zip(COLUMNS, writer.statements.row(record, new_id()), strict=True))
        row["attempts"] = msgspec.to_builtins(record.attempts)
        row["routing_events"] = record.routing_events
        row["payload"] = record.payload
        row["created_at"] = record.created_at
        return row

    records = [sample(n) for n in range(ROWS)]
    started = None
    for start in range(0, ROWS, BATCH):
        if start == BATCH:
            started = time.process_time()
        rows = [as_dict(r) for r in records[start : start + BATCH]]
        async with engine.begin() as connection:
            await connection.execute(statement, rows)
    assert started is not None
    return (time.process_time() - started) / (ROWS - BATCH) * 1e6


async def measure(url: str) -> tuple[tuple[float, float], float]:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        ours = await recorder_path(engine)
        core = await core_path(engine)
    finally:
        await engine.dispose()
    return ours, core


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        sqlite = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        (ours, process), core = await measure(sqlite)
        print(
            f"sqlite:     recorder {ours:6.1f} µs/row (+ {process:.1f} in its writer process)"
            f"   SQLAlchemy Core {core:6.1f} µs/row"
        )
    server = sys.argv[1] if len(sys.argv) > 1 else "postgresql+asyncpg://postgres@127.0.0.1/postgres"
    name = f"sb_bench_{secrets.token_hex(4)}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    async with admin.connect() as connection:
        await connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        (ours, _), core = await measure(server.rsplit("/", 1)[0] + "/" + name)
        print(f"postgresql: recorder {ours:6.1f} µs/row   SQLAlchemy Core {core:6.1f} µs/row")
    finally:
        async with admin.connect() as connection:
            await connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.dispose()


if __name__ == "__main__":
    asyncio.run(main())
