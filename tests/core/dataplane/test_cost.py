"""Estimated cost in request records, end to end: a real gateway, fake providers, and a
recorder that keeps what it is given. Prices come from the OpenAI plugin's table unless the
answering connection overrides them."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.testing.fakes.base import Reply
from switchboard.testing.pytest_plugin import RegisterPlugin
from switchboard.testing.records import KeptRecords
from tests.core.api.client import expect
from tests.core.dataplane.conftest import ENV, World

# gpt-4o-mini in the OpenAI plugin's table: USD per million tokens.
MINI_INPUT, MINI_CACHED, MINI_OUTPUT = 0.15, 0.075, 0.6


@pytest.fixture(autouse=True)
def recorder(register_plugin: RegisterPlugin) -> KeptRecords:
    # Autouse, so the recorder is registered before the world's gateway starts.
    kept = KeptRecords()
    register_plugin(kept, "kept-records")
    return kept


def with_cached(reply: Reply, cached: int) -> Reply:
    """``reply`` (a completion) reporting ``cached`` of its prompt tokens as cached."""
    reply.json["usage"]["prompt_tokens_details"] = {"cached_tokens": cached}
    return reply


def usage_chunk(world: World, prompt: int, completion: int, cached: int) -> dict[str, Any]:
    chunk = world.openai_fake.usage_chunk(prompt, completion)
    chunk["usage"]["prompt_tokens_details"] = {"cached_tokens": cached}
    return chunk


def mini_cost(prompt: int, completion: int, cached: int) -> float:
    return ((prompt - cached) * MINI_INPUT + cached * MINI_CACHED + completion * MINI_OUTPUT) / 1e6


def test_a_plain_answer_is_priced_from_the_plugins_table(
    world: World, recorder: KeptRecords
) -> None:
    fake = world.openai_fake
    fake.script(with_cached(fake.completion("Hi", prompt_tokens=1000, completion_tokens=200), 400))
    answer = world.chat("chat")
    assert answer.status_code == 200, answer.text
    record = recorder.of(answer.headers["x-request-id"])
    assert (record.prompt_tokens, record.cached_tokens, record.completion_tokens) == (
        1000,
        400,
        200,
    )
    assert record.estimated_cost == pytest.approx(mini_cost(1000, 200, 400))


def test_a_streamed_answer_is_priced_from_its_final_usage(
    world: World, recorder: KeptRecords
) -> None:
    fake = world.openai_fake
    fake.script(
        fake.stream(
            [
                fake.chunk({"role": "assistant", "content": "Hel"}),
                fake.chunk({"content": "lo"}, finish_reason="stop"),
                usage_chunk(world, 3000, 120, 2048),
            ]
        )
    )
    with world.http.stream(
        "POST",
        world.gateway.url + "/v1/chat/completions",
        headers={"authorization": f"Bearer {world.key}"},
        json={"model": "chat", "messages": [{"role": "user", "content": "Hi"}], "stream": True},
    ) as answer:
        assert answer.status_code == 200
        body = "".join(answer.iter_text())
        request_id = answer.headers["x-request-id"]
    assert "[DONE]" in body
    record = recorder.of(request_id)
    assert record.stream
    assert record.estimated_cost == pytest.approx(mini_cost(3000, 120, 2048))


def test_the_connections_own_price_wins_over_the_plugins(
    world: World, recorder: KeptRecords
) -> None:
    mine = {"gpt-4o-mini": {"input": 1.0, "output": 2.0}}
    expect(world.admin.patch(f"{ENV}/connections/openai-main", {"pricing": mine}), 200)
    fake = world.openai_fake
    fake.script(with_cached(fake.completion("Hi", prompt_tokens=1000, completion_tokens=200), 400))
    answer = world.chat("chat")
    assert answer.status_code == 200, answer.text
    record = recorder.of(answer.headers["x-request-id"])
    # No cachedInput in the override: cached tokens cost as input.
    assert record.estimated_cost == pytest.approx((1000 * 1.0 + 200 * 2.0) / 1e6)

    # Dropping the override brings back the plugin's price.
    expect(world.admin.patch(f"{ENV}/connections/openai-main", {"pricing": None}), 200)
    fake.script(fake.completion("Hi", prompt_tokens=1000, completion_tokens=200))
    answer = world.chat("chat")
    record = recorder.of(answer.headers["x-request-id"])
    assert record.estimated_cost == pytest.approx(mini_cost(1000, 200, 0))


def test_prompt_cache_writes_are_priced_at_their_own_rate(
    world: World, recorder: KeptRecords
) -> None:
    # claude-sonnet-4-6 in the Anthropic plugin's table: input 3.0, cache hits 0.3, cache
    # writes 3.75 (1.25x), output 15.0. Anthropic reports the three kinds of input apart.
    world.resource(
        "sonnet",
        model={"provider": "anthropic", "model": "claude-sonnet-4-6", "connection": "claude"},
    )
    world.assign("backend", "chat", "sonnet")
    fake = world.anthropic_fake
    usage = fake.usage(100, 50, cache_creation=2_000, cache_read=1_000)
    fake.script(fake.message([{"type": "text", "text": "Hi"}], usage=usage))
    answer = world.chat("sonnet")
    assert answer.status_code == 200, answer.text
    record = recorder.of(answer.headers["x-request-id"])
    assert (record.prompt_tokens, record.cached_tokens) == (3_100, 1_000)
    assert record.estimated_cost == pytest.approx(
        (100 * 3.0 + 1_000 * 0.3 + 2_000 * 3.75 + 50 * 15.0) / 1e6
    )


def test_the_answering_attempt_sets_the_price(world: World, recorder: KeptRecords) -> None:
    world.resource(
        "chat-fallback",
        model={"provider": "openai", "model": "gpt-4o-mini", "connection": "openai-main"},
        useFallback=True,
        fallbackModels=[{"provider": "openai", "model": "gpt-4o", "connection": "openai-backup"}],
    )
    world.assign("backend", "chat", "chat-fallback")
    world.openai_fake.script(world.openai_fake.error(500, "primary down", "server_error"))
    backup = world.backup_fake
    backup.script(backup.completion("Hi", prompt_tokens=100, completion_tokens=10))
    answer = world.chat("chat-fallback")
    assert answer.status_code == 200, answer.text
    record = recorder.of(answer.headers["x-request-id"])
    assert record.connection_name == "openai-backup"
    assert record.estimated_cost == pytest.approx((100 * 2.5 + 10 * 10.0) / 1e6)  # gpt-4o


def test_a_model_without_a_price_has_no_cost(world: World, recorder: KeptRecords) -> None:
    world.resource(
        "tuned",
        model={
            "provider": "openai",
            "model": "ft:gpt-4o-mini:acme::x1",
            "connection": "openai-main",
        },
    )
    world.assign("backend", "chat", "tuned")
    answer = world.chat("tuned")
    assert answer.status_code == 200, answer.text
    record = recorder.of(answer.headers["x-request-id"])
    assert record.prompt_tokens > 0
    assert record.estimated_cost is None


def test_embeddings_cost_their_input(world: World, recorder: KeptRecords) -> None:
    world.resource(
        "embed",
        model={
            "provider": "openai",
            "model": "text-embedding-3-small",
            "connection": "openai-main",
        },
    )
    world.assign("backend", "chat", "embed")
    fake = world.openai_fake
    fake.script(fake.embeddings([[0.1, 0.2]], prompt_tokens=5000))
    answer = world.http.post(
        world.gateway.url + "/v1/embeddings",
        headers={"authorization": f"Bearer {world.key}"},
        json={"model": "embed", "input": "some text"},
    )
    assert answer.status_code == 200, answer.text
    record = recorder.of(answer.headers["x-request-id"])
    assert record.estimated_cost == pytest.approx(5000 * 0.02 / 1e6)
