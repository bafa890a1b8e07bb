"""The request audit over HTTP on SQLite and PostgreSQL: listing newest first with filters,
keyset pagination without gaps or repeats (ties on the same instant included), the detail
with attempts, routing events and payload, CSV and JSONL exports, and permissions."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from switchboard.api.request_audit_shapes import CSV_COLUMNS
from tests.core.api.client import Api, expect, expect_error
from tests.core.api.conftest import Harness
from tests.core.api.request_records import (  # noqa: F401 - module_gateway is a fixture
    insert_records,
    module_gateway,
    object_id,
    record,
)

WS = "/api/v1/workspaces/audit-ws"
AUDIT = f"{WS}/environments/prod/audit"
PASSWORD = "request-audit-Password-1"
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TIE = T0 + timedelta(minutes=30)
ATTEMPTS = [
    {
        "provider": "openai",
        "model": "gpt-4o",
        "connection_id": object_id("conn-openai"),
        "connection_name": "conn-openai",
        "outcome": "error",
        "status": 503,
        "error_class": "provider_unavailable",
        "error_message": "upstream said 503",
        "latency_ms": 12.5,
        "started_ms": 1.25,
        "capacity_ms": 0.5,
    },
    {
        "provider": "anthropic",
        "model": "claude",
        "connection_id": None,
        "outcome": "ok",
        "status": 200,
        "latency_ms": 80.0,
        "started_ms": 14.0,
    },
]
EVENTS = ["rule 'small' did not match", "fallback: anthropic/claude after 503"]


@dataclass
class World:
    harness: Harness
    admin: Api
    other_request: str

    def page(self, *, caller: Api | None = None, **params: Any) -> dict[str, Any]:
        answer: dict[str, Any] = expect(
            (caller or self.admin).request("GET", AUDIT, params=params), 200
        )
        return answer

    def all_ids(self, **params: Any) -> list[str]:
        """Every request id the filters find, page by page."""
        seen: list[str] = []
        cursor: str | None = None
        while True:
            page = self.page(**params, cursor=cursor) if cursor else self.page(**params)
            seen.extend(item["requestId"] for item in page["items"])
            cursor = page["nextCursor"]
            if cursor is None:
                return seen


@pytest.fixture(scope="module")
def world(module_harness: Harness) -> World:
    admin = module_harness.admin
    admin.create_workspace("audit-ws")
    env = admin.create_environment("audit-ws", "prod")["id"]
    other = admin.create_environment("audit-ws", "staging")["id"]
    records = [
        # r00..r09: one a minute, alternating providers, every third a 5xx.
        record(
            env,
            T0 + timedelta(minutes=i),
            request_id=f"r{i:02}",
            provider="openai" if i % 2 == 0 else "anthropic",
            resource="chat" if i < 5 else "embed",
            api_key="key-a" if i % 2 == 0 else "key-b",
            status=502 if i % 3 == 0 else 200,
            error_class="provider_error" if i % 3 == 0 else None,
            correlation_id=f"corr-{i}",
            latency=float(i),
        )
        for i in range(10)
    ]
    # t00..t06: seven records of the very same instant (pagination must break the tie).
    records += [record(env, TIE, request_id=f"t{i:02}", status=429) for i in range(7)]
    detailed = record(
        env,
        T0 - timedelta(hours=1),
        request_id="detailed",
        status=200,
        provider="anthropic",
        model="claude",
        prompt=12,
        completion=30,
        cached=4,
        latency=95.5,
        ttft=20.25,
        gateway=1.5,
        cost=0.00042,
        route="fallback",
        endpoint="chat/completions",
        stream=True,
        attempts=ATTEMPTS,
        routing_events=EVENTS,
        payload={"request": {"messages": [{"role": "user", "content": "hi"}]}},
        queue_wait_ms=0.75,
        tokens_per_second=40.0,
        client_ip="203.0.113.9",
        user_agent="=HYPERLINK(evil)",
        trace_id="0af7651916cd43dd8448eb211c80319c",
        workspace_id="ws-id",
        workspace_name="audit-ws",
        error_message=None,
    )
    records.append(detailed)
    records.append(record(other, T0, request_id="elsewhere"))
    insert_records(module_harness.database_url, records)
    return World(module_harness, admin, "elsewhere")


def test_the_list_is_newest_first_and_only_this_environment(world: World) -> None:
    page = world.page(limit=100)
    ids = [item["requestId"] for item in page["items"]]
    assert len(ids) == 18 and page["nextCursor"] is None
    assert "elsewhere" not in ids
    # The seven records of 12:30 are the newest, in an order of their own (by id).
    assert set(ids[:7]) == {f"t{i:02}" for i in range(7)}
    assert ids[7:] == [
        "r09",
        "r08",
        "r07",
        "r06",
        "r05",
        "r04",
        "r03",
        "r02",
        "r01",
        "r00",
        "detailed",
    ]
    item = page["items"][-1]
    assert item == {
        "id": item["id"],
        "requestId": "detailed",
        "createdAt": "2026-03-02T11:00:00Z",
        "correlationId": None,
        "traceId": "0af7651916cd43dd8448eb211c80319c",
        "endpoint": "chat/completions",
        "stream": True,
        "resource": {"id": object_id("chat"), "name": "chat"},
        "apiKey": {"id": object_id("key-a"), "name": "key-a"},
        "connection": {"id": object_id("conn-openai"), "name": "conn-openai"},
        "provider": "anthropic",
        "model": "claude",
        "route": "fallback",
        "status": 200,
        "errorClass": None,
        "errorMessage": None,
        "promptTokens": 12,
        "completionTokens": 30,
        "cachedTokens": 4,
        "totalTokens": 42,
        "latencyMs": 95.5,
        "gatewayLatencyMs": 1.5,
        "timeToFirstTokenMs": 20.25,
        "estimatedCost": 0.00042,
        "attemptCount": 2,
    }


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 7, 17, 18])
def test_pages_have_no_gaps_and_no_repeats(world: World, limit: int) -> None:
    everything = [item["requestId"] for item in world.page(limit=100)["items"]]
    paged = world.all_ids(limit=limit)
    assert paged == everything
    assert len(set(paged)) == len(everything) >= 18


def test_paging_with_filters_and_records_arriving_meanwhile(world: World) -> None:
    first = world.page(limit=2, status="5xx")
    assert [i["requestId"] for i in first["items"]] == ["r09", "r06"]
    # A newer record arriving between pages does not shift the next page.
    late = record(
        expect(world.admin.get(f"{WS}/environments/prod"), 200)["id"],
        T0 + timedelta(hours=5),
        request_id="late-5xx",
        status=500,
    )
    insert_records(world.harness.database_url, [late])
    second = world.page(limit=2, status="5xx", cursor=first["nextCursor"])
    assert [i["requestId"] for i in second["items"]] == ["r03", "r00"]
    assert second["nextCursor"] is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"provider": "anthropic", "to": TIE.isoformat()},
         ["r09", "r07", "r05", "r03", "r01", "detailed"]),
        ({"status": "5xx"}, ["r09", "r06", "r03", "r00"]),
        ({"status": ["200", "502"], "from": "2026-03-02T12:07:00Z", "to": "2026-03-02T12:10:00Z"},
         ["r09", "r08", "r07"]),
        ({"errorClass": "provider_error", "apiKey": "key-a"}, ["r06", "r00"]),
        ({"resource": "embed", "apiKey": object_id("key-b")}, ["r09", "r07", "r05"]),
        ({"correlationId": "corr-4"}, ["r04"]),
        ({"model": "claude"}, ["detailed"]),
        ({"connection": "conn-openai", "status": "2xx", "from": "2026-03-02T12:08:00Z",
          "to": "2026-03-02T12:09:00Z"}, ["r08"]),
        ({"provider": "nobody"}, []),
    ],
)  # fmt: skip
def test_filters(world: World, params: dict[str, Any], expected: list[str]) -> None:
    ids = [item["requestId"] for item in world.page(limit=100, **params)["items"]]
    assert [i for i in ids if i != "late-5xx"] == expected


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"status": "6xx"}, "status"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-13-01"}, "to"),
    ],
)
def test_bad_parameters_are_400s_naming_them(
    world: World, params: dict[str, str], param: str
) -> None:
    expect_error(world.admin.request("GET", AUDIT, params=params), 400, param=param)


def test_the_detail_has_attempts_routing_events_and_payload(world: World) -> None:
    found = expect(world.admin.get(f"{AUDIT}/detailed"), 200)
    assert found["attempts"] == [
        {
            "provider": "openai",
            "model": "gpt-4o",
            "connection": {"id": object_id("conn-openai"), "name": "conn-openai"},
            "outcome": "error",
            "status": 503,
            "errorClass": "provider_unavailable",
            "errorMessage": "upstream said 503",
            "latencyMs": 12.5,
            "startedMs": 1.25,
            "capacityMs": 0.5,
        },
        {
            "provider": "anthropic",
            "model": "claude",
            "connection": {"id": None, "name": None},
            "outcome": "ok",
            "status": 200,
            "errorClass": None,
            "errorMessage": None,
            "latencyMs": 80.0,
            "startedMs": 14.0,
            "capacityMs": 0.0,
        },
    ]
    assert found["routingEvents"] == EVENTS
    assert found["payload"] == {"request": {"messages": [{"role": "user", "content": "hi"}]}}
    assert found["workspace"] == {"id": "ws-id", "name": "audit-ws"}
    assert found["environment"]["name"] == "prod"
    assert (found["queueWaitMs"], found["tokensPerSecond"]) == (0.75, 40.0)
    assert (found["clientIp"], found["userAgent"]) == ("203.0.113.9", "=HYPERLINK(evil)")
    assert found["totalTokens"] == 42 and found["attemptCount"] == 2


def test_the_detail_of_another_environments_request_is_404(world: World) -> None:
    expect_error(world.admin.get(f"{AUDIT}/{world.other_request}"), 404, says="not found")
    expect_error(world.admin.get(f"{AUDIT}/no-such-request"), 404)
    assert expect(world.admin.get(f"{WS}/environments/staging/audit/elsewhere"), 200)


def test_export_jsonl_is_every_detail_newest_first(world: World) -> None:
    response = world.admin.request(
        "GET", f"{AUDIT}/export", params={"format": "jsonl", "to": TIE.isoformat()}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in response.headers["content-disposition"]
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [line["requestId"] for line in lines] == [
        "r09", "r08", "r07", "r06", "r05", "r04", "r03", "r02", "r01", "r00", "detailed"
    ]  # fmt: skip
    assert lines[-1] == expect(world.admin.get(f"{AUDIT}/detailed"), 200)


def test_export_csv_has_a_header_and_one_row_per_record(world: World) -> None:
    response = world.admin.request(
        "GET", f"{AUDIT}/export", params={"format": "csv", "model": "claude"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert len(rows) == 1
    row = rows[0]
    assert row["requestId"] == "detailed"
    assert row["createdAt"] == "2026-03-02T11:00:00+00:00"
    assert (row["promptTokens"], row["completionTokens"], row["totalTokens"]) == ("12", "30", "42")
    assert (row["latencyMs"], row["estimatedCost"], row["status"]) == ("95.5", "0.00042", "200")
    assert row["errorClass"] == "" and row["stream"] == "true"
    # A formula-looking value is defused for spreadsheets.
    assert row["userAgent"] == "'=HYPERLINK(evil)"
    assert json.loads(row["routingEvents"]) == EVENTS
    assert [a["provider"] for a in json.loads(row["attempts"])] == ["openai", "anthropic"]


def test_export_streams_more_than_one_batch(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # The batch size is read by the server thread at each query: a small one makes the
    # 18 records take several batches (and keyset steps across the tie).
    from switchboard.api import request_audit

    monkeypatch.setattr(request_audit, "EXPORT_BATCH", 4)
    response = world.admin.request("GET", f"{AUDIT}/export", params={"format": "csv"})
    ids = [row["requestId"] for row in csv.DictReader(io.StringIO(response.text))]
    everything = [item["requestId"] for item in world.page(limit=100)["items"]]
    assert ids == everything and len(ids) >= 18


def test_who_may_read_the_request_audit(world: World) -> None:
    harness, admin = world.harness, world.admin
    reader = harness.user("ra-reader", "read-only", password=PASSWORD)
    outsider = harness.user("ra-outsider", "power-user", password=PASSWORD)
    admin.add_member("audit-ws", "ra-reader")
    prod = "workspace:audit-ws:environment:prod"
    # The read-only role lists, reads and exports, as a member of the workspace.
    assert world.page(caller=reader, limit=1)["items"]
    expect(reader.get(f"{AUDIT}/detailed"), 200)
    assert reader.request("GET", f"{AUDIT}/export").status_code == 200
    for path, action in (
        (AUDIT, "completion-audit:list"),
        (f"{AUDIT}/detailed", "completion-audit:get"),
        (f"{AUDIT}/export", "completion-audit:export"),
    ):
        expect_error(outsider.get(path), 403, says=f"may not {action} on {prod}")
        expect_error(harness.anonymous().get(path), 401)
    # Listing allowed, exporting denied: the export is its own permission.
    admin.create_role(
        "ra-no-export",
        [{"effect": "DENY", "actions": ["completion-audit:export"], "resources": [prod]}],
    )
    expect(admin.put("/api/v1/users/ra-reader/roles/ra-no-export"), 204)
    assert world.page(caller=reader, limit=1)["items"]
    expect_error(reader.get(f"{AUDIT}/export"), 403, says="completion-audit:export")
