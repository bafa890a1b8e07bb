"""Capacity through the whole data plane: a real gateway, the memory limiter, fake providers.

Connection limits always hold and move a request on to the next connection or model;
resource and key limits hold when enforced and end the request; tokens are reserved from
the prompt and the completion budget and reconciled with the provider's usage (streams
too); a failed call gives its reservation back; the answer says which limit is tightest.
"""

from __future__ import annotations

import concurrent.futures
import time
from typing import Any

import httpx
import pytest
import yaml

from switchboard.context import Principal
from switchboard.hookspecs import hookimpl
from switchboard.interfaces import CapacityCheck, ProviderCall
from switchboard.interfaces.provider import Upstream
from switchboard.testing.fakes.base import Reply
from switchboard.testing.openai_schema import validate
from switchboard.testing.pytest_plugin import RegisterPlugin
from tests.core.api.client import expect
from tests.core.dataplane.conftest import ENV, World

MAIN = {"provider": "openai", "model": "gpt-4o-mini", "connection": "openai-main"}
BACKUP = {"provider": "openai", "model": "gpt-4o-mini", "connection": "openai-backup"}
ANY_OPENAI = {"provider": "openai", "model": "gpt-4o-mini"}


def set_connection_capacity(world: World, name: str, *entries: dict[str, Any]) -> None:
    expect(world.admin.patch(f"{ENV}/connections/{name}", {"capacity": list(entries)}), 200)


def error_of(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    validate("ErrorResponse", body)
    error: dict[str, Any] = body["error"]
    return error


def test_a_full_connection_falls_back_to_the_next_model(world: World) -> None:
    set_connection_capacity(world, "openai-main", {"period": "minute", "requests": 2})
    world.resource("spill", model=MAIN, useFallback=True, fallbackModels=[BACKUP])
    world.assign("backend", "chat", "spill")
    answers = [world.chat("spill") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.headers["x-switchboard-connection"] for a in answers] == [
        "openai-main",
        "openai-main",
        "openai-backup",
    ]
    assert answers[2].headers["x-switchboard-attempts"] == "2"
    assert (len(world.openai_fake.requests), len(world.backup_fake.requests)) == (2, 1)


def test_a_429_names_the_limit_and_says_when_to_retry(world: World) -> None:
    set_connection_capacity(world, "openai-main", {"period": "minute", "requests": 2})
    assert [world.chat("chat").status_code for _ in range(2)] == [200, 200]
    refused = world.chat("chat")
    assert refused.status_code == 429
    error = error_of(refused)
    assert error["type"] == "rate_limit_error" and error["code"] == "capacity_exhausted"
    assert "'openai-main' allows 2 requests per minute" in error["message"]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["x-ratelimit-limit-requests"] == "2"
    assert refused.headers["x-ratelimit-remaining-requests"] == "0"
    assert refused.headers["x-switchboard-ratelimit-scope-requests"] == "connection:minute"
    assert len(world.openai_fake.requests) == 2


def test_every_answer_carries_the_tightest_limit(world: World) -> None:
    set_connection_capacity(
        world,
        "openai-main",
        {"period": "minute", "requests": 10, "tokens": 100000},
        {"period": "day", "requests": 1000},
    )
    world.resource(
        "tight",
        model=MAIN,
        capacity=[{"period": "minute", "requests": 3}],
        enforceCapacity=True,
    )
    world.assign("backend", "chat", "tight")
    answer = world.chat("tight")
    assert answer.status_code == 200
    assert answer.headers["x-ratelimit-limit-requests"] == "3"
    assert answer.headers["x-ratelimit-remaining-requests"] == "2"
    assert answer.headers["x-switchboard-ratelimit-scope-requests"] == "resource:minute"
    assert answer.headers["x-ratelimit-reset-requests"].endswith("s")
    assert answer.headers["x-ratelimit-limit-tokens"] == "100000"
    assert answer.headers["x-switchboard-ratelimit-scope-tokens"] == "connection:minute"
    # A resource without limits of its own shows the connection's.
    plain = world.chat("chat")
    assert plain.headers["x-ratelimit-limit-requests"] == "10"
    assert plain.headers["x-ratelimit-remaining-requests"] == "8"


def test_no_limits_no_ratelimit_headers(world: World) -> None:
    answer = world.chat("chat")
    assert answer.status_code == 200
    assert not [h for h in answer.headers if h.startswith("x-ratelimit-")]


def test_a_full_resource_stops_the_chain(world: World) -> None:
    world.resource(
        "capped",
        model=MAIN,
        useFallback=True,
        fallbackModels=[BACKUP],
        capacity=[{"period": "minute", "requests": 1}],
        enforceCapacity=True,
    )
    world.assign("backend", "chat", "capped")
    assert world.chat("capped").status_code == 200
    refused = world.chat("capped")
    assert refused.status_code == 429
    assert "resource 'capped' allows 1 requests per minute" in error_of(refused)["message"]
    assert refused.headers["x-switchboard-ratelimit-scope-requests"] == "resource:minute"
    # No other model would have helped: the backup was not even tried.
    assert len(world.backup_fake.requests) == 0


def test_resource_capacity_holds_only_when_enforced(world: World) -> None:
    world.resource("loose", model=MAIN, capacity=[{"period": "minute", "requests": 1}])
    world.assign("backend", "chat", "loose")
    assert [world.chat("loose").status_code for _ in range(3)] == [200, 200, 200]


def test_api_key_capacity(world: World) -> None:
    limited = world.create_key(
        "limited",
        "chat",
        capacity=[{"period": "minute", "requests": 2}],
        enforceCapacity=True,
    )
    statuses = [world.chat("chat", key=limited).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert (
        "api-key 'limited' allows 2 requests"
        in error_of(world.chat("chat", key=limited))["message"]
    )
    # Other keys are not limited by it.
    assert world.chat("chat").status_code == 200


def test_connection_capacity_is_shared_by_every_resource(world: World) -> None:
    set_connection_capacity(world, "openai-main", {"period": "minute", "requests": 3})
    world.resource("other", model=MAIN)
    world.assign("backend", "chat", "other")
    statuses = [world.chat(name).status_code for name in ("chat", "other", "chat", "other")]
    assert statuses == [200, 200, 200, 429]


def test_tokens_are_reserved_then_reconciled(world: World) -> None:
    set_connection_capacity(world, "openai-main", {"period": "minute", "tokens": 10000})
    world.openai_fake.script(
        world.openai_fake.completion("ok", prompt_tokens=10, completion_tokens=5)
    )
    first = world.chat("chat", max_tokens=500)
    # Before the call: the prompt's count plus the 500 asked for.
    reserved = 10000 - int(first.headers["x-ratelimit-remaining-tokens"])
    assert reserved >= 500
    second = world.chat("chat", max_tokens=500)
    # The first now counts what the provider reported (15), the second its reservation.
    assert int(second.headers["x-ratelimit-remaining-tokens"]) == 10000 - 15 - reserved


def test_a_stream_is_reconciled_with_its_usage(world: World) -> None:
    set_connection_capacity(world, "openai-main", {"period": "minute", "tokens": 10000})
    fake = world.openai_fake
    fake.script(
        fake.stream(
            [
                fake.chunk({"role": "assistant", "content": "Hi"}),
                fake.chunk({}, "stop"),
                fake.usage_chunk(7, 3),
            ]
        )
    )
    streamed = world.chat("chat", stream=True, max_tokens=300)
    assert streamed.status_code == 200 and "data: [DONE]" in streamed.text
    reserved = 10000 - int(streamed.headers["x-ratelimit-remaining-tokens"])
    after = world.chat("chat", max_tokens=300)
    assert int(after.headers["x-ratelimit-remaining-tokens"]) == 10000 - 10 - reserved


def test_a_request_that_cannot_fit_is_refused(world: World) -> None:
    set_connection_capacity(world, "openai-main", {"period": "minute", "tokens": 1000})
    refused = world.chat("chat", max_tokens=5000)
    assert refused.status_code == 429
    assert "allows 1000 tokens per minute" in error_of(refused)["message"]
    assert len(world.openai_fake.requests) == 0
    # Without a budget the estimate never makes a request impossible.
    assert world.chat("chat").status_code == 200


def test_a_failed_call_gives_its_capacity_back(world: World) -> None:
    set_connection_capacity(world, "openai-main", {"period": "minute", "requests": 1})
    world.openai_fake.script(world.openai_fake.error(500, "boom", "server_error"))
    failed = world.chat("chat")
    assert failed.status_code == 502
    assert world.chat("chat").status_code == 200


def test_the_connection_with_most_capacity_left_is_chosen(world: World) -> None:
    set_connection_capacity(world, "openai-main", {"period": "minute", "requests": 10})
    set_connection_capacity(world, "openai-backup", {"period": "minute", "requests": 10})
    world.resource("spread", model=ANY_OPENAI)
    world.assign("backend", "chat", "spread")
    connections = [world.chat("spread").headers["x-switchboard-connection"] for _ in range(6)]
    assert sorted(connections) == ["openai-backup"] * 3 + ["openai-main"] * 3


def test_a_full_connection_of_the_same_model_is_passed_over(world: World) -> None:
    set_connection_capacity(world, "openai-backup", {"period": "minute", "requests": 1})
    set_connection_capacity(world, "openai-main", {"period": "minute", "requests": 5})
    world.resource("either", model=ANY_OPENAI)
    world.assign("backend", "chat", "either")
    answers = [world.chat("either") for _ in range(4)]
    assert all(a.status_code == 200 for a in answers)
    assert [a.headers["x-switchboard-connection"] for a in answers].count("openai-backup") == 1


def test_discovered_capacity_is_kept_and_can_be_enforced(world: World) -> None:
    fake = world.openai_fake
    announced = {
        "x-ratelimit-limit-requests": "2",
        "x-ratelimit-remaining-requests": "1",
        "x-ratelimit-reset-requests": "30s",
        "x-ratelimit-limit-tokens": "40000",
        "x-ratelimit-remaining-tokens": "39990",
        "x-ratelimit-reset-tokens": "15ms",
    }
    fake.script(fake.completion("ok", headers=announced))
    assert world.chat("chat").status_code == 200
    deadline = time.monotonic() + 15
    discovered: dict[str, Any] = {}
    while time.monotonic() < deadline and not discovered:
        connection = expect(world.admin.get(f"{ENV}/connections/openai-main"), 200)
        discovered = connection["discoveredCapacity"].get("gpt-4o-mini", {})
        time.sleep(0.2)
    assert discovered["requestsLimit"] == 2 and discovered["tokensLimit"] == 40000
    assert "updatedAt" in discovered
    expect(
        world.admin.patch(f"{ENV}/connections/openai-main", {"enforceDiscoveredCapacity": True}),
        200,
    )
    # The provider said two a minute: the gateway now holds the connection to it.
    statuses = [world.chat("chat").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    message = error_of(world.chat("chat"))["message"]
    assert "limit announced by openai for gpt-4o-mini" in message


def test_queued_requests_wait_for_capacity(world: World) -> None:
    set_connection_capacity(world, "openai-main", {"period": "minute", "requests": 1})
    world.resource("patient", model=MAIN, maxQueueWaitMs=5000)
    world.assign("backend", "chat", "patient")
    fake = world.openai_fake
    # The first call holds the only request for a second, then fails and gives it back.
    fake.script(Reply(status=500, json={"error": {"message": "boom"}}, delay=1.0))
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        first = pool.submit(world.chat, "patient")
        time.sleep(0.3)
        started = time.monotonic()
        second = pool.submit(world.chat, "patient")
        assert first.result().status_code == 502
        answer = second.result()
    assert answer.status_code == 200
    assert time.monotonic() - started >= 0.5


def test_a_queue_never_waits_longer_than_allowed(world: World) -> None:
    set_connection_capacity(world, "openai-main", {"period": "minute", "requests": 1})
    world.resource("hurried", model=MAIN, maxQueueWaitMs=600)
    world.assign("backend", "chat", "hurried")
    assert world.chat("hurried").status_code == 200
    started = time.monotonic()
    refused = world.chat("hurried")
    waited = time.monotonic() - started
    assert refused.status_code == 429
    assert 0.5 <= waited < 3.0
    assert "waited" in error_of(refused)["message"]


@pytest.mark.parametrize("stream", [False, True])
def test_the_anthropic_surface_gets_the_same_429(world: World, stream: bool) -> None:
    set_connection_capacity(world, "openai-main", {"period": "minute", "requests": 1})
    assert world.chat("chat").status_code == 200
    refused = world.http.post(
        world.gateway.url + "/v1/messages",
        headers={"x-api-key": world.key, "anthropic-version": "2023-06-01"},
        json={
            "model": "chat",
            "max_tokens": 10,
            "stream": stream,
            "messages": [{"role": "user", "content": "Hi"}],
        },
    )
    assert refused.status_code == 429
    assert refused.json()["error"]["type"] == "rate_limit_error"
    assert "retry-after" in refused.headers


def test_embeddings_count_against_capacity(world: World) -> None:
    set_connection_capacity(world, "openai-main", {"period": "minute", "requests": 1})

    def embed() -> httpx.Response:
        return world.http.post(
            world.gateway.url + "/v1/embeddings",
            headers={"authorization": f"Bearer {world.key}"},
            json={"model": "chat", "input": "hello"},
        )

    assert embed().status_code == 200
    assert embed().status_code == 429


class PerUserLimit:
    """A plugin limiting each end user (the request's ``user``) to one request a minute."""

    @hookimpl
    def switchboard_capacity_checks(
        self, call: Upstream, principal: Principal
    ) -> list[CapacityCheck]:
        user = call.request.user if isinstance(call, ProviderCall) else None
        if not isinstance(user, str):
            return []
        return [
            CapacityCheck(
                level="custom", key=f"user:{user}", period="minute", requests=1, label=user
            )
        ]


def test_a_plugin_adds_its_own_limits(register_plugin: RegisterPlugin, world: World) -> None:
    register_plugin(PerUserLimit(), "per-user-limit")
    assert world.chat("chat", user="ada").status_code == 200
    refused = world.chat("chat", user="ada")
    assert refused.status_code == 429
    assert "custom 'ada' allows 1 requests per minute" in error_of(refused)["message"]
    assert refused.headers["x-switchboard-ratelimit-scope-requests"] == "custom:minute"
    assert world.chat("chat", user="grace").status_code == 200
    assert len(world.openai_fake.requests) == 2


SEED_CONNECTION_CAPACITY = """
capacity:
  - period: minute
    requests: 100      # Requests per minute
    tokens: 100000     # Tokens per minute
  - period: hour
    requests: 5000
    tokens: 5000000
  - period: day
    requests: 100000
    tokens: 100000000
"""

SEED_RESOURCE_CAPACITY = """
capacity:
  - period: minute
    requests: 50
    tokens: 50000
enforceCapacity: true
"""


def test_the_seeds_capacity_examples_work_as_written(world: World) -> None:
    connection = yaml.safe_load(SEED_CONNECTION_CAPACITY)
    expect(world.admin.patch(f"{ENV}/connections/openai-main", connection), 200)
    world.resource("seeded", model=MAIN, **yaml.safe_load(SEED_RESOURCE_CAPACITY))
    world.assign("backend", "chat", "seeded")
    answer = world.chat("seeded")
    assert answer.status_code == 200
    # The resource's 50 a minute is the tightest of the four limits that applied.
    assert answer.headers["x-ratelimit-limit-requests"] == "50"
    assert answer.headers["x-ratelimit-remaining-requests"] == "49"
    assert answer.headers["x-ratelimit-limit-tokens"] == "50000"
    periods = expect(world.admin.get(f"{ENV}/connections/openai-main/capacity"), 200)["periods"]
    assert [(p["period"], p["requests"]["used"]) for p in periods] == [
        ("minute", 1),
        ("hour", 1),
        ("day", 1),
    ]
