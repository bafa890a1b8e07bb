"""``GET .../{connections,resources,api-keys}/{key}/capacity`` over HTTP (SQLite and
PostgreSQL): use and what is left per period, as the environment's limiter counts it.

The tests reserve capacity through the environment's limiter directly (the one
``choose_limiter`` gives the data plane), so they do not depend on how the data plane
admits requests: with the memory limiter the test thread uses the server's own instance
(it is thread-safe and bound to no event loop); with the Redis limiter a second limiter
instance on the same Redis writes counters the gateway then reads, as another gateway
process would.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.accounts.throttle import MemoryLoginThrottle
from switchboard.capacity import CapacityEntry
from switchboard.dataplane.limits import TokenCost, choose_limiter, discovered_checks, entry_checks
from switchboard.db.models import AIConnection
from switchboard.interfaces import CapacityCheck, CapacityLimiter, Reservation
from switchboard.interfaces.provider import DiscoveredLimits
from switchboard.plugins.host import PluginHost
from switchboard.plugins.selection import resolve_selection
from switchboard.testing import serve_in_thread
from switchboard.testing.fakes.openai import OpenAIFake
from switchboard_redis_limiter import RedisCapacityLimiter, RedisLimiterSettings
from tests.core.api.client import expect, expect_error, run_db
from tests.core.api.conftest import Harness, api_settings, make_harness

WORKSPACE = "/api/v1/workspaces/acme"
ENV = f"{WORKSPACE}/environments/prod"
PASSWORD = "capacity-Password-1"
COST = TokenCost(prompt=100, completion=50, estimated=False)

CONNECTION_CAPACITY = [
    {"period": "minute", "requests": 10, "tokens": 1000},
    {"period": "day", "tokens": 50000},
]
RESOURCE_CAPACITY = [{"period": "minute", "requests": 5}]
KEY_CAPACITY = [{"period": "hour", "requests": 100, "tokens": 2000}]


def build_world(
    harness: Harness,
    *,
    plugins: dict[str, Any] | None = None,
    base_url: str = "http://127.0.0.1:1/v1",
    enforce: bool = True,
) -> dict[str, dict[str, Any]]:
    """Workspace ``acme``, environment ``prod`` (with ``plugins``), and one connection,
    resource and API key with capacity; returns the three as created."""
    admin = harness.admin
    admin.create_workspace("acme")
    expect(admin.post(f"{WORKSPACE}/environments", {"name": "prod", "plugins": plugins or {}}), 201)
    connection = {
        "name": "openai-main",
        "provider": "openai",
        "settings": {"baseUrl": base_url},
        "credentials": {"apiKey": "sk-test"},
        "capacity": CONNECTION_CAPACITY,
    }
    resource = {
        "name": "chat",
        "model": {"provider": "openai", "model": "gpt-4o-mini"},
        "capacity": RESOURCE_CAPACITY,
        "enforceCapacity": enforce,
    }
    key = {
        "name": "svc",
        "resources": ["chat"],
        "capacity": KEY_CAPACITY,
        "enforceCapacity": enforce,
    }
    return {
        "connection": expect(admin.post(f"{ENV}/connections", connection), 201),
        "resource": expect(admin.post(f"{ENV}/resources", resource), 201),
        "key": expect(admin.post(f"{ENV}/api-keys", key), 201),
    }


def server_limiter(harness: Harness, plugins: dict[str, Any] | None = None) -> CapacityLimiter:
    """The limiter the gateway uses for an environment with ``plugins``."""
    registry = harness.gateway.state.registry
    assert registry is not None
    limiter = choose_limiter(registry, resolve_selection(harness.gateway.plugins, plugins or {}))
    assert limiter is not None
    return limiter


def attempt_checks(world: dict[str, dict[str, Any]]) -> list[CapacityCheck]:
    """The checks the data plane makes for one attempt through key, resource, connection."""

    def entries(raw: list[dict[str, Any]]) -> list[CapacityEntry]:
        return msgspec.convert(raw, list[CapacityEntry])

    key, resource, connection = world["key"], world["resource"], world["connection"]
    return [
        *entry_checks("api-key", key["id"], entries(key["capacity"]), COST),
        *entry_checks("resource", resource["id"], entries(resource["capacity"]), COST),
        *entry_checks("connection", connection["id"], entries(connection["capacity"]), COST),
    ]


def reserve(limiter: CapacityLimiter, checks: list[CapacityCheck]) -> Reservation:
    return asyncio.run(limiter.reserve(checks))


def capacity(harness: Harness, kind: str, key: str, status: int = 200) -> dict[str, Any]:
    body: dict[str, Any] = expect(harness.admin.get(f"{ENV}/{kind}/{key}/capacity"), status)
    return body


def timeless(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` without ``resetSeconds``, which moves between two reads."""
    periods = [{k: v for k, v in p.items() if k != "resetSeconds"} for p in body["periods"]]
    return body | {"periods": periods}


def test_use_and_remaining_per_period_at_every_level(harness: Harness) -> None:
    world = build_world(harness)
    connection_id = world["connection"]["id"]

    untouched = capacity(harness, "connections", "openai-main")
    assert untouched == {
        "id": connection_id,
        "name": "openai-main",
        "limiter": "memory",
        "enforced": True,
        "note": None,
        "periods": [
            {
                "period": "minute",
                "requests": {"limit": 10, "used": 0, "remaining": 10},
                "tokens": {"limit": 1000, "used": 0, "remaining": 1000},
                "resetSeconds": 0.0,
            },
            {
                "period": "day",
                "requests": None,
                "tokens": {"limit": 50000, "used": 0, "remaining": 50000},
                "resetSeconds": 0.0,
            },
        ],
        "discovered": [],
    }

    limiter = server_limiter(harness)
    checks = attempt_checks(world)
    reserve(limiter, checks)
    second = reserve(limiter, checks)
    asyncio.run(limiter.reconcile(second, tokens=120))  # the provider reported 120 tokens

    # By name and by id alike.
    used = capacity(harness, "connections", connection_id)
    assert timeless(used) == timeless(capacity(harness, "connections", "openai-main"))
    minute, day = used["periods"]
    assert minute["requests"] == {"limit": 10, "used": 2, "remaining": 8}
    assert minute["tokens"] == {"limit": 1000, "used": 270, "remaining": 730}
    assert 0 < minute["resetSeconds"] <= 60
    assert day["requests"] is None
    assert day["tokens"] == {"limit": 50000, "used": 270, "remaining": 49730}
    assert 60 < day["resetSeconds"] <= 86400

    resource = capacity(harness, "resources", world["resource"]["id"])
    assert (resource["name"], resource["limiter"], resource["enforced"]) == ("chat", "memory", True)
    assert "discovered" not in resource
    [period] = resource["periods"]
    assert period["period"] == "minute" and period["tokens"] is None
    assert period["requests"] == {"limit": 5, "used": 2, "remaining": 3}

    key = capacity(harness, "api-keys", "svc")
    assert (key["id"], key["limiter"], key["enforced"]) == (world["key"]["id"], "memory", True)
    [period] = key["periods"]
    assert period["period"] == "hour"
    assert period["requests"] == {"limit": 100, "used": 2, "remaining": 98}
    assert period["tokens"] == {"limit": 2000, "used": 270, "remaining": 1730}
    assert 60 < period["resetSeconds"] <= 3600


def test_a_resource_or_key_that_does_not_enforce_says_so(harness: Harness) -> None:
    build_world(harness, enforce=False)
    for kind, name in (("resources", "chat"), ("api-keys", "svc")):
        body = capacity(harness, kind, name)
        assert (body["limiter"], body["enforced"]) == ("memory", False)
        assert "enforceCapacity is off" in body["note"]
        # The limits are still shown, with what the counters hold (nothing here).
        assert body["periods"][0]["requests"]["used"] == 0


def test_without_a_limiter_nothing_is_enforced_or_counted(harness: Harness) -> None:
    build_world(harness, plugins={"memory-limiter": {"enabled": False}})
    for kind, name in (("connections", "openai-main"), ("resources", "chat"), ("api-keys", "svc")):
        body = capacity(harness, kind, name)
        assert (body["limiter"], body["enforced"]) == (None, False)
        assert body["note"] == (
            "no capacity limiter is enabled in environment 'prod': limits are not enforced"
        )
        for period in body["periods"]:
            assert period["resetSeconds"] is None
            for dimension in (period["requests"], period["tokens"]):
                assert dimension is None or (dimension["used"], dimension["remaining"]) == (
                    None,
                    None,
                )


def add_discovered(harness: Harness, connection_id: str, model: str, entry: dict[str, Any]) -> None:
    """Store a model's discovered capacity as the data plane does (limits + updatedAt)."""

    async def work(session: AsyncSession) -> None:
        row = await session.get(AIConnection, connection_id)
        assert row is not None
        row.discovered_capacity = {**row.discovered_capacity, model: entry}

    run_db(harness.database_url, work)


def test_discovered_capacity_per_model(harness: Harness) -> None:
    with OpenAIFake(api_key="sk-test") as fake:
        world = build_world(harness, base_url=fake.url + "/v1")
        fake.script(
            fake.completion(
                "OK",
                headers={"x-ratelimit-limit-requests": "500", "x-ratelimit-limit-tokens": "30000"},
            )
        )
        tested = expect(
            harness.admin.post(f"{ENV}/connections/openai-main/test", {"model": "gpt-4o-mini"}), 200
        )
    assert tested["ok"] and tested["model"] == "gpt-4o-mini"
    connection_id = world["connection"]["id"]
    # Groq-like: requests counted per day, tokens per minute.
    add_discovered(
        harness,
        connection_id,
        "llama-3.1-8b-instant",
        {
            "requestsLimit": 14400,
            "requestsPeriod": "day",
            "tokensLimit": 6000,
            "updatedAt": datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC).isoformat(),
        },
    )

    shown = capacity(harness, "connections", "openai-main")["discovered"]
    assert [d["model"] for d in shown] == ["gpt-4o-mini", "llama-3.1-8b-instant"]
    mini, llama = shown
    assert mini["announced"]["requestsLimit"] == 500
    assert mini["announced"]["tokensLimit"] == 30000
    assert mini["updatedAt"] is not None
    assert (mini["enforced"], mini["periods"]) == (False, None)
    assert llama["updatedAt"] == "2025-01-02T03:04:05Z"

    expect(
        harness.admin.patch(f"{ENV}/connections/openai-main", {"enforceDiscoveredCapacity": True}),
        200,
    )
    limiter = server_limiter(harness)
    announced = DiscoveredLimits(requests_limit=500, tokens_limit=30000)
    reserve(limiter, discovered_checks(connection_id, "gpt-4o-mini", announced, COST))

    mini, llama = capacity(harness, "connections", "openai-main")["discovered"]
    assert mini["enforced"] is True
    [minute] = mini["periods"]
    assert minute["period"] == "minute"
    assert minute["requests"] == {"limit": 500, "used": 1, "remaining": 499}
    assert minute["tokens"] == {"limit": 30000, "used": 150, "remaining": 29850}
    assert 0 < minute["resetSeconds"] <= 60
    assert [(p["period"], p["requests"], p["tokens"]) for p in llama["periods"]] == [
        ("day", {"limit": 14400, "used": 0, "remaining": 14400}, None),
        ("minute", None, {"limit": 6000, "used": 0, "remaining": 6000}),
    ]


def test_unknown_objects_are_404(harness: Harness) -> None:
    build_world(harness)
    for kind, what in (("connections", "connection"), ("resources", "resource")):
        expect_error(
            harness.admin.get(f"{ENV}/{kind}/nope/capacity"),
            404,
            says=f"{what} 'nope' not found in environment 'prod'",
        )
    expect_error(harness.admin.get(f"{ENV}/api-keys/nope/capacity"), 404, says="API key 'nope'")
    expect_error(
        harness.admin.get(f"{WORKSPACE}/environments/nope/connections/openai-main/capacity"), 404
    )


def test_readers_may_look_and_others_may_not(harness: Harness) -> None:
    build_world(harness)
    admin = harness.admin
    reader = harness.user("reader", "read-only", password=PASSWORD)
    admin.add_member("acme", "reader")
    for kind, name in (("connections", "openai-main"), ("resources", "chat"), ("api-keys", "svc")):
        assert expect(reader.get(f"{ENV}/{kind}/{name}/capacity"), 200)["name"] == name

    outsider = harness.user("outsider", "power-user", password=PASSWORD)
    expect_error(
        outsider.get(f"{ENV}/connections/openai-main/capacity"),
        403,
        says="outsider is not a member of workspace acme",
    )

    # A member who may list but not get: the 403 names the action and the object.
    admin.create_role("lister", [{"effect": "ALLOW", "actions": ["*:list"], "resources": ["*"]}])
    lister = harness.user("lister", "lister", password=PASSWORD)
    admin.add_member("acme", "lister")
    scope = "workspace:acme:environment:prod"
    for kind, action, name in (
        ("connections", "ai-connection:get", "ai-connection:openai-main"),
        ("resources", "ai-resource:get", "ai-resource:chat"),
        ("api-keys", "api-key:get", "api-key:svc"),
    ):
        expect_error(
            lister.get(f"{ENV}/{kind}/{name.split(':')[1]}/capacity"),
            403,
            says=f"lister may not {action} on {scope}:{name}",
        )
    expect_error(harness.anonymous().get(f"{ENV}/resources/chat/capacity"), 401)


@contextmanager
def gateway_on_redis(tmp_path: Path, database_url: str, redis_url: str) -> Iterator[Harness]:
    """A gateway of its own whose ``SWITCHBOARD_REDIS_URL`` is ``redis_url``.

    Signing in is throttled through Redis too; the throttle is swapped for the in-process
    one, so a dead ``redis_url`` affects only what these tests are about.
    """
    settings = msgspec.structs.replace(
        api_settings(str(tmp_path / "data"), database_url), redis_url=redis_url
    )
    plugins = PluginHost(settings)
    plugins.load_entry_points()
    with serve_in_thread(settings, plugins) as running:
        running.state.login_throttle = MemoryLoginThrottle()
        yield make_harness(running, database_url)


@pytest.mark.redis
def test_with_the_redis_limiter_the_counters_come_from_redis(
    tmp_path: Path, database_url: str, redis_url: str
) -> None:
    prefix = f"test-{uuid.uuid4().hex}"
    plugins = {"redis-limiter": {"settings": {"keyPrefix": prefix}}}
    with gateway_on_redis(tmp_path, database_url, redis_url) as harness:
        world = build_world(harness, plugins=plugins)
        assert server_limiter(harness, plugins).name == "redis"

        async def elsewhere() -> None:
            # Another gateway process, as far as the counters are concerned.
            other = RedisCapacityLimiter(redis_url, RedisLimiterSettings(key_prefix=prefix))
            try:
                await other.reserve(attempt_checks(world))
            finally:
                await other.aclose()

        asyncio.run(elsewhere())
        body = capacity(harness, "connections", "openai-main")
        assert (body["limiter"], body["enforced"]) == ("redis", True)
        minute, day = body["periods"]
        assert minute["requests"] == {"limit": 10, "used": 1, "remaining": 9}
        assert minute["tokens"] == {"limit": 1000, "used": 150, "remaining": 850}
        assert 0 < minute["resetSeconds"] <= 60
        assert day["tokens"]["used"] == 150
        key = capacity(harness, "api-keys", "svc")
        assert key["limiter"] == "redis"
        assert key["periods"][0]["requests"] == {"limit": 100, "used": 1, "remaining": 99}


def test_a_limiter_failing_closed_is_a_503_naming_redis(tmp_path: Path, database_url: str) -> None:
    closed = {"redis-limiter": {"settings": {"failMode": "closed"}}}
    with gateway_on_redis(tmp_path, database_url, "redis://127.0.0.1:1/0") as harness:
        build_world(harness, plugins=closed)
        for kind, name in (
            ("connections", "openai-main"),
            ("resources", "chat"),
            ("api-keys", "svc"),
        ):
            error = expect_error(
                harness.admin.get(f"{ENV}/{kind}/{name}/capacity"),
                503,
                says="capacity limits cannot be checked: Redis at 127.0.0.1:1 is unreachable",
            )
            assert (error["type"], error["code"]) == ("service_unavailable", "capacity_unavailable")

        # Failing open, the same outage answers with this process's own counters.
        expect(harness.admin.patch(ENV, {"plugins": {"redis-limiter": {}}}), 200)
        body = capacity(harness, "connections", "openai-main")
        assert (body["limiter"], body["enforced"]) == ("redis", True)
        assert body["periods"][0]["requests"]["used"] == 0
