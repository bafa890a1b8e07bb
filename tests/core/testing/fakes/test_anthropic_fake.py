"""The fake Anthropic server is what the official anthropic SDK expects.

Anthropic has no embeddings endpoint, so there is none to check.
"""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import httpx
import pytest
from anthropic.types import MessageParam

from switchboard.testing.fakes.anthropic import AnthropicFake

KEY = "sk-ant-sdk-check"
MODEL = "claude-haiku-4-5"
HELLO: list[MessageParam] = [{"role": "user", "content": "Hello"}]


@pytest.fixture
def fake() -> Iterator[AnthropicFake]:
    with AnthropicFake(api_key=KEY, model=MODEL) as server:
        yield server


@pytest.fixture
def client(fake: AnthropicFake) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=KEY, base_url=fake.url, max_retries=0)


def test_message(fake: AnthropicFake, client: anthropic.Anthropic) -> None:
    fake.script(fake.text("Hi!", input_tokens=7, output_tokens=2))
    message = client.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    assert message.content[0].type == "text" and message.content[0].text == "Hi!"
    assert (message.stop_reason, message.usage.input_tokens, message.usage.output_tokens) == (
        "end_turn",
        7,
        2,
    )
    assert message.usage.cache_read_input_tokens == 0
    sent = fake.last
    assert (sent.method, sent.path) == ("POST", "/v1/messages")
    assert sent.json["messages"] == HELLO and sent.json["max_tokens"] == 64
    # What SDK 2.x sends: the key as a bearer token, and the current API version.
    assert sent.header("authorization") == f"Bearer {KEY}"
    assert sent.header("anthropic-version") == "2026-10-21"


def test_the_x_api_key_header_is_accepted_too(fake: AnthropicFake) -> None:
    client = anthropic.Anthropic(
        base_url=fake.url, max_retries=0, default_headers={"x-api-key": KEY}
    )
    message = client.messages.create(model=MODEL, max_tokens=8, messages=HELLO)
    assert message.content[0].text == "Hello from the fake."  # type: ignore[union-attr]
    assert fake.last.header("x-api-key") == KEY


def test_tool_use(fake: AnthropicFake, client: anthropic.Anthropic) -> None:
    fake.script(fake.tool_use("toolu_01", "get_weather", {"city": "Paris"}, text="Checking."))
    message = client.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    text, call = message.content
    assert text.type == "text" and text.text == "Checking."
    assert call.type == "tool_use"
    assert (call.id, call.name, call.input) == ("toolu_01", "get_weather", {"city": "Paris"})
    assert message.stop_reason == "tool_use"


def test_stream_through_the_stream_helper(fake: AnthropicFake, client: anthropic.Anthropic) -> None:
    fake.script(fake.stream_text(["Hel", "lo"], input_tokens=5, output_tokens=2))
    with client.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "Hello"
    assert (final.stop_reason, final.usage.input_tokens, final.usage.output_tokens) == (
        "end_turn",
        5,
        2,
    )
    assert fake.last.json["stream"] is True


def test_raw_stream_events(fake: AnthropicFake, client: anthropic.Anthropic) -> None:
    fake.script(fake.stream_text(["a", "b"]))
    events = client.messages.create(model=MODEL, max_tokens=8, messages=HELLO, stream=True)
    assert [event.type for event in events] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]


def test_streamed_tool_use(fake: AnthropicFake, client: anthropic.Anthropic) -> None:
    fake.script(
        fake.stream_tool_use("toolu_02", "get_weather", ['{"ci', 'ty": "Par', 'is"}'], text="Hm.")
    )
    with client.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream:
        final = stream.get_final_message()
    call = final.content[1]
    assert call.type == "tool_use" and call.input == {"city": "Paris"}
    assert final.stop_reason == "tool_use"


def test_an_error_event_mid_stream_is_the_sdks_status_error(
    fake: AnthropicFake, client: anthropic.Anthropic
) -> None:
    fake.script(
        fake.stream([fake.message_start(3), fake.error_event("overloaded_error", "Overloaded")])
    )
    with pytest.raises(anthropic.APIStatusError) as failed:
        list(client.messages.create(model=MODEL, max_tokens=8, messages=HELLO, stream=True))
    assert failed.value.type == "overloaded_error"


@pytest.mark.parametrize(
    ("status", "exception", "error_type"),
    [
        (400, anthropic.BadRequestError, "invalid_request_error"),
        (403, anthropic.PermissionDeniedError, "permission_error"),
        (404, anthropic.NotFoundError, "not_found_error"),
        (429, anthropic.RateLimitError, "rate_limit_error"),
        (500, anthropic.InternalServerError, "api_error"),
        (529, anthropic.OverloadedError, "overloaded_error"),
    ],
)
def test_errors_are_the_sdks_exceptions(
    fake: AnthropicFake,
    client: anthropic.Anthropic,
    status: int,
    exception: type[anthropic.APIStatusError],
    error_type: str,
) -> None:
    fake.script(fake.error(status, "the fake says no", headers={"retry-after": "3"}))
    with pytest.raises(exception) as failed:
        client.messages.create(model=MODEL, max_tokens=8, messages=HELLO)
    error = failed.value
    assert (error.status_code, error.type, error.api_message) == (
        status,
        error_type,
        "the fake says no",
    )
    assert error.request_id == "req_01FakeAnthropicRequest"


def test_a_wrong_key_is_an_authentication_error(fake: AnthropicFake) -> None:
    wrong = anthropic.Anthropic(api_key="sk-ant-wrong", base_url=fake.url, max_retries=0)
    with pytest.raises(anthropic.AuthenticationError) as failed:
        wrong.messages.create(model=MODEL, max_tokens=8, messages=HELLO)
    assert (failed.value.type, failed.value.api_message) == (
        "authentication_error",
        "invalid x-api-key",
    )


def test_requests_without_key_or_version_are_refused_like_the_real_api(fake: AnthropicFake) -> None:
    body = {"model": MODEL, "max_tokens": 8, "messages": HELLO}
    missing_key = httpx.post(
        f"{fake.url}/v1/messages", json=body, headers={"anthropic-version": "2026-10-21"}
    )
    assert missing_key.status_code == 401
    assert missing_key.json()["error"] == {
        "type": "authentication_error",
        "message": "x-api-key header is required",
    }
    missing_version = httpx.post(f"{fake.url}/v1/messages", json=body, headers={"x-api-key": KEY})
    assert missing_version.status_code == 400
    assert missing_version.json()["type"] == "error"
    assert missing_version.json()["error"]["message"] == "anthropic-version: header is required"


def test_count_tokens_and_models(client: anthropic.Anthropic) -> None:
    counted = client.messages.count_tokens(model=MODEL, messages=HELLO)
    assert counted.input_tokens > 0
    assert [model.id for model in client.models.list()] == [MODEL]
