"""The fallback chain end to end: every trigger moves on to the next model (a 5xx, a 429, a
timeout, a refused connection, a stream failing before its first chunk); a provider's other
4xx goes back to the caller; when every model fails the status and message say what each
attempt got; a stream that already sent a chunk ends with an error event instead."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest

from switchboard.testing.fakes.base import Reply
from switchboard.testing.fakes.openai import OpenAIFake, sse
from switchboard.testing.openai_schema import validate
from tests.core.dataplane.conftest import World, closed_port

# Connect in 1 s, first byte in 0.3 s, all in 2 s: a reply delayed by 1 s times out.
SHORT_TIMEOUTS = {"connect": 1, "firstByte": 0.3, "total": 2}
SLOW = 1.0
BACKUP = {"provider": "openai", "model": "gpt-4o-mini", "connection": "openai-backup"}


def sturdy(world: World, connection: str = "openai-main", *fallbacks: dict[str, Any]) -> None:
    """The resource ``sturdy``: gpt-4o through ``connection``, then ``fallbacks``."""
    world.resource(
        "sturdy",
        model={"provider": "openai", "model": "gpt-4o", "connection": connection},
        useFallback=True,
        fallbackModels=list(fallbacks) or [BACKUP],
    )
    world.assign("backend", "chat", "sturdy")


def slow_connection(world: World, name: str, fake: OpenAIFake) -> None:
    world.connection(name, "openai", fake.url + "/v1", timeouts=SHORT_TIMEOUTS)


def refused_connection(world: World, name: str) -> None:
    world.connection(name, "openai", f"http://127.0.0.1:{closed_port()}/v1")


def stream_body(response: httpx.Response) -> list[dict[str, Any]]:
    """The data of each SSE event of a streamed answer, ``[DONE]`` as ``{"done": True}``."""
    events = []
    for frame in response.text.split("\n\n"):
        if not frame:
            continue
        assert frame.startswith("data: "), frame
        data = frame.removeprefix("data: ")
        events.append({"done": True} if data == "[DONE]" else json.loads(data))
    return events


def chunks(fake: OpenAIFake, *texts: str) -> list[dict[str, Any]]:
    return [
        fake.chunk({"role": "assistant", "content": ""}),
        *(fake.chunk({"content": t}) for t in texts),
        fake.chunk({}, finish_reason="stop"),
        fake.usage_chunk(3, len(texts)),
    ]


# Each trigger: how the primary connection is made ("main", "slow" or "refused") and what
# the primary fake answers (nothing, for a refused connection).
Trigger = tuple[str, Callable[[OpenAIFake], Reply | None]]
TRIGGERS: dict[str, Trigger] = {
    "500": ("main", lambda f: f.error(500, "internal trouble", "server_error")),
    "503": ("main", lambda f: f.error(503, "overloaded", "server_error")),
    "429 with retry-after": (
        "main",
        lambda f: f.error(
            429, "slow down", "requests", "rate_limit_exceeded", headers={"retry-after": "20"}
        ),
    ),
    "timeout": ("slow", lambda f: Reply(delay=SLOW, json={"too": "late"})),
    "refused connection": ("refused", lambda f: None),
    "a malformed answer": (
        "main",
        lambda f: Reply(body=b"<html>502 Bad Gateway</html>", content_type="text/html"),
    ),
}


def primary_connection(world: World, how: str) -> str:
    if how == "slow":
        slow_connection(world, "slow", world.openai_fake)
        return "slow"
    if how == "refused":
        refused_connection(world, "nowhere")
        return "nowhere"
    return "openai-main"


@pytest.mark.parametrize("trigger", list(TRIGGERS))
def test_a_plain_request_falls_back_on(world: World, trigger: str) -> None:
    how, failure = TRIGGERS[trigger]
    sturdy(world, primary_connection(world, how))
    reply = failure(world.openai_fake)
    if reply is not None:
        world.openai_fake.script(reply)
    world.backup_fake.script(world.backup_fake.completion("from the backup"))
    started = time.monotonic()
    raw = world.client().chat.completions.with_raw_response.create(
        model="sturdy", messages=[{"role": "user", "content": "Hi"}]
    )
    took = time.monotonic() - started
    assert raw.parse().choices[0].message.content == "from the backup"
    validate("CreateChatCompletionResponse", json.loads(raw.http_response.text))
    headers = raw.headers
    assert headers["x-switchboard-attempts"] == "2"
    assert headers["x-switchboard-connection"] == "openai-backup"
    assert headers["x-switchboard-model"] == "gpt-4o-mini"
    assert headers["x-switchboard-route"] == "primary"
    assert "retry-after" not in headers
    assert len(world.openai_fake.requests) == (0 if how == "refused" else 1)
    assert len(world.backup_fake.requests) == 1
    assert world.openai_fake.requests == [] or world.openai_fake.last.json["model"] == "gpt-4o"
    assert world.backup_fake.last.json["model"] == "gpt-4o-mini"
    if how == "slow":
        assert took < SLOW, f"the first-byte limit did not cut the slow attempt ({took:.2f} s)"


STREAM_TRIGGERS: dict[str, Trigger] = {
    "a 500 status": ("main", lambda f: f.error(500, "internal trouble", "server_error")),
    "a 429 status": ("main", lambda f: f.error(429, "slow down", "requests")),
    "a connection cut before the first chunk": (
        "main",
        lambda f: f.stream(chunks(f, "never"), cut_after=0),
    ),
    "an error event first": (
        "main",
        lambda f: Reply(
            events=sse({"error": {"message": "overloaded", "type": "server_error"}}),
            content_type="text/event-stream",
        ),
    ),
    "an empty stream": (
        "main",
        lambda f: Reply(events=[b"data: [DONE]\n\n"], content_type="text/event-stream"),
    ),
    "no first byte in time": (
        "slow",
        lambda f: Reply(
            delay=SLOW, events=sse(*chunks(f, "late")), content_type="text/event-stream"
        ),
    ),
    "a refused connection": ("refused", lambda f: None),
}


@pytest.mark.parametrize("trigger", list(STREAM_TRIGGERS))
def test_a_stream_falls_back_when_the_first_chunk_fails_with(world: World, trigger: str) -> None:
    how, failure = STREAM_TRIGGERS[trigger]
    sturdy(world, primary_connection(world, how))
    reply = failure(world.openai_fake)
    if reply is not None:
        world.openai_fake.script(reply)
    backup = world.backup_fake
    backup.script(backup.stream(chunks(backup, "Hel", "lo")))
    with world.client().chat.completions.with_streaming_response.create(
        model="sturdy",
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
        stream_options={"include_usage": True},
    ) as streamed:
        assert streamed.headers["x-switchboard-attempts"] == "2"
        assert streamed.headers["x-switchboard-connection"] == "openai-backup"
        received = list(streamed.parse())
    assert "".join(c.choices[0].delta.content or "" for c in received if c.choices) == "Hello"
    assert received[-1].usage is not None and received[-1].usage.completion_tokens == 2
    for chunk in received:
        validate(
            "CreateChatCompletionStreamResponse",
            json.loads(chunk.model_dump_json(exclude_unset=True)),
        )
    assert len(world.openai_fake.requests) == (0 if how == "refused" else 1)
    assert len(backup.requests) == 1 and backup.last.json["stream"] is True


@pytest.mark.parametrize(
    ("status", "error_type", "code"),
    [
        (400, "invalid_request_error", "context_length_exceeded"),
        (401, "invalid_request_error", "invalid_api_key"),
        (404, "invalid_request_error", "model_not_found"),
    ],
)
def test_no_fallback_on_a_provider_client_error(
    world: World, status: int, error_type: str, code: str | None
) -> None:
    sturdy(world)
    message = f"the provider's own words for a {status}"
    primary = world.openai_fake
    primary.script(
        primary.error(status, message, error_type, code),
        primary.error(status, message, error_type, code),
    )
    response = world.chat("sturdy")
    assert response.status_code == status, response.text
    body = response.json()
    validate("ErrorResponse", body)
    assert message in body["error"]["message"]
    assert (body["error"]["type"], body["error"]["code"]) == (error_type, code)
    assert response.headers["x-switchboard-attempts"] == "1"
    assert response.headers["x-switchboard-connection"] == "openai-main"

    # A stream is refused the same way, before it starts.
    streamed = world.chat("sturdy", stream=True)
    assert streamed.status_code == status, streamed.text
    assert streamed.headers["content-type"].startswith("application/json")
    validate("ErrorResponse", streamed.json())
    assert message in streamed.json()["error"]["message"]

    assert len(primary.requests) == 2
    assert world.backup_fake.requests == []


def test_a_wrong_upstream_key_is_not_retried_elsewhere(world: World) -> None:
    world.connection("misconfigured", "openai", world.openai_fake.url + "/v1", api_key="sk-wrong")
    sturdy(world, "misconfigured")
    with pytest.raises(openai.AuthenticationError) as refused:
        world.client().chat.completions.create(
            model="sturdy", messages=[{"role": "user", "content": "Hi"}]
        )
    assert "Incorrect API key provided" in refused.value.message
    validate("ErrorResponse", refused.value.response.json())
    assert refused.value.code == "invalid_api_key"
    assert world.openai_fake.last.header("authorization") == "Bearer sk-wrong"
    assert world.backup_fake.requests == []


def failing_everywhere(
    world: World, primary: Reply | None, backup: Reply | None, *, slow: bool = False
) -> httpx.Response:
    """A request to ``sturdy`` whose two models fail as scripted (``None``: refused)."""
    names = []
    for name, fake, reply in (
        ("first", world.openai_fake, primary),
        ("second", world.backup_fake, backup),
    ):
        if reply is None:
            refused_connection(world, name)
        elif slow:
            slow_connection(world, name, fake)
        else:
            world.connection(name, "openai", fake.url + "/v1")
        if reply is not None:
            fake.script(reply)
        names.append(name)
    sturdy(
        world,
        names[0],
        {"provider": "openai", "model": "gpt-4o-mini", "connection": names[1]},
    )
    response = world.chat("sturdy")
    validate("ErrorResponse", response.json())
    assert response.headers["x-switchboard-attempts"] == "2"
    return response


def test_every_model_timing_out_is_a_504(world: World) -> None:
    late = Reply(delay=SLOW, json={})
    response = failing_everywhere(world, late, late, slow=True)
    assert response.status_code == 504, response.text
    error = response.json()["error"]
    assert error["code"] == "all_attempts_failed"
    assert error["message"].count("did not answer in time") == 2
    assert "attempt 1:" in error["message"] and "attempt 2:" in error["message"]
    assert "retry-after" not in response.headers


def test_every_model_rate_limited_is_a_429_with_the_soonest_retry_after(world: World) -> None:
    response = failing_everywhere(
        world,
        OpenAIFake.error(429, "first quota gone", "requests", headers={"retry-after": "30"}),
        OpenAIFake.error(429, "second quota gone", "tokens", headers={"retry-after-ms": "4000"}),
    )
    assert response.status_code == 429, response.text
    error = response.json()["error"]
    assert error["type"] == "rate_limit_error"
    assert "attempt 1: openai answered 429: first quota gone" in error["message"]
    assert "attempt 2: openai answered 429: second quota gone" in error["message"]
    assert response.headers["retry-after"] == "4"  # the soonest of 30 s and 4000 ms


def test_a_fractional_retry_after_is_rounded_up(world: World) -> None:
    quota = OpenAIFake.error(429, "quota gone", "tokens", headers={"retry-after-ms": "4400"})
    response = failing_everywhere(world, quota, quota)
    assert response.status_code == 429, response.text
    assert response.headers["retry-after"] == "5"


@pytest.mark.parametrize(
    ("primary", "backup", "status", "said"),
    [
        (
            None,
            OpenAIFake.error(500, "second broke", "server_error"),
            502,
            ["attempt 1: cannot connect to openai", "attempt 2: openai answered 500: second broke"],
        ),
        (
            OpenAIFake.error(429, "quota gone", "requests"),
            OpenAIFake.error(503, "overloaded", "server_error"),
            503,
            ["attempt 1: openai answered 429: quota gone", "attempt 2: openai answered 503"],
        ),
    ],
    ids=["refused-then-500", "429-then-503"],
)
def test_every_model_failing_names_each_attempt(
    world: World, primary: Reply | None, backup: Reply, status: int, said: list[str]
) -> None:
    response = failing_everywhere(world, primary, backup)
    assert response.status_code == status, response.text
    message = response.json()["error"]["message"]
    for part in said:
        assert part in message, message


def test_a_stream_cut_after_its_first_chunk_ends_with_an_error_event(world: World) -> None:
    sturdy(world)
    primary = world.openai_fake
    primary.script(
        primary.stream(chunks(primary, "Hel", "lo"), cut_after=2),
        primary.stream(chunks(primary, "Hel", "lo"), cut_after=2),
    )
    with world.http.stream(
        "POST",
        world.gateway.url + "/v1/chat/completions",
        headers={"authorization": f"Bearer {world.key}"},
        json={"model": "sturdy", "messages": [{"role": "user", "content": "Hi"}], "stream": True},
    ) as response:
        response.read()
    assert response.status_code == 200
    assert response.headers["x-switchboard-connection"] == "openai-main"
    events = stream_body(response)
    *sent, last = events
    assert [e["choices"][0]["delta"].get("content") for e in sent] == ["", "Hel"]
    for event in sent:
        validate("CreateChatCompletionStreamResponse", event)
    validate("ErrorResponse", last)
    assert "closed the connection" in last["error"]["message"]
    assert {"done": True} not in events

    # The SDK raises it as an error after the chunks it got.
    got: list[str] = []

    def read_all() -> None:
        for chunk in world.client().chat.completions.create(
            model="sturdy", messages=[{"role": "user", "content": "Hi"}], stream=True
        ):
            got.append(chunk.choices[0].delta.content or "")

    with pytest.raises(openai.APIError, match="closed the connection"):
        read_all()
    assert got == ["", "Hel"]
    assert world.backup_fake.requests == []  # no fallback once bytes were sent


def test_a_routed_model_falls_back_to_the_resource_fallbacks(world: World) -> None:
    world.resource(
        "routed",
        model={"provider": "openai", "model": "gpt-4o-mini", "connection": "openai-main"},
        routing={
            "conditions": [
                {
                    "if": [{"field": "messagesCount", "operator": "greaterThan", "value": 0}],
                    "then": {"provider": "openai", "model": "gpt-4o", "connection": "openai-main"},
                }
            ]
        },
        useFallback=True,
        fallbackModels=[{"provider": "anthropic", "model": "claude-sonnet-4-5"}],
    )
    world.assign("backend", "routed")
    world.openai_fake.script(world.openai_fake.error(500, "routed model down", "server_error"))
    world.anthropic_fake.script(world.anthropic_fake.text("Claude stepped in"))
    response = world.chat("routed")
    assert response.status_code == 200, response.text
    validate("CreateChatCompletionResponse", response.json())
    assert response.json()["choices"][0]["message"]["content"] == "Claude stepped in"
    assert response.headers["x-switchboard-route"] == "conditions[0]"
    assert response.headers["x-switchboard-provider"] == "anthropic"
    assert response.headers["x-switchboard-attempts"] == "2"
    assert world.openai_fake.last.json["model"] == "gpt-4o"
    assert world.anthropic_fake.last.json["model"] == "claude-sonnet-4-5"


def test_embeddings_fall_back_too(world: World) -> None:
    sturdy(world)
    world.openai_fake.script(world.openai_fake.error(503, "embedding service down"))
    vectors = world.client().embeddings.with_raw_response.create(
        model="sturdy", input="hello", encoding_format="float"
    )
    assert vectors.headers["x-switchboard-connection"] == "openai-backup"
    assert vectors.headers["x-switchboard-attempts"] == "2"
    validate("CreateEmbeddingResponse", json.loads(vectors.http_response.text))
    assert world.backup_fake.last.path == "/v1/embeddings"
