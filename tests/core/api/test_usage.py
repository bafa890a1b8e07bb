"""``POST .../usage/query`` over HTTP on SQLite and PostgreSQL: a known workload gives
exactly the expected numbers for each granularity, group-by and filter, percentiles and
bucket boundaries included; bad questions are 400s naming the field; permissions.

The workload (environment ``acme/prod``; Monday 2026-01-05 is ``D``):

====  ========================  ======  =========  ======  ======  =====  =====  ===  =====
name  created_at                res     provider   key     status  tok    lat    ttft cost
====  ========================  ======  =========  ======  ======  =====  =====  ===  =====
r1    D 10:00:00                chat    openai     key-a   200     10/20  100    40   0.5
r2    D 10:00:59.999999         chat    openai     key-a   200     30/40  200    60   0.25
r3    D 10:01:00                chat    openai     key-b   429     0/0    50     -    -
r4    D 10:59:59                embed   anthropic  key-b   200     100/0  400    -    1.0
r5    D 11:00:00                embed   anthropic  key-a   502     5/0    1000   -    -
r6    Sun 2026-01-04 23:59:59.5 chat    openai     key-a   200     1/2    300    80   0.125
r7    Sun 2026-02-01 00:00:00   chat    (none)     key-a   400     0/0    -      -    -
====  ========================  ======  =========  ======  ======  =====  =====  ===  =====

plus one record before the range and one in another environment, which never count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.core.api.client import Api, expect, expect_error
from tests.core.api.conftest import Harness
from tests.core.api.request_records import (  # noqa: F401 - module_gateway is a fixture
    insert_records,
    module_gateway,
    object_id,
    record,
)

WS = "/api/v1/workspaces/acme"
USAGE = f"{WS}/environments/prod/usage/query"
D = datetime(2026, 1, 5, tzinfo=UTC)
JAN = "2026-01-01T00:00:00Z"
MAR = "2026-03-01T00:00:00Z"
WEEK = "2026-01-08T00:00:00Z"
PASSWORD = "usage-Password-1"
ALL_METRICS = [
    "requests",
    "errors",
    "errorRate",
    "promptTokens",
    "completionTokens",
    "cachedTokens",
    "totalTokens",
    "latencyAvg",
    "latencyP50",
    "latencyP95",
    "latencyP99",
    "timeToFirstTokenAvg",
    "timeToFirstTokenP50",
    "timeToFirstTokenP95",
    "gatewayLatencyAvg",
    "estimatedCost",
]


@dataclass
class World:
    harness: Harness
    admin: Api

    def query(self, body: dict[str, Any], api: Api | None = None) -> dict[str, Any]:
        answer: dict[str, Any] = expect((api or self.admin).post(USAGE, body), 200)
        return answer


@pytest.fixture(scope="module")
def world(module_harness: Harness) -> World:
    admin = module_harness.admin
    admin.create_workspace("acme")
    prod = admin.create_environment("acme", "prod")
    other = admin.create_environment("acme", "staging")
    env = prod["id"]
    at = D.replace
    insert_records(
        module_harness.database_url,
        [
            record(env, at(hour=10), prompt=10, completion=20, cached=5, latency=100, ttft=40,
                   gateway=2, cost=0.5),
            record(env, at(hour=10, second=59, microsecond=999999), prompt=30, completion=40,
                   latency=200, ttft=60, gateway=4, cost=0.25),
            record(env, at(hour=10, minute=1), api_key="key-b", status=429,
                   error_class="rate_limited", latency=50, gateway=1),
            record(env, at(hour=10, minute=59, second=59), resource="embed",
                   provider="anthropic", model="claude", connection="conn-anthropic",
                   api_key="key-b", prompt=100, latency=400, gateway=6, cost=1.0),
            record(env, at(hour=11), resource="embed", provider="anthropic", model="claude",
                   connection="conn-anthropic", status=502, error_class="provider_error",
                   prompt=5, latency=1000, gateway=8),
            record(env, datetime(2026, 1, 4, 23, 59, 59, 500000, tzinfo=UTC), prompt=1,
                   completion=2, latency=300, ttft=80, gateway=3, cost=0.125),
            record(env, datetime(2026, 2, 1, tzinfo=UTC), provider=None, model=None,
                   connection=None, status=400, error_class="invalid_request", gateway=0.5),
            # Never counted: before the range, and another environment.
            record(env, datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC), prompt=999, latency=1),
            record(other["id"], at(hour=10), prompt=999, latency=1),
        ],
    )  # fmt: skip
    return World(module_harness, admin)


def buckets(answer: dict[str, Any], metric: str = "requests") -> dict[str, Any]:
    return {row["bucket"]: row["metrics"][metric] for row in answer["rows"]}


def test_month_buckets_give_every_metric_exactly(world: World) -> None:
    answer = world.query({"from": JAN, "to": MAR, "granularity": "month", "metrics": ALL_METRICS})
    assert [row["bucket"] for row in answer["rows"]] == [
        "2026-01-01T00:00:00Z",
        "2026-02-01T00:00:00Z",
    ]
    january, february = (row["metrics"] for row in answer["rows"])
    assert january == {
        "requests": 6,
        "errors": 2,
        "errorRate": 2 / 6,
        "promptTokens": 146,
        "completionTokens": 62,
        "cachedTokens": 5,
        "totalTokens": 208,
        # latencies 50 100 200 300 400 1000
        "latencyAvg": 341.667,
        "latencyP50": 250.0,
        "latencyP95": 850.0,
        "latencyP99": 970.0,
        # time to first token 40 60 80
        "timeToFirstTokenAvg": 60.0,
        "timeToFirstTokenP50": 60.0,
        "timeToFirstTokenP95": 78.0,
        "gatewayLatencyAvg": 4.0,
        "estimatedCost": 1.875,
    }
    assert february == {
        "requests": 1,
        "errors": 1,
        "errorRate": 1.0,
        "promptTokens": 0,
        "completionTokens": 0,
        "cachedTokens": 0,
        "totalTokens": 0,
        "latencyAvg": None,
        "latencyP50": None,
        "latencyP95": None,
        "latencyP99": None,
        "timeToFirstTokenAvg": None,
        "timeToFirstTokenP50": None,
        "timeToFirstTokenP95": None,
        "gatewayLatencyAvg": 0.5,
        "estimatedCost": None,
    }
    assert answer["rows"][0]["group"] == {}
    # Totals are over every record of the range, not sums or averages of the buckets.
    assert answer["totals"] == {
        **january,
        "requests": 7,
        "errors": 3,
        "errorRate": 3 / 7,
        "gatewayLatencyAvg": 3.5,
    }
    assert (answer["from"], answer["to"], answer["granularity"]) == (JAN, MAR, "month")


def test_week_day_hour_and_minute_buckets_are_aligned_in_utc(world: World) -> None:
    weeks = world.query({"from": JAN, "to": MAR, "granularity": "week"})
    # Weeks start on Monday: Sunday Jan 4 belongs to the week of Monday Dec 29 (before
    # ``from``: a bucket starts where its week starts), Sunday Feb 1 to that of Jan 26.
    assert buckets(weeks) == {
        "2025-12-29T00:00:00Z": 1,
        "2026-01-05T00:00:00Z": 5,
        "2026-01-26T00:00:00Z": 1,
    }
    days = world.query({"from": JAN, "to": MAR, "granularity": "day"})
    assert buckets(days) == {
        "2026-01-04T00:00:00Z": 1,
        "2026-01-05T00:00:00Z": 5,
        "2026-02-01T00:00:00Z": 1,
    }
    hours = world.query(
        {"from": "2026-01-04T00:00:00Z", "to": "2026-01-06T00:00:00Z", "granularity": "hour"}
    )
    assert buckets(hours) == {
        "2026-01-04T23:00:00Z": 1,
        "2026-01-05T10:00:00Z": 4,
        "2026-01-05T11:00:00Z": 1,
    }
    minutes = world.query(
        {
            "from": "2026-01-05T00:00:00Z",
            "to": "2026-01-06T00:00:00Z",
            "granularity": "minute",
            "metrics": ["requests", "latencyP50", "promptTokens"],
        }
    )
    assert buckets(minutes) == {
        "2026-01-05T10:00:00Z": 2,  # 10:00:00 and 10:00:59.999999
        "2026-01-05T10:01:00Z": 1,  # 10:01:00 exactly starts the next minute
        "2026-01-05T10:59:00Z": 1,
        "2026-01-05T11:00:00Z": 1,
    }
    assert buckets(minutes, "latencyP50") == {
        "2026-01-05T10:00:00Z": 150.0,
        "2026-01-05T10:01:00Z": 50.0,
        "2026-01-05T10:59:00Z": 400.0,
        "2026-01-05T11:00:00Z": 1000.0,
    }
    assert set(minutes["rows"][0]["metrics"]) == {"requests", "latencyP50", "promptTokens"}
    assert minutes["totals"] == {"requests": 5, "latencyP50": 200.0, "promptTokens": 145}


def test_the_range_is_half_open(world: World) -> None:
    answer = world.query(
        {"from": "2026-01-05T10:00:00Z", "to": "2026-01-05T11:00:00Z", "granularity": "hour"}
    )
    assert answer["totals"]["requests"] == 4  # 10:00:00 in, 11:00:00 out
    answer = world.query(
        {"from": "2026-01-05T10:00:00.000001Z", "to": "2026-01-05T11:00:00.000001Z"}
    )
    assert answer["totals"]["requests"] == 4  # 10:00:00 out, 11:00:00 in


def test_group_by_provider_with_percentiles(world: World) -> None:
    answer = world.query(
        {
            "from": JAN,
            "to": MAR,
            "granularity": "month",
            "groupBy": ["provider"],
            "metrics": ["requests", "errors", "latencyP50", "latencyP95", "estimatedCost"],
        }
    )
    rows = [(r["bucket"][:7], r["group"], r["metrics"]) for r in answer["rows"]]
    assert rows == [
        (
            "2026-01",
            {"provider": "anthropic"},
            # latencies 400 1000
            {"requests": 2, "errors": 1, "latencyP50": 700.0, "latencyP95": 970.0,
             "estimatedCost": 1.0},
        ),
        (
            "2026-01",
            {"provider": "openai"},
            # latencies 50 100 200 300
            {"requests": 4, "errors": 1, "latencyP50": 150.0, "latencyP95": 285.0,
             "estimatedCost": 0.875},
        ),
        (
            "2026-02",
            {"provider": None},
            {"requests": 1, "errors": 1, "latencyP50": None, "latencyP95": None,
             "estimatedCost": None},
        ),
    ]  # fmt: skip


def test_group_by_objects_shows_ids_and_names(world: World) -> None:
    answer = world.query(
        {"from": JAN, "to": MAR, "granularity": "month", "groupBy": ["resource", "apiKey"]}
    )
    seen = {
        (r["bucket"][:7], r["group"]["resource"]["name"], r["group"]["apiKey"]["name"]): r[
            "metrics"
        ]["requests"]
        for r in answer["rows"]
    }
    assert seen == {
        ("2026-01", "chat", "key-a"): 3,
        ("2026-01", "chat", "key-b"): 1,
        ("2026-01", "embed", "key-a"): 1,
        ("2026-01", "embed", "key-b"): 1,
        ("2026-02", "chat", "key-a"): 1,
    }
    first = answer["rows"][0]["group"]
    assert first["resource"] == {"id": object_id("chat"), "name": "chat"}
    assert first["apiKey"] == {"id": object_id("key-a"), "name": "key-a"}
    assert set(first) == {"resource", "apiKey"}


@pytest.mark.parametrize(
    ("dimension", "expected"),
    [
        ("status", {200: 4, 429: 1, 502: 1, 400: 1}),
        ("errorClass", {None: 4, "rate_limited": 1, "provider_error": 1, "invalid_request": 1}),
        ("model", {"gpt-4o": 4, "claude": 2, None: 1}),
        ("connection", {"conn-openai": 4, "conn-anthropic": 2, None: 1}),
    ],
)
def test_group_by_each_dimension(world: World, dimension: str, expected: dict[Any, int]) -> None:
    answer = world.query({"from": JAN, "to": MAR, "granularity": "week", "groupBy": [dimension]})
    counted: dict[Any, int] = {}
    for row in answer["rows"]:
        value = row["group"][dimension]
        key = value["name"] if isinstance(value, dict) else value
        counted[key] = counted.get(key, 0) + row["metrics"]["requests"]
    assert counted == expected


def test_rows_come_sorted_by_bucket_then_group_with_nulls_first(world: World) -> None:
    answer = world.query(
        {"from": JAN, "to": MAR, "granularity": "month", "groupBy": ["model", "status"]}
    )
    keys = [(r["bucket"], r["group"]["model"], r["group"]["status"]) for r in answer["rows"]]
    assert keys == [
        ("2026-01-01T00:00:00Z", "claude", 200),
        ("2026-01-01T00:00:00Z", "claude", 502),
        ("2026-01-01T00:00:00Z", "gpt-4o", 200),
        ("2026-01-01T00:00:00Z", "gpt-4o", 429),
        ("2026-02-01T00:00:00Z", None, 400),
    ]


@pytest.mark.parametrize(
    ("filters", "requests"),
    [
        ({"status": ["5xx"]}, 1),
        ({"status": ["4xx"]}, 2),
        ({"status": [429, "502"]}, 2),
        ({"provider": ["openai"]}, 4),
        ({"resource": ["embed"]}, 2),
        ({"resource": [object_id("embed")]}, 2),
        ({"apiKey": ["key-b"]}, 2),
        ({"connection": ["conn-anthropic", "conn-openai"]}, 6),
        ({"model": ["claude"], "status": ["2xx"]}, 1),
        ({"errorClass": ["rate_limited"]}, 1),
        ({"provider": ["nobody"]}, 0),
    ],
)
def test_filters(world: World, filters: dict[str, Any], requests: int) -> None:
    answer = world.query({"from": JAN, "to": MAR, "granularity": "month", "filters": filters})
    assert answer["totals"]["requests"] == requests
    assert sum(row["metrics"]["requests"] for row in answer["rows"]) == requests


def test_an_empty_range_has_no_rows_and_zero_totals(world: World) -> None:
    answer = world.query({"from": "2024-01-01T00:00:00Z", "to": "2024-01-02T00:00:00Z"})
    assert answer["rows"] == []
    assert answer["totals"]["requests"] == 0
    assert answer["totals"]["errorRate"] is None
    assert answer["totals"]["latencyAvg"] is None


def test_to_defaults_to_now_and_times_without_offset_are_utc(world: World) -> None:
    since = (datetime.now(UTC) - timedelta(hours=2)).replace(tzinfo=None)
    answer = world.query({"from": since.isoformat()})
    to = datetime.fromisoformat(answer["to"])
    assert abs((to - datetime.now(UTC)).total_seconds()) < 60
    assert datetime.fromisoformat(answer["from"]) == since.replace(tzinfo=UTC)
    answer = world.query({"from": "2026-01-05T10:00:00", "to": "2026-01-05T11:00:00"})
    assert answer["totals"]["requests"] == 4
    # Another offset is the same instant.
    answer = world.query({"from": "2026-01-05T11:00:00+01:00", "to": "2026-01-05T12:00:00+01:00"})
    assert answer["totals"]["requests"] == 4


@pytest.mark.parametrize(
    ("body", "param", "says"),
    [
        ({"to": MAR}, "from", "from"),
        ({"from": MAR, "to": JAN}, "from", "must be before"),
        ({"from": MAR, "to": MAR}, "from", "must be before"),
        ({"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:01Z", "granularity": "minute"},
         "from", "at most 1 days"),
        ({"from": "2025-01-01T00:00:00Z", "to": "2026-03-01T00:00:00Z", "granularity": "day"},
         "from", "coarser granularity"),
        ({"from": JAN, "to": WEEK, "granularity": "year"}, "granularity", ""),
        ({"from": JAN, "to": WEEK, "groupBy": ["provider", "provider"]}, "groupBy", "twice"),
        ({"from": JAN, "to": WEEK, "groupBy": ["colour"]}, "groupBy[0]", ""),
        ({"from": JAN, "to": WEEK, "metrics": []}, "metrics", "at least one"),
        ({"from": JAN, "to": WEEK, "metrics": ["requests", "vibes"]}, "metrics[1]", ""),
        ({"from": JAN, "to": WEEK, "filters": {"status": ["6xx"]}}, "filters.status", "neither"),
        ({"from": JAN, "to": WEEK, "filters": {"colour": ["red"]}}, "filters", "colour"),
        ({"from": "yesterday"}, "from", ""),
        ({"from": JAN, "to": WEEK, "colour": 1}, "colour", ""),
    ],
)  # fmt: skip
def test_bad_questions_are_400s_naming_the_field(
    world: World, body: dict[str, Any], param: str, says: str
) -> None:
    expect_error(world.admin.post(USAGE, body), 400, param=param, says=says)


def test_unknown_workspace_or_environment_is_404(world: World) -> None:
    body = {"from": JAN}
    expect_error(world.admin.post(f"{WS}/environments/nope/usage/query", body), 404)
    expect_error(
        world.admin.post("/api/v1/workspaces/nope/environments/prod/usage/query", body), 404
    )


def test_paths_take_ids_as_well_as_names(world: World) -> None:
    workspace = expect(world.admin.get(WS), 200)
    environment = expect(world.admin.get(f"{WS}/environments/prod"), 200)
    path = f"/api/v1/workspaces/{workspace['id']}/environments/{environment['id']}/usage/query"
    answer = expect(world.admin.post(path, {"from": JAN, "to": MAR}), 200)
    assert answer["totals"]["requests"] == 7


def test_who_may_query_usage(world: World) -> None:
    harness, admin = world.harness, world.admin
    reader = harness.user("usage-reader", "read-only", password=PASSWORD)
    outsider = harness.user("usage-outsider", "power-user", password=PASSWORD)
    admin.add_member("acme", "usage-reader")
    body = {"from": JAN, "to": MAR}
    # The read-only role may read usage, inside the workspaces it is a member of.
    assert world.query(body, reader)["totals"]["requests"] == 7
    expect_error(
        outsider.post(USAGE, body),
        403,
        says="may not completion-usage:query on workspace:acme:environment:prod",
    )
    # A role without the action: even a member is refused.
    admin.create_role(
        "usage-none",
        [{"effect": "ALLOW", "actions": ["*:get", "*:list"], "resources": ["*"]}],
    )
    lister = harness.user("usage-lister", "usage-none", password=PASSWORD)
    admin.add_member("acme", "usage-lister")
    expect_error(lister.post(USAGE, body), 403, says="completion-usage:query")
    # A DENY on the environment wins over read-only's ALLOW.
    admin.create_role(
        "usage-deny",
        [
            {
                "effect": "DENY",
                "actions": ["completion-usage:query"],
                "resources": ["workspace:acme:environment:prod"],
            }
        ],
    )
    expect(admin.put("/api/v1/users/usage-reader/roles/usage-deny"), 204)
    expect_error(reader.post(USAGE, body), 403, says="completion-usage:query")
    expect_error(harness.anonymous().post(USAGE, body), 401)
