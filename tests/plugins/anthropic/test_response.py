"""Anthropic answers become OpenAI chat completions: content, tool calls, finish, usage."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from switchboard.dataplane.openai_types import FunctionCall
from switchboard.interfaces.provider import ProviderError
from switchboard.testing.openai_schema import validate
from switchboard_anthropic.response import completion_from, finish_reason
from switchboard_anthropic.wire import MessageAnswer


def answer(
    content: list[dict[str, Any]], stop_reason: str = "end_turn", **usage: Any
) -> MessageAnswer:
    native = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-haiku-4-5",
        "content": content,
        "stop_reason": stop_reason,
        "usage": {"input_tokens": 10, "output_tokens": 5, **usage},
    }
    return msgspec.convert(native, MessageAnswer)


def encoded(value: msgspec.Struct) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(msgspec.json.encode(value))
    return decoded


def test_text_blocks_are_joined_and_other_blocks_left_out() -> None:
    completion = completion_from(
        answer(
            [
                {"type": "thinking", "thinking": "hmm", "signature": "EqQB"},
                {"type": "text", "text": "Hello, "},
                {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}},
                {"type": "text", "text": "world."},
            ]
        ),
        created=1764600000,
    )
    body = encoded(completion)
    validate("CreateChatCompletionResponse", body)
    assert body["id"] == "msg_1" and body["created"] == 1764600000
    assert body["model"] == "claude-haiku-4-5"
    assert body["choices"][0]["message"] == {
        "content": "Hello, world.",
        "refusal": None,
        "role": "assistant",
    }


def test_tool_use_blocks_become_tool_calls_with_json_arguments() -> None:
    completion = completion_from(
        answer(
            [
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "get_weather",
                    "input": {"city": "Paris"},
                }
            ],
            stop_reason="tool_use",
        ),
        created=1,
    )
    validate("CreateChatCompletionResponse", encoded(completion))
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    (call,) = choice.message.tool_calls or []
    assert (call.id, call.type) == ("toolu_1", "function")
    assert isinstance(call.function, FunctionCall)
    assert call.function.name == "get_weather"
    assert json.loads(str(call.function.arguments)) == {"city": "Paris"}


def test_an_answer_with_no_text_and_no_calls_has_empty_content() -> None:
    completion = completion_from(answer([], stop_reason="max_tokens"), created=1)
    assert completion.choices[0].message.content == ""


def test_a_tool_use_block_without_input_is_a_server_error() -> None:
    with pytest.raises(ProviderError) as failed:
        completion_from(answer([{"type": "tool_use", "id": "toolu_1", "name": "f"}]), created=1)
    assert failed.value.error_class == "server_error"


@pytest.mark.parametrize(
    ("stop_reason", "finish"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("pause_turn", "stop"),
        ("max_tokens", "length"),
        ("model_context_window_exceeded", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        ("a_reason_from_the_future", "stop"),
        (None, "stop"),
    ],
)
def test_stop_reasons(stop_reason: str | None, finish: str) -> None:
    assert finish_reason(stop_reason) == finish


def test_usage_counts_the_cache_into_the_prompt() -> None:
    completion = completion_from(
        answer(
            [{"type": "text", "text": "ok"}],
            cache_creation_input_tokens=100,
            cache_read_input_tokens=1200,
            output_tokens_details={"thinking_tokens": 3},
        ),
        created=1,
    )
    body = encoded(completion)
    validate("CreateChatCompletionResponse", body)
    assert body["usage"] == {
        "prompt_tokens": 1310,
        "completion_tokens": 5,
        "total_tokens": 1315,
        "prompt_tokens_details": {"cached_tokens": 1200, "cache_write_tokens": 100},
        "completion_tokens_details": {"reasoning_tokens": 3},
    }


def test_usage_without_cache_fields_has_no_details() -> None:
    body = encoded(completion_from(answer([{"type": "text", "text": "ok"}]), created=1))
    assert body["usage"] == {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
