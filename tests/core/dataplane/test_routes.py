"""The data plane end to end: the official openai and anthropic SDKs as clients, a real
gateway, fake providers speaking their real wire formats."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx
import openai
import pytest

from switchboard.testing.openai_schema import validate
from tests.core.api.client import expect
from tests.core.dataplane.conftest import ENV, UPSTREAM_KEY, World


def _encoded(value: Any) -> Any:
    return json.loads(value.model_dump_json(exclude_unset=True))


def test_plain_chat_through_the_openai_sdk(world: World) -> None:
    world.openai_fake.script(
        world.openai_fake.completion("Hi there", prompt_tokens=7, completion_tokens=2)
    )
    raw = world.client().chat.completions.with_raw_response.create(
        model="chat", messages=[{"role": "user", "content": "Hello"}]
    )
    answer = raw.parse()
    assert answer.choices[0].message.content == "Hi there"
    assert answer.usage is not None and answer.usage.total_tokens == 9
    headers = raw.headers
    assert headers["x-switchboard-provider"] == "openai"
    assert headers["x-switchboard-model"] == "gpt-4o-mini"
    assert headers["x-switchboard-connection"] == "openai-main"
    assert headers["x-switchboard-route"] == "primary"
    assert headers["x-switchboard-attempts"] == "1"
    assert len(headers["x-request-id"]) == 32
    validate("CreateChatCompletionResponse", json.loads(raw.http_response.text))
    sent = world.openai_fake.last
    assert sent.header("authorization") == f"Bearer {UPSTREAM_KEY}"  # never the caller's key
    assert sent.json["model"] == "gpt-4o-mini"


def test_streaming_with_and_without_usage(world: World) -> None:
    fake = world.openai_fake
    chunks = [
        fake.chunk({"role": "assistant", "content": ""}),
        fake.chunk({"content": "Hel"}),
        fake.chunk({"content": "lo"}),
        fake.chunk({}, finish_reason="stop"),
        fake.usage_chunk(4, 2),
    ]
    fake.script(fake.stream(chunks), fake.stream(chunks))
    with_usage = list(
        world.client().chat.completions.create(
            model="chat",
            messages=[{"role": "user", "content": "Hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in with_usage if c.choices) == "Hello"
    assert with_usage[-1].usage is not None and with_usage[-1].usage.total_tokens == 6
    for chunk in with_usage:
        validate("CreateChatCompletionStreamResponse", _encoded(chunk))
    plain = list(
        world.client().chat.completions.create(
            model="chat", messages=[{"role": "user", "content": "Hi"}], stream=True
        )
    )
    assert all(c.choices and c.usage is None for c in plain)
    assert fake.last.json["stream_options"] == {"include_usage": True}  # the gateway asks anyway


def test_tool_calls_pass_through(world: World) -> None:
    fake = world.openai_fake
    fake.script(
        fake.completion(
            None,
            finish_reason="tool_calls",
            tool_calls=[
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        )
    )
    answer = world.client().chat.completions.create(
        model="chat",
        messages=[{"role": "user", "content": "Weather?"}],
        tools=[
            {
                "type": "function",
                "function": {"name": "get_weather", "parameters": {"type": "object"}},
            }
        ],
    )
    (call,) = answer.choices[0].message.tool_calls or []
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert fake.last.json["tools"][0]["type"] == "function"


def test_embeddings_and_model_list(world: World) -> None:
    vectors = world.client().embeddings.create(
        model="chat", input=["a", "b"], encoding_format="float"
    )
    assert [d.index for d in vectors.data] == [0, 1]
    validate("CreateEmbeddingResponse", json.loads(vectors.model_dump_json()))
    world.resource("hidden")
    listing = world.client().models.list()
    assert [m.id for m in listing] == ["chat"]  # only what this key may call
    validate("ListModelsResponse", json.loads(listing.model_dump_json()) | {"object": "list"})


def test_fallback_on_a_server_error_but_not_on_a_bad_request(world: World) -> None:
    world.resource(
        "sturdy",
        model={"provider": "openai", "model": "gpt-4o", "connection": "openai-main"},
        useFallback=True,
        fallbackModels=[
            {"provider": "openai", "model": "gpt-4o-mini", "connection": "openai-backup"}
        ],
    )
    world.assign("backend", "chat", "sturdy")
    world.openai_fake.script(world.openai_fake.error(500, "primary down", "server_error"))
    world.backup_fake.script(world.backup_fake.completion("from the backup"))
    raw = world.client().chat.completions.with_raw_response.create(
        model="sturdy", messages=[{"role": "user", "content": "Hi"}]
    )
    assert raw.parse().choices[0].message.content == "from the backup"
    assert raw.headers["x-switchboard-attempts"] == "2"
    assert raw.headers["x-switchboard-connection"] == "openai-backup"

    world.openai_fake.script(world.openai_fake.error(400, "messages[0] is wrong", code="bad_thing"))
    before = len(world.backup_fake.requests)
    with pytest.raises(openai.BadRequestError) as refused:
        world.client().chat.completions.create(
            model="sturdy", messages=[{"role": "user", "content": "Hi"}]
        )
    assert "messages[0] is wrong" in refused.value.message
    assert refused.value.code == "bad_thing"
    assert len(world.backup_fake.requests) == before  # a 400 does not fall back


def test_every_model_failing_is_a_502_naming_each_attempt(world: World) -> None:
    world.resource(
        "doomed",
        model={"provider": "openai", "model": "gpt-4o", "connection": "openai-main"},
        useFallback=True,
        fallbackModels=[
            {"provider": "openai", "model": "gpt-4o-mini", "connection": "openai-backup"}
        ],
    )
    world.assign("backend", "doomed")
    world.openai_fake.script(world.openai_fake.error(500, "first broke", "server_error"))
    world.backup_fake.script(world.backup_fake.error(502, "second broke", "server_error"))
    response = httpx.post(
        world.gateway.url + "/v1/chat/completions",
        headers={"authorization": f"Bearer {world.key}"},
        json={"model": "doomed", "messages": [{"role": "user", "content": "Hi"}]},
    )
    assert response.status_code == 502
    body = response.json()
    validate("ErrorResponse", body)
    assert "first broke" in body["error"]["message"] and "second broke" in body["error"]["message"]
    assert response.headers["x-switchboard-attempts"] == "2"


@pytest.mark.parametrize(
    ("key", "body", "status", "says"),
    [
        (None, {"model": "chat", "messages": []}, 401, "missing API key"),
        ("sk-sb-nope", {"model": "chat", "messages": []}, 401, "invalid API key"),
        (
            "KEY",
            {"model": "nope", "messages": [{"role": "user", "content": "x"}]},
            404,
            "'nope' does not exist",
        ),
        ("KEY", {"model": "chat", "messages": "hello"}, 400, "messages"),
        ("KEY", {"messages": []}, 400, "model"),
    ],
)
def test_errors_are_openai_envelopes(
    world: World, key: str | None, body: dict[str, Any], status: int, says: str
) -> None:
    headers = {"authorization": f"Bearer {world.key if key == 'KEY' else key}"} if key else {}
    response = httpx.post(world.gateway.url + "/v1/chat/completions", headers=headers, json=body)
    assert response.status_code == status, response.text
    validate("ErrorResponse", response.json())
    assert says in response.json()["error"]["message"]


def test_a_key_may_call_only_its_resources(world: World) -> None:
    world.resource("private")
    with pytest.raises(openai.PermissionDeniedError) as refused:
        world.client().chat.completions.create(
            model="private", messages=[{"role": "user", "content": "x"}]
        )
    assert "not assigned" in refused.value.message


def test_disabled_and_revoked_keys_are_refused_at_once(world: World) -> None:
    world.openai_fake.script(world.openai_fake.completion("ok"))
    world.client().chat.completions.create(
        model="chat", messages=[{"role": "user", "content": "x"}]
    )
    expect(world.admin.patch(f"{ENV}/api-keys/backend", {"enabled": False}), 200)
    with pytest.raises(openai.AuthenticationError):
        world.client().models.list()
    expect(world.admin.delete(f"{ENV}/api-keys/backend"), 204)
    with pytest.raises(openai.AuthenticationError):
        world.client().models.list()


def test_the_scoped_path_serves_the_same_api(world: World) -> None:
    world.openai_fake.script(world.openai_fake.completion("scoped"))
    client = world.client(base="/v1/completion/acme/prod")
    answer = client.chat.completions.create(
        model="chat", messages=[{"role": "user", "content": "x"}]
    )
    assert answer.choices[0].message.content == "scoped"
    with pytest.raises(openai.AuthenticationError):
        world.client(base="/v1/completion/acme/staging").models.list()


def test_anthropic_sdk_through_messages_to_an_openai_provider(world: World) -> None:
    fake = world.openai_fake
    fake.script(fake.completion("Bonjour", prompt_tokens=5, completion_tokens=1))
    client = anthropic.Anthropic(api_key=world.key, base_url=world.gateway.url, max_retries=0)
    message = client.messages.create(
        model="chat",
        max_tokens=100,
        system="Answer in French.",
        messages=[{"role": "user", "content": "Hello"}],
    )
    assert message.content[0].type == "text" and message.content[0].text == "Bonjour"
    assert message.stop_reason == "end_turn"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (5, 1)
    sent = fake.last.json
    assert sent["messages"][0] == {"role": "system", "content": "Answer in French."}
    assert sent["max_tokens"] == 100

    fake.script(
        fake.stream(
            [
                fake.chunk({"role": "assistant", "content": ""}),
                fake.chunk({"content": "Bon"}),
                fake.chunk({"content": "soir"}),
                fake.chunk({}, finish_reason="stop"),
                fake.usage_chunk(5, 2),
            ]
        )
    )
    with client.messages.stream(
        model="chat", max_tokens=50, messages=[{"role": "user", "content": "Evening"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "Bonsoir"
    assert final.usage.output_tokens == 2

    with pytest.raises(anthropic.NotFoundError):
        client.messages.create(
            model="nope", max_tokens=10, messages=[{"role": "user", "content": "x"}]
        )


def test_openai_sdk_through_an_anthropic_provider(world: World) -> None:
    world.resource("claude", model={"provider": "anthropic", "model": "claude-sonnet-4-5"})
    world.assign("backend", "chat", "claude")
    fake = world.anthropic_fake
    fake.script(fake.text("Hello from Claude", input_tokens=9, output_tokens=4))
    answer = world.client().chat.completions.create(
        model="claude", messages=[{"role": "user", "content": "Hi"}], max_tokens=64
    )
    assert answer.choices[0].message.content == "Hello from Claude"
    assert answer.usage is not None and answer.usage.completion_tokens == 4
    assert fake.last.json["max_tokens"] == 64


def test_fields_the_gateway_does_not_know_are_reported_as_dropped(world: World) -> None:
    world.openai_fake.script(world.openai_fake.completion("ok"))
    response = httpx.post(
        world.gateway.url + "/v1/chat/completions",
        headers={"authorization": f"Bearer {world.key}"},
        json={
            "model": "chat",
            "messages": [{"role": "user", "content": "x"}],
            "verbosity": "low",
            "prompt_cache_key": "k1",
        },
    )
    assert response.status_code == 200
    assert response.headers["x-switchboard-dropped-params"] == "prompt_cache_key,verbosity"
    assert "verbosity" not in world.openai_fake.last.json
