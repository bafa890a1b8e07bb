"""Anthropic's stream events become OpenAI chunks, with usage at the end."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from switchboard.dataplane.openai_types import ChatCompletionChunk
from switchboard.interfaces.provider import ProviderError
from switchboard.testing.fakes.anthropic import AnthropicFake
from switchboard.testing.openai_schema import validate
from switchboard.upstream import SSEEvent
from switchboard_anthropic.stream import StreamTranslator

fake = AnthropicFake()


def run(*events: dict[str, Any], secret: str | None = None) -> tuple[list[dict[str, Any]], bool]:
    """The chunks the events make, as JSON (each one checked against OpenAI's schema)."""
    translator = StreamTranslator(secret=secret)
    chunks: list[ChatCompletionChunk] = []
    for event in events:
        chunks += translator.feed(SSEEvent(event["type"], json.dumps(event)))
    bodies = [json.loads(msgspec.json.encode(chunk)) for chunk in chunks]
    for body in bodies:
        validate("CreateChatCompletionStreamResponse", body)
    return bodies, translator.finished


def test_text_stream() -> None:
    chunks, finished = run(
        fake.message_start(12, cache_read=100),
        fake.block_start(0, {"type": "text", "text": ""}),
        fake.ping(),
        fake.text_delta(0, "Hel"),
        fake.text_delta(0, "lo"),
        fake.block_stop(0),
        fake.message_delta("end_turn", 7),
        fake.message_stop(),
    )
    assert finished
    assert {(c["id"], c["created"], c["model"]) for c in chunks} == {
        (chunks[0]["id"], chunks[0]["created"], "claude-haiku-4-5")
    }
    assert [c["choices"][0]["delta"] for c in chunks[:-1]] == [
        {"role": "assistant", "content": ""},
        {"content": "Hel"},
        {"content": "lo"},
        {},
    ]
    assert [c["choices"][0]["finish_reason"] for c in chunks[:-1]] == [None, None, None, "stop"]
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == {
        "prompt_tokens": 112,
        "completion_tokens": 7,
        "total_tokens": 119,
        "prompt_tokens_details": {"cached_tokens": 100, "cache_write_tokens": 0},
    }


def test_tool_calls_are_indexed_among_tool_calls_only() -> None:
    chunks, _ = run(
        fake.message_start(20),
        fake.block_start(0, {"type": "thinking", "thinking": ""}),
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "hm"},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "signature_delta", "signature": "Eq"},
        },
        fake.block_stop(0),
        fake.block_start(
            1, {"type": "tool_use", "id": "toolu_a", "name": "get_weather", "input": {}}
        ),
        fake.json_delta(1, '{"city": '),
        fake.json_delta(1, '"Paris"}'),
        fake.block_stop(1),
        fake.block_start(2, {"type": "tool_use", "id": "toolu_b", "name": "now", "input": {}}),
        fake.json_delta(2, ""),
        fake.block_stop(2),
        fake.message_delta("tool_use", 30),
        fake.message_stop(),
    )
    fragments = [
        fragment
        for chunk in chunks
        for choice in chunk["choices"]
        for fragment in choice["delta"].get("tool_calls", [])
    ]
    assert fragments == [
        {
            "index": 0,
            "id": "toolu_a",
            "type": "function",
            "function": {"name": "get_weather", "arguments": ""},
        },
        {"index": 0, "function": {"arguments": '{"city": '}},
        {"index": 0, "function": {"arguments": '"Paris"}'}},
        {
            "index": 1,
            "id": "toolu_b",
            "type": "function",
            "function": {"name": "now", "arguments": ""},
        },
        # No fragment came for the call without arguments: "{}" keeps them parseable.
        {"index": 1, "function": {"arguments": "{}"}},
    ]
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"


def test_cumulative_usage_keeps_the_latest_values() -> None:
    chunks, _ = run(
        fake.message_start(5),
        fake.message_delta("end_turn", 3),
        {
            "type": "message_delta",
            "delta": {"stop_reason": None},
            "usage": {"output_tokens": 9, "input_tokens": 6, "cache_creation_input_tokens": 4},
        },
        fake.message_stop(),
    )
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"]["prompt_tokens"] == 10  # 6 input + 4 written to the cache
    assert chunks[-1]["usage"]["completion_tokens"] == 9


def test_events_after_message_stop_and_unknown_events_are_ignored() -> None:
    chunks, finished = run(
        fake.message_start(1),
        {"type": "a_new_event", "whatever": True},
        fake.message_stop(),
        fake.text_delta(0, "late"),
    )
    assert finished and len(chunks) == 3


@pytest.mark.parametrize(
    ("error_type", "error_class", "status"),
    [
        ("overloaded_error", "server_error", 529),
        ("api_error", "server_error", 500),
        ("rate_limit_error", "rate_limit", 429),
        ("invalid_request_error", "bad_request", 400),
        ("something_new", "server_error", 500),
    ],
)
def test_error_events_map_by_their_type(error_type: str, error_class: str, status: int) -> None:
    with pytest.raises(ProviderError) as failed:
        run(fake.message_start(1), fake.error_event(error_type, "Overloaded"))
    assert (failed.value.error_class, failed.value.status) == (error_class, status)
    assert failed.value.error_type == error_type
    assert failed.value.message == f"anthropic failed mid-stream ({error_type}): Overloaded"


def test_error_events_never_repeat_the_key() -> None:
    with pytest.raises(ProviderError) as failed:
        run(fake.error_event("api_error", "bad key sk-ant-123"), secret="sk-ant-123")
    assert "sk-ant-123" not in failed.value.message


@pytest.mark.parametrize(
    "events",
    [
        [fake.text_delta(0, "no start")],
        [fake.message_stop()],
        [{"type": "message_start", "message": {"id": "msg_1"}}],
        [fake.message_start(1), fake.json_delta(0, '{"a"')],
        [fake.message_start(1), fake.block_start(0, {"type": "tool_use", "input": {}})],
    ],
)
def test_malformed_streams_are_server_errors(events: list[dict[str, Any]]) -> None:
    with pytest.raises(ProviderError) as failed:
        run(*events)
    assert failed.value.error_class == "server_error"
    assert failed.value.message.startswith("anthropic sent a malformed stream")
