"""Database recorder fixtures: records to write, recorders on a migrated database."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from switchboard.db.models import RequestRecord as RecordRow
from switchboard.records import AttemptRecord, RequestRecord
from switchboard_database_recorder.config import RecorderOptions
from switchboard_database_recorder.recorder import DatabaseRecorder

_serial = itertools.count()


def make_record(**fields: Any) -> RequestRecord:
    """A finished chat completion record; ``fields`` override any value."""
    values: dict[str, Any] = {
        "request_id": f"req-{next(_serial)}-{uuid.uuid4().hex[:8]}",
        "created_at": datetime.now(UTC),
        "path": "/v1/chat/completions",
        "status": 200,
        "endpoint": "chat/completions",
        "provider": "openai",
        "model": "gpt-4o-mini",
        "route": "primary",
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "latency_ms": 12.5,
        "attempts": [
            AttemptRecord(provider="openai", model="gpt-4o-mini", connection_id="c1", outcome="ok")
        ],
    }
    values.update(fields)
    return RequestRecord(**values)


async def stored(engine: AsyncEngine) -> dict[str, RecordRow]:
    """Every stored request record, by request id (fails on a duplicate request id)."""
    from switchboard.db.engine import session_factory

    async with session_factory(engine)() as session:
        rows = (await session.scalars(select(RecordRow))).all()
    by_id = {row.request_id: row for row in rows}
    assert len(by_id) == len(rows), "a request id is stored twice"
    return by_id


async def wait_for_rows(engine: AsyncEngine, count: int, within: float = 30.0) -> None:
    """Wait until ``count`` rows are stored, or ``within`` seconds (the caller compares)."""
    for _ in range(int(within / 0.1)):
        if len(await stored(engine)) >= count:
            return
        await asyncio.sleep(0.1)


class MakeRecorder(Protocol):
    """Builds a recorder on ``engine`` spooling to ``spool`` (default: the test's folder)."""

    def __call__(
        self, engine: AsyncEngine, spool: Path | None = None, **options: Any
    ) -> DatabaseRecorder: ...


@pytest.fixture
async def make_recorder(tmp_path: Path) -> AsyncIterator[MakeRecorder]:
    """Recorders made here are closed after the test (if the test did not close them)."""
    made: list[DatabaseRecorder] = []

    def make(engine: AsyncEngine, spool: Path | None = None, **options: Any) -> DatabaseRecorder:
        recorder = DatabaseRecorder(engine, spool or tmp_path / "spool", RecorderOptions(**options))
        made.append(recorder)
        return recorder

    yield make
    for recorder in made:
        await recorder.aclose()


NO_ENVIRONMENT: Any = None
"""The recorder ignores the environment (it records for every environment it is on in)."""
