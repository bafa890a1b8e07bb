"""The official ``anthropic`` SDK reads what the translation writes, and what it sends translates.

A scripted fake server stands in for the gateway's ``/v1/messages`` route: it answers with
bodies made by :func:`from_openai`, :class:`AnthropicStreamWriter` and the error writers,
and records the SDK's requests, which are then fed to :func:`decode_request` /
:func:`to_openai`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import msgspec
import pytest
from anthropic.types import MessageParam, ToolParam

from switchboard.dataplane.anthropic_format import (
    AnthropicStreamWriter,
    anthropic_error,
    anthropic_stream_error,
    decode_request,
    from_openai,
    to_openai,
)
from switchboard.dataplane.openai_types import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    Choice,
    ChunkChoice,
    ChunkDelta,
    FunctionCall,
    ResponseMessage,
    ToolCall,
    Usage,
)
from switchboard.testing.fakes.base import FakeServer, Reply
from switchboard.testing.openai_schema import validate

MODEL = "my-ai"
HELLO: list[MessageParam] = [{"role": "user", "content": "Hello"}]
WEATHER: ToolParam = {
    "name": "get_weather",
    "description": "The weather in a city.",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}
USAGE = Usage(
    prompt_tokens=1300,
    completion_tokens=40,
    total_tokens=1340,
    prompt_tokens_details={"cached_tokens": 1200, "cache_write_tokens": 50},
)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


@pytest.fixture
def client(server: FakeServer) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key="sk-gateway-key", base_url=server.url, max_retries=0)


def answer(message: ResponseMessage, finish_reason: Any) -> Reply:
    """A reply holding the Anthropic body :func:`from_openai` makes of an OpenAI answer."""
    completion = ChatCompletion(
        id="chatcmpl-sdk1",
        created=1,
        model="gpt-upstream",
        choices=[Choice(index=0, message=message, finish_reason=finish_reason)],
        usage=USAGE,
    )
    return Reply(body=msgspec.json.encode(from_openai(completion, model=MODEL)))


def streamed(*deltas: tuple[ChunkDelta, Any]) -> Reply:
    """A reply streaming the events the writer makes of OpenAI chunks, then the usage chunk."""
    writer = AnthropicStreamWriter(model=MODEL)
    events: list[bytes] = []
    for delta, finish in deltas:
        choice = ChunkChoice(index=0, delta=delta, finish_reason=finish)
        events += writer.feed(
            ChatCompletionChunk(id="chatcmpl-sdk2", created=1, model="gpt", choices=[choice])
        )
    events += writer.feed(
        ChatCompletionChunk(id="chatcmpl-sdk2", created=1, model="gpt", choices=[], usage=USAGE)
    )
    events += writer.finish()
    return Reply(events=events, content_type="text/event-stream")


def fragment(index: int, arguments: str, call_id: str = "", name: str = "") -> ChunkDelta:
    """A delta with one tool-call fragment."""
    call = ToolCall(index=index, function=FunctionCall(arguments=arguments))
    if call_id:
        call.id, call.type = call_id, "function"
    if name:
        assert isinstance(call.function, FunctionCall)
        call.function.name = name
    return ChunkDelta(tool_calls=[call])


TOOL_STREAM = (
    (ChunkDelta(role="assistant", content=""), None),
    (ChunkDelta(content="Let me "), None),
    (ChunkDelta(content="check."), None),
    (fragment(0, "", "call_a", "get_weather"), None),
    (fragment(0, '{"city": '), None),
    (fragment(0, '"Paris"}'), None),
    (fragment(1, '{"city": "Rome"}', "call_b", "get_weather"), None),
    (ChunkDelta(), "tool_calls"),
)


# -- answers the SDK reads --------------------------------------------------------------------


def test_a_text_answer(server: FakeServer, client: anthropic.Anthropic) -> None:
    server.script(answer(ResponseMessage(content="Hi there!"), "stop"))
    message = client.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    assert message.id == "msg_sdk1" and message.model == MODEL and message.role == "assistant"
    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].type == "text" and message.content[0].text == "Hi there!"
    assert (message.stop_reason, message.stop_sequence) == ("end_turn", None)
    usage = message.usage
    assert (usage.input_tokens, usage.output_tokens) == (50, 40)
    assert (usage.cache_read_input_tokens, usage.cache_creation_input_tokens) == (1200, 50)


def test_a_tool_use_answer(server: FakeServer, client: anthropic.Anthropic) -> None:
    calls = [
        ToolCall(
            id="call_a",
            type="function",
            function=FunctionCall(name="get_weather", arguments='{"city": "Paris"}'),
        )
    ]
    server.script(answer(ResponseMessage(content=None, tool_calls=calls), "tool_calls"))
    message = client.messages.create(model=MODEL, max_tokens=64, messages=HELLO, tools=[WEATHER])
    assert message.stop_reason == "tool_use"
    (call,) = message.content
    assert call.type == "tool_use"
    assert (call.id, call.name, call.input) == ("call_a", "get_weather", {"city": "Paris"})


def test_a_stream_through_the_stream_helper(
    server: FakeServer, client: anthropic.Anthropic
) -> None:
    server.script(streamed(*TOOL_STREAM))
    seen: list[str] = []
    with client.messages.stream(
        model=MODEL, max_tokens=64, messages=HELLO, tools=[WEATHER]
    ) as stream:
        for event in stream:
            seen.append(event.type)
        final = stream.get_final_message()
    assert "text" in seen and "input_json" in seen
    text, paris, rome = final.content
    assert text.type == "text" and text.text == "Let me check."
    assert paris.type == "tool_use" and rome.type == "tool_use"
    assert (paris.id, paris.name, paris.input) == ("call_a", "get_weather", {"city": "Paris"})
    assert (rome.id, rome.input) == ("call_b", {"city": "Rome"})
    assert final.id == "msg_sdk2" and final.model == MODEL
    assert final.stop_reason == "tool_use"
    # message_start carries zeros; message_delta's cumulative counts replace them.
    usage = final.usage
    assert (usage.input_tokens, usage.output_tokens) == (50, 40)
    assert (usage.cache_read_input_tokens, usage.cache_creation_input_tokens) == (1200, 50)


def test_a_text_stream_with_text_stream(server: FakeServer, client: anthropic.Anthropic) -> None:
    server.script(
        streamed(
            (ChunkDelta(role="assistant", content=""), None),
            (ChunkDelta(content="Hel"), None),
            (ChunkDelta(content="lo"), None),
            (ChunkDelta(), "length"),
        )
    )
    with client.messages.stream(model=MODEL, max_tokens=2, messages=HELLO) as stream:
        assert "".join(stream.text_stream) == "Hello"
        final = stream.get_final_message()
    assert final.stop_reason == "max_tokens"


def test_raw_stream_events(server: FakeServer, client: anthropic.Anthropic) -> None:
    server.script(streamed(*TOOL_STREAM))
    events = list(client.messages.create(model=MODEL, max_tokens=64, messages=HELLO, stream=True))
    assert [event.type for event in events] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]  # the SDK skips ping
    deltas = [event.delta for event in events if event.type == "content_block_delta"]
    assert [delta.type for delta in deltas] == ["text_delta"] * 2 + ["input_json_delta"] * 3
    start = events[0]
    assert start.type == "message_start" and start.message.usage.input_tokens == 0
    end = events[-2]
    assert end.type == "message_delta" and end.delta.stop_reason == "tool_use"
    assert (end.usage.input_tokens, end.usage.output_tokens) == (50, 40)


# -- errors the SDK reads ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "exception", "error_type"),
    [
        (400, anthropic.BadRequestError, "invalid_request_error"),
        (401, anthropic.AuthenticationError, "authentication_error"),
        (403, anthropic.PermissionDeniedError, "permission_error"),
        (404, anthropic.NotFoundError, "not_found_error"),
        (429, anthropic.RateLimitError, "rate_limit_error"),
        (502, anthropic.InternalServerError, "api_error"),
        (503, anthropic.InternalServerError, "overloaded_error"),
        (529, anthropic.OverloadedError, "overloaded_error"),
    ],
)
def test_error_bodies(
    server: FakeServer,
    client: anthropic.Anthropic,
    status: int,
    exception: type[anthropic.APIStatusError],
    error_type: str,
) -> None:
    server.script(Reply(status=status, body=anthropic_error(status, "It failed.", request_id="r1")))
    with pytest.raises(exception) as caught:
        client.messages.create(model=MODEL, max_tokens=8, messages=HELLO)
    assert caught.value.status_code == status
    assert caught.value.body == {
        "type": "error",
        "error": {"type": error_type, "message": "It failed."},
        "request_id": "r1",
    }


def test_an_error_event_mid_stream(server: FakeServer, client: anthropic.Anthropic) -> None:
    writer = AnthropicStreamWriter(model=MODEL)
    choice = ChunkChoice(index=0, delta=ChunkDelta(content="Half"))
    events = writer.feed(ChatCompletionChunk(id="c", created=1, model="g", choices=[choice]))
    events.append(anthropic_stream_error(503, "Every model failed."))
    server.script(Reply(events=events, content_type="text/event-stream"))
    with (
        pytest.raises(anthropic.APIStatusError) as caught,
        client.messages.stream(model=MODEL, max_tokens=8, messages=HELLO) as stream,
    ):
        stream.get_final_message()
    assert caught.value.body == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Every model failed."},
    }


# -- requests the SDK sends -------------------------------------------------------------------


def sent(server: FakeServer) -> tuple[dict[str, Any], list[str]]:
    """The last request the SDK sent, translated (and checked against OpenAI's schema)."""
    request, dropped = to_openai(decode_request(server.last.body))
    assert isinstance(request, ChatCompletionRequest)
    openai: dict[str, Any] = msgspec.to_builtins(request)
    validate("CreateChatCompletionRequest", openai)
    return openai, dropped


def test_a_conversation_the_sdk_sends(server: FakeServer, client: anthropic.Anthropic) -> None:
    server.script(answer(ResponseMessage(content="ok"), "stop"))
    client.messages.create(
        model=MODEL,
        max_tokens=256,
        system=[{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Weather here?"},
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"},
                    },
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Checking."},
                    {
                        "type": "tool_use",
                        "id": "toolu_01",
                        "name": "get_weather",
                        "input": {"city": "Paris"},
                    },
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_01",
                        "content": [{"type": "text", "text": "18C"}],
                    },
                    {"type": "text", "text": "And tomorrow?"},
                ],
            },
        ],
        tools=[WEATHER],
        tool_choice={"type": "any", "disable_parallel_tool_use": True},
        stop_sequences=["END"],
        metadata={"user_id": "user-42"},
        service_tier="standard_only",
        thinking={"type": "enabled", "budget_tokens": 1024},
    )
    assert server.last.path == "/v1/messages"
    openai, dropped = sent(server)
    assert openai == {
        "model": MODEL,
        "max_tokens": 256,
        "messages": [
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Weather here?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBOR"}},
                ],
            },
            {
                "role": "assistant",
                "content": "Checking.",
                "tool_calls": [
                    {
                        "id": "toolu_01",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "toolu_01", "content": "18C"},
            {"role": "user", "content": "And tomorrow?"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "The weather in a city.",
                    "parameters": WEATHER["input_schema"],
                },
            }
        ],
        "tool_choice": "required",
        "parallel_tool_calls": False,
        "stop": ["END"],
        "user": "user-42",
        "service_tier": "default",
    }
    assert dropped == ["system[].cache_control", "thinking"]


def test_a_stream_request_the_sdk_sends(server: FakeServer, client: anthropic.Anthropic) -> None:
    server.script(streamed((ChunkDelta(content="ok"), "stop")))
    with client.messages.stream(model=MODEL, max_tokens=16, messages=HELLO) as stream:
        stream.until_done()
    assert json.loads(server.last.body)["stream"] is True
    openai, dropped = sent(server)
    assert openai["stream"] is True and openai["stream_options"] == {"include_usage": True}
    assert openai["messages"] == [{"role": "user", "content": "Hello"}]
    assert dropped == []
