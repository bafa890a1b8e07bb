"""Request records written straight into a gateway's database, for the usage and audit
tests (the database recorder is not needed to read what it would have written), and a
module gateway that keeps them (retention off: the fixed dates of the workloads would
otherwise expire as the calendar moves on)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import msgspec
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db.models import RequestRecord
from switchboard.plugins.host import PluginHost
from switchboard.testing import RunningGateway, serve_in_thread
from tests.core.api.client import run_db
from tests.core.api.conftest import api_settings

__all__ = ["insert_records", "module_gateway", "object_id", "record"]


@pytest.fixture(scope="module")
def module_gateway(
    module_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningGateway]:
    """The conftest's module gateway with record retention off (import it into a test
    module to replace that one)."""
    settings = api_settings(str(tmp_path_factory.mktemp("data")), module_database_url)
    settings = msgspec.structs.replace(settings, record_retention_days=0)
    plugins = PluginHost(settings)
    plugins.load_entry_points()
    with serve_in_thread(settings, plugins) as running:
        yield running


def object_id(name: str | None) -> str | None:
    """A stable id for an object name (the records copy ids without foreign keys)."""
    return None if name is None else str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def record(
    environment_id: str,
    created_at: datetime,
    *,
    request_id: str | None = None,
    resource: str | None = "chat",
    provider: str | None = "openai",
    model: str | None = "gpt-4o",
    connection: str | None = "conn-openai",
    api_key: str | None = "key-a",
    status: int = 200,
    error_class: str | None = None,
    prompt: int = 0,
    completion: int = 0,
    cached: int = 0,
    latency: float | None = None,
    ttft: float | None = None,
    gateway: float | None = None,
    cost: float | None = None,
    **extra: Any,
) -> RequestRecord:
    """A record with ids derived from the names (``object_id``)."""
    return RequestRecord(
        request_id=request_id or f"req-{uuid.uuid4().hex}",
        environment_id=environment_id,
        environment_name="prod",
        created_at=created_at,
        resource_id=object_id(resource),
        resource_name=resource,
        provider=provider,
        model=model,
        connection_id=object_id(connection),
        connection_name=connection,
        api_key_id=object_id(api_key),
        api_key_name=api_key,
        status_code=status,
        error_class=error_class,
        prompt_tokens=prompt,
        completion_tokens=completion,
        cached_tokens=cached,
        total_latency_ms=latency,
        time_to_first_token_ms=ttft,
        gateway_latency_ms=gateway,
        estimated_cost=cost,
        **extra,
    )


def insert_records(database_url: str, records: list[RequestRecord]) -> None:
    """Write ``records`` in one transaction of a session of our own."""

    async def work(session: AsyncSession) -> None:
        session.add_all(records)

    run_db(database_url, work)
