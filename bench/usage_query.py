"""Times the usage query and the request audit on PostgreSQL at millions of request records.

Creates a scratch database (dropped afterwards unless ``--keep``), migrates it, loads
``--rows`` records spread over 30 days (90% in the measured environment, 10% in another;
4 resources, 3 providers, 6 models, 20 API keys, ~5% errors) with COPY, runs ANALYZE, then
times typical questions through the same code the API runs (``run_usage`` and the audit's
queries), each ``--repeat`` times, and prints the best and median wall time and the plan's
top node for each.

    uv run python bench/usage_query.py --rows 2000000
    SWITCHBOARD_TEST_POSTGRES_URL=postgresql+asyncpg://postgres@host/postgres uv run ...
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from switchboard.api.record_filters import RecordFilters, record_conditions
from switchboard.api.request_audit import _after, _page
from switchboard.api.usage_query import UsageSpec, run_usage
from switchboard.db.engine import create_engine, normalize_url, session_factory
from switchboard.db.migrations import upgrade
from switchboard.db.models import RequestRecord

SERVER = os.environ.get(
    "SWITCHBOARD_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
DATABASE = "sb_bench_usage"
# Fixed ids, so --reuse finds the environments of an earlier load.
ENV, OTHER = (str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-{n}")) for n in ("prod", "other"))
NOW = datetime.now(UTC).replace(microsecond=0)
DAYS = 30
MODELS = [
    ("openai", "gpt-4o"),
    ("openai", "gpt-4o-mini"),
    ("anthropic", "claude-3-5-sonnet"),
    ("anthropic", "claude-3-5-haiku"),
    ("groq", "llama-3.1-70b"),
    ("groq", "llama-3.1-8b"),
]
RESOURCES = [(str(uuid.uuid4()), f"resource-{i}") for i in range(4)]
KEYS = [(str(uuid.uuid4()), f"key-{i}") for i in range(20)]
CONNECTIONS = {p: (str(uuid.uuid4()), f"{p}-main") for p, _ in MODELS}
COLUMNS = [
    "id", "request_id", "workspace_id", "environment_id", "environment_name", "resource_id",
    "resource_name", "api_key_id", "api_key_name", "connection_id", "connection_name",
    "endpoint", "stream", "provider", "model", "route", "status_code", "error_class",
    "prompt_tokens", "completion_tokens", "cached_tokens", "time_to_first_token_ms",
    "total_latency_ms", "gateway_latency_ms", "estimated_cost", "attempts", "routing_events",
    "correlation_id", "created_at",
]  # fmt: skip


def _row(rng: random.Random, index: int) -> tuple[Any, ...]:
    environment = ENV if rng.random() < 0.9 else OTHER
    provider, model = rng.choice(MODELS)
    resource_id, resource_name = rng.choice(RESOURCES)
    key_id, key_name = rng.choice(KEYS)
    connection_id, connection_name = CONNECTIONS[provider]
    roll = rng.random()
    status, error = (200, None)
    if roll < 0.03:
        status, error = (429, "rate_limited")
    elif roll < 0.05:
        status, error = (502, "provider_error")
    stream = rng.random() < 0.4
    prompt = rng.randint(10, 4000)
    completion = rng.randint(0, 1000) if status == 200 else 0
    latency = rng.lognormvariate(6, 0.6)
    created = NOW - timedelta(seconds=rng.random() * DAYS * 86400)
    return (
        str(uuid.uuid4()), f"req-{index}", None, environment, "prod", resource_id,
        resource_name, key_id, key_name, connection_id, connection_name, "chat/completions",
        stream, provider, model, "primary", status, error, prompt, completion,
        rng.randint(0, prompt // 2), latency * 0.3 if stream else None, latency,
        rng.uniform(0.3, 2.0), (prompt * 2.5 + completion * 10) / 1e6, "[]", "[]",
        f"corr-{index}", created,
    )  # fmt: skip


async def _server(sql: str) -> None:
    engine = create_async_engine(
        normalize_url(SERVER), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql(sql)
    finally:
        await engine.dispose()


async def _load(engine: AsyncEngine, rows: int) -> None:
    rng = random.Random(7)
    started = time.perf_counter()
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection  # asyncpg's connection: COPY is its fastest load
        chunk = 200_000
        for offset in range(0, rows, chunk):
            records = [_row(rng, i) for i in range(offset, min(rows, offset + chunk))]
            await driver.copy_records_to_table("request_records", records=records, columns=COLUMNS)
        await driver.execute("ANALYZE request_records")
    print(f"loaded {rows:,} records in {time.perf_counter() - started:.1f} s")


async def _timed(name: str, repeat: int, work: Callable[[], Awaitable[str]]) -> None:
    times, summary = [], ""
    for _ in range(repeat):
        started = time.perf_counter()
        summary = await work()
        times.append((time.perf_counter() - started) * 1000)
    print(f"| {name} | {min(times):,.0f} | {statistics.median(times):,.0f} | {summary} |")


def _usage(
    engine: AsyncEngine, days: float, granularity: Any, group_by: tuple[Any, ...],
    metrics: frozenset[str], filters: RecordFilters | None = None,
) -> Callable[[], Awaitable[str]]:  # fmt: skip
    async def work() -> str:
        spec = UsageSpec(
            environment_id=ENV,
            start=NOW - timedelta(days=days),
            end=NOW,
            granularity=granularity,
            group_by=group_by,
            metrics=metrics,
            conditions=tuple(record_conditions(filters or RecordFilters())),
        )
        async with session_factory(engine)() as session:
            rows, totals = await run_usage(session, spec)
        return f"{len(rows):,} rows over {totals.requests:,} records"

    return work


def _audit(
    engine: AsyncEngine, pages: int, filters: RecordFilters | None = None, **where: Any
) -> Callable[[], Awaitable[str]]:
    async def work() -> str:
        conditions = [RequestRecord.environment_id == ENV]
        conditions += record_conditions(filters or RecordFilters())
        conditions += [getattr(RequestRecord, k) == v for k, v in where.items()]
        cursor = None
        async with session_factory(engine)() as session:
            for _ in range(pages):
                page = conditions + ([cursor] if cursor is not None else [])
                rows = list((await session.scalars(_page(page, 51))).all())
                if len(rows) <= 50:
                    break
                cursor = _after(rows[49].created_at, rows[49].id)
        return f"{pages} page(s) of 50"

    return work


LATENCY = frozenset({"requests", "errors", "latencyAvg", "latencyP50", "latencyP95", "latencyP99"})
DEFAULT = frozenset({"requests", "errors", "errorRate", "promptTokens", "completionTokens",
                     "totalTokens", "latencyAvg", "estimatedCost"})  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept database")
    args = parser.parse_args()
    url = normalize_url(SERVER).set(database=DATABASE).render_as_string(hide_password=False)
    if not args.reuse:
        await _server(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await _server(f'CREATE DATABASE "{DATABASE}"')
    engine = create_engine(url)
    try:
        if not args.reuse:
            await upgrade(engine)
            await _load(engine, args.rows)
        async with engine.connect() as connection:
            total = (
                await connection.execute(text("SELECT count(*) FROM request_records"))
            ).scalar()
            size = (await connection.execute(text(
                "SELECT pg_size_pretty(pg_total_relation_size('request_records'))"
            ))).scalar()  # fmt: skip
        print(f"\n{total:,} records, table with indexes {size}\n")
        print("| question | best ms | median ms | answer |")
        print("| --- | ---: | ---: | --- |")
        five_xx = RecordFilters(provider=["groq"], status=["5xx"])
        questions: list[tuple[str, float, str, tuple[str, ...], frozenset[str], Any]] = [
            ("24 h by hour", 1, "hour", (), DEFAULT, None),
            ("24 h by minute", 1, "minute", (), DEFAULT, None),
            ("24 h by hour per model, p50/p95/p99", 1, "hour", ("model",), LATENCY, None),
            ("7 days by hour per API key, p50/p95/p99", 7, "hour", ("apiKey",), LATENCY, None),
            ("30 days by day per resource", 30, "day", ("resource",), DEFAULT, None),
            ("30 days by day per provider+model, p50/p95/p99", 30, "day",
             ("provider", "model"), LATENCY, None),
            ("30 days by week, 5xx of one provider", 30, "week", (), DEFAULT, five_xx),
        ]  # fmt: skip
        cases = [(f"usage: {q[0]}", _usage(engine, *q[1:])) for q in questions]
        cases += [
            ("audit: first page", _audit(engine, 1)),
            ("audit: 100 pages deep (keyset)", _audit(engine, 100)),
            ("audit: first page of 5xx", _audit(engine, 1, RecordFilters(status=["5xx"]))),
            ("audit: one correlation id", _audit(engine, 1, correlation_id="corr-12345")),
        ]
        for name, work in cases:
            await _timed(name, args.repeat, work)
    finally:
        await engine.dispose()
        if not args.keep:
            await _server(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
