"""``/metrics`` through a real gateway: known requests of every kind (plain, streamed,
embeddings, failing, a fallback, a capacity 429, a queued one, an unknown resource), then
exact counters and histogram counts and sums, checked against the records themselves."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest

from switchboard.records import RequestRecord
from switchboard.testing.fakes.base import Reply
from switchboard.testing.fakes.openai import OpenAIFake
from switchboard.testing.records import KeptRecords
from switchboard_prometheus.aggregates import error_class_of
from switchboard_prometheus.catalog import HISTOGRAMS
from tests.core.api.client import expect
from tests.core.dataplane.conftest import ENV, World
from tests.plugins.prometheus.support import Scrape, scrape, seconds

MAIN = {"provider": "openai", "model": "gpt-4o-mini", "connection": "openai-main"}
BACKUP = {"provider": "openai", "model": "gpt-4o-mini", "connection": "openai-backup"}
SCOPE = {"workspace": "acme", "environment": "prod"}
CHAT = {**SCOPE, "resource": "chat", "provider": "openai", "model": "gpt-4o-mini"}


def completion_with_cache(fake: OpenAIFake, cached: int) -> Reply:
    """A completion of 7 prompt tokens (``cached`` of them from the cache) and 3 more."""
    reply = fake.completion("cached", prompt_tokens=7, completion_tokens=3)
    reply.json["usage"]["prompt_tokens_details"] = {"cached_tokens": cached}
    return reply


def streamed(fake: OpenAIFake) -> Reply:
    """A stream of two words, 3 prompt and 2 completion tokens."""
    return fake.stream(
        [
            fake.chunk({"role": "assistant", "content": ""}),
            fake.chunk({"content": "Hello"}),
            fake.chunk({"content": " there"}),
            fake.chunk({}, finish_reason="stop"),
            fake.usage_chunk(3, 2),
        ]
    )


def post(world: World, path: str, body: dict[str, Any]) -> httpx.Response:
    return world.http.post(
        f"{world.gateway.url}/v1/{path}",
        headers={"authorization": f"Bearer {world.key}"},
        json=body,
    )


def send_the_workload(world: World) -> list[int]:
    """Every kind of request, in an order the fakes' scripts follow; the statuses."""
    world.resource(
        "sturdy",
        model={**MAIN, "model": "gpt-4o"},
        useFallback=True,
        fallbackModels=[BACKUP],
    )
    world.resource("fragile", model=BACKUP)
    world.resource(
        "tight", model=MAIN, capacity=[{"period": "minute", "requests": 1}], enforceCapacity=True
    )
    world.assign("backend", "chat", "sturdy", "fragile", "tight")
    main, backup = world.openai_fake, world.backup_fake
    main.script(
        main.completion("plain", prompt_tokens=10, completion_tokens=5),
        completion_with_cache(main, cached=4),
        streamed(main),
    )
    statuses = [world.chat("chat").status_code, world.chat("chat").status_code]
    stream = post(
        world,
        "chat/completions",
        {
            "model": "chat",
            "messages": [{"role": "user", "content": "Hi"}],
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    )
    assert "data: [DONE]" in stream.text
    statuses.append(stream.status_code)
    statuses.append(post(world, "embeddings", {"model": "chat", "input": "Hi"}).status_code)
    backup.script(backup.error(500, "internal trouble", "server_error"))
    statuses.append(world.chat("fragile").status_code)
    main.script(main.error(503, "overloaded", "server_error"))
    statuses.append(world.chat("sturdy").status_code)
    statuses += [world.chat("tight").status_code, world.chat("tight").status_code]
    statuses.append(world.chat("no-such-resource").status_code)
    return statuses


@pytest.fixture
def workload(world: World, kept: KeptRecords) -> tuple[Scrape, list[RequestRecord]]:
    """The scrape after the workload, and the records it was made of."""
    statuses = send_the_workload(world)
    assert statuses == [200, 200, 200, 200, 502, 200, 200, 429, 404]
    records = kept.wait_for(len(statuses))
    return scrape(world.gateway.url), records


def test_requests_are_counted_by_status(workload: tuple[Scrape, list[RequestRecord]]) -> None:
    metrics, records = workload
    requests = "switchboard_requests_total"
    chat_completions = {**CHAT, "connection": "openai-main", "endpoint": "chat/completions"}
    assert metrics.value(requests, **chat_completions, status="200") == 3
    assert metrics.value(requests, **CHAT, endpoint="embeddings", status="200") == 1
    assert metrics.value(requests, resource="fragile", connection="openai-backup") == 1
    assert metrics.value(requests, resource="fragile", status="502") == 1
    # The fallback's answer came from the backup: the request counts there.
    assert metrics.value(requests, resource="sturdy", connection="openai-backup") == 1
    assert metrics.value(requests, resource="sturdy", status="200") == 1
    assert metrics.value(requests, resource="tight", status="200") == 1
    assert metrics.value(requests, resource="tight", status="429") == 1
    # An unknown resource has no names beyond its environment's.
    unknown = {**SCOPE, "resource": "", "provider": "", "model": "", "connection": ""}
    assert metrics.value(requests, **unknown, status="404") == 1
    assert metrics.value(requests) == len(records) == 9


def test_errors_are_counted_by_class(workload: tuple[Scrape, list[RequestRecord]]) -> None:
    metrics, records = workload
    errors = "switchboard_errors_total"
    assert metrics.value(errors, resource="fragile", error_class="server_error") == 1
    assert metrics.value(errors, resource="tight", error_class="capacity_exhausted") == 1
    (unknown,) = [r for r in records if r.status == 404]
    assert metrics.value(errors, resource="", error_class=error_class_of(unknown) or "") == 1
    # The fallback ended well: no error, though its first attempt failed.
    assert metrics.value(errors, resource="sturdy") == 0
    assert metrics.value(errors) == 3


def test_tokens_are_counted_by_type(workload: tuple[Scrape, list[RequestRecord]]) -> None:
    metrics, records = workload
    tokens = "switchboard_tokens_total"
    on_chat = {**CHAT, "endpoint": "chat/completions"}
    assert metrics.value(tokens, **on_chat, type="prompt") == 10 + 7 + 3
    assert metrics.value(tokens, **on_chat, type="completion") == 5 + 3 + 2
    assert metrics.value(tokens, **on_chat, type="cached") == 4
    assert metrics.value(tokens, **CHAT, endpoint="embeddings", type="prompt") == 4
    for kind in ("prompt", "completion", "cached"):
        expected = sum(getattr(r, f"{kind}_tokens") for r in records)
        assert metrics.value(tokens, type=kind) == expected


def test_attempts_fallbacks_and_capacity_rejections(
    workload: tuple[Scrape, list[RequestRecord]],
) -> None:
    metrics, records = workload
    attempts = "switchboard_provider_attempts_total"
    sturdy = {"resource": "sturdy"}
    assert metrics.value(attempts, **sturdy, model="gpt-4o", outcome="failed") == 1
    assert metrics.value(attempts, **sturdy, connection="openai-backup", outcome="ok") == 1
    assert metrics.value(attempts, resource="fragile", outcome="failed") == 1
    assert metrics.value(attempts, resource="tight", outcome="ok") == 1
    assert metrics.value(attempts, resource="tight", outcome="capacity_exhausted") == 1
    assert metrics.value(attempts) == sum(len(r.attempts) for r in records) == 9

    fallbacks = "switchboard_fallbacks_total"
    assert metrics.value(fallbacks, resource="sturdy", connection="openai-backup") == 1
    assert metrics.value(fallbacks) == 1

    rejections = "switchboard_capacity_rejections_total"
    assert metrics.value(rejections, resource="tight", stage="attempt") == 1
    assert metrics.value(rejections, resource="tight", connection="openai-main") == 1
    assert metrics.value(rejections, resource="tight", stage="request") == 1
    assert metrics.value(rejections) == 2


def test_histograms_hold_every_request(workload: tuple[Scrape, list[RequestRecord]]) -> None:
    metrics, records = workload
    streamed_records = [r for r in records if r.time_to_first_token_ms is not None]
    assert len(streamed_records) == 1
    observed = {
        "request_duration_seconds": (records, "latency_ms"),
        "gateway_overhead_seconds": (records, "gateway_latency_ms"),
        "time_to_first_token_seconds": (streamed_records, "time_to_first_token_ms"),
        "queue_wait_seconds": ([], "queue_wait_ms"),
    }
    for histogram in HISTOGRAMS:
        name = f"switchboard_{histogram.name}"
        which, field = observed[histogram.name]
        assert metrics.value(f"{name}_count") == len(which), name
        assert math.isclose(metrics.value(f"{name}_sum"), seconds(which, field), abs_tol=1e-9), name
        values = [getattr(r, field) / 1000 for r in which]
        for bound in histogram.buckets:
            below = sum(1 for v in values if v <= bound)
            assert metrics.value(f"{name}_bucket", le=repr(float(bound))) == below, (name, bound)
        assert metrics.value(f"{name}_bucket", le="+Inf") == len(which)
    on_chat = {**CHAT, "endpoint": "chat/completions"}
    assert metrics.value("switchboard_request_duration_seconds_count", **on_chat) == 3


def test_cost_is_the_records_sum(workload: tuple[Scrape, list[RequestRecord]]) -> None:
    metrics, records = workload
    priced = [r.estimated_cost for r in records if r.estimated_cost is not None]
    cost = "switchboard_estimated_cost_usd_total"
    # Requests without a price add nothing, not even an empty series.
    assert bool(metrics.series(cost)) == bool(priced)
    assert math.isclose(metrics.value(cost), sum(priced), abs_tol=1e-12)


def test_a_queued_request_is_timed(world: World, kept: KeptRecords) -> None:
    world.resource(
        "patient",
        model=MAIN,
        capacity=[{"period": "minute", "requests": 1}],
        enforceCapacity=True,
        maxQueueWaitMs=300,
    )
    world.assign("backend", "chat", "patient")
    assert [world.chat("patient").status_code for _ in range(2)] == [200, 429]
    records = kept.wait_for(2)
    waited = [r for r in records if r.queue_wait_ms > 0]
    assert len(waited) == 1
    metrics = scrape(world.gateway.url)
    queue = "switchboard_queue_wait_seconds"
    assert metrics.value(f"{queue}_count", resource="patient") == 1
    assert math.isclose(metrics.value(f"{queue}_sum"), waited[0].queue_wait_ms / 1000, abs_tol=1e-9)
    refused = sum(1 for r in records for a in r.attempts if a.outcome == "capacity_exhausted")
    rejections = "switchboard_capacity_rejections_total"
    assert metrics.value(rejections, resource="patient", stage="attempt") == refused
    assert metrics.value(rejections, resource="patient", stage="request") == 1


def test_metrics_need_no_login_and_start_empty(world: World) -> None:
    response = httpx.get(f"{world.gateway.url}/metrics")
    assert response.status_code == 200
    metrics = Scrape.parse(response.text)
    assert metrics.value("switchboard_requests_total") == 0
    assert "# TYPE switchboard_request_duration_seconds histogram" in response.text


def test_an_environment_can_keep_its_requests_out(world: World, kept: KeptRecords) -> None:
    expect(world.admin.patch(ENV, {"plugins": {"prometheus": {"enabled": False}}}), 200)
    assert world.chat("chat").status_code == 200
    kept.wait_for(1)
    assert scrape(world.gateway.url).value("switchboard_requests_total") == 0


def test_a_request_without_an_environment_counts_with_empty_names(world: World) -> None:
    """An invalid key has no environment: the core hands such records to the plugins that
    are on by default, and every name label is ''."""
    assert world.chat("chat", key="sk-not-a-key").status_code == 401
    metrics = scrape(world.gateway.url)
    nobody = dict.fromkeys(("workspace", "environment", "resource", "provider"), "")
    assert metrics.value("switchboard_requests_total", **nobody, status="401") == 1
    assert metrics.value("switchboard_errors_total", **nobody) == 1
