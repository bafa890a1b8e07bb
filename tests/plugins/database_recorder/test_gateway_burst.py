"""Through a real gateway: after a burst of every kind of request, one stored record each,
with what the caller saw."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchboard.db.engine import create_engine
from switchboard.db.models import RequestRecord as RecordRow
from switchboard.settings import Settings
from switchboard.testing import RunningGateway
from tests.core.api.conftest import api_settings
from tests.plugins.database_recorder.conftest import stored, wait_for_rows
from tests.plugins.database_recorder.gateway_world import gateway_world

KINDS = (
    ["plain"] * 8
    + ["stream"] * 4
    + ["broken"] * 3
    + ["unknown"] * 2
    + ["unassigned"] * 2
    + ["bad-json"] * 2
    + ["scarce"] * 3
)


@pytest.fixture
def switchboard_settings(tmp_path: Path, database_url: str) -> Settings:
    return api_settings(str(tmp_path / "data"), database_url)


async def test_a_burst_is_stored_one_record_per_request(gateway: RunningGateway) -> None:
    with gateway_world(gateway) as world:
        sent = world.burst(KINDS)
    statuses = {kind: sorted(s.status for s in sent if s.kind == kind) for kind in set(KINDS)}
    assert statuses == {
        "plain": [200] * 8,
        "stream": [200] * 4,
        "broken": [502] * 3,
        "unknown": [404] * 2,
        "unassigned": [403] * 2,
        "bad-json": [400] * 2,
        "scarce": [200, 429, 429],
    }
    engine = create_engine(gateway.settings.effective_database_url)
    try:
        await wait_for_rows(engine, len(sent))
        rows = await stored(engine)
    finally:
        await engine.dispose()
    assert sorted(rows) == sorted(s.request_id for s in sent)
    for request in sent:
        check(rows[request.request_id], request.kind, request.status)


def check(row: RecordRow, kind: str, status: int) -> None:
    """The stored row says what the caller got."""
    assert row.status_code == status, kind
    assert row.total_latency_ms is not None and row.total_latency_ms > 0
    assert row.trace_id is not None and len(row.trace_id) == 32
    if kind == "bad-json":
        # Refused before the key was read: no environment (the default recorders take it).
        assert row.environment_id is None and row.attempts == []
        return
    assert (row.workspace_name, row.environment_name, row.api_key_name) == (
        "acme",
        "prod",
        "backend",
    )
    if status == 200:
        assert (row.provider, row.model, row.connection_name) == (
            "openai",
            "gpt-4o-mini",
            "openai-main",
        )
        assert (row.prompt_tokens, row.completion_tokens) == (10, 5)
        assert row.stream is (kind == "stream")
        assert [(a["provider"], a["model"], a["outcome"]) for a in row.attempts] == [
            ("openai", "gpt-4o-mini", "ok")
        ]
        assert row.error_class is None
    elif kind == "broken":
        assert [(a["connection_name"], a["status"]) for a in row.attempts] == [
            ("openai-broken", 500)
        ]
        assert row.error_class is not None and row.completion_tokens == 0
    elif kind == "unknown":  # kept by the name asked for, with no id
        assert (row.resource_id, row.resource_name, row.attempts) == (None, "nope", [])
    elif kind == "unassigned":
        assert row.resource_name == "secret" and row.attempts == []
    else:  # the scarce resource's refusals
        assert (kind, status) == ("scarce", 429)
        assert row.resource_name == "scarce"
        assert all(a["outcome"] != "ok" for a in row.attempts)
