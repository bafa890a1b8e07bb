"""OpenAI answers and gateway errors as Anthropic writes them."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from switchboard.dataplane.anthropic_format import (
    anthropic_error,
    anthropic_stream_error,
    error_type_for,
    from_openai,
    message_id,
    stop_reason,
    tool_input,
)
from switchboard.dataplane.openai_types import (
    ChatCompletion,
    Choice,
    FunctionCall,
    ResponseMessage,
    ToolCall,
    Usage,
)
from tests.core.dataplane.support import frames


def completion(
    content: str | None = "Hello!",
    *,
    tool_calls: list[ToolCall] | None = None,
    finish_reason: Any = "stop",
    usage: Usage | None = None,
    refusal: str | None = None,
    completion_id: str = "chatcmpl-abc123",
) -> ChatCompletion:
    """An OpenAI answer with one choice."""
    message = ResponseMessage(content=content, refusal=refusal)
    if tool_calls is not None:
        message.tool_calls = tool_calls
    answer = ChatCompletion(
        id=completion_id,
        created=1,
        model="gpt-upstream",
        choices=[Choice(index=0, message=message, finish_reason=finish_reason)],
    )
    if usage is not None:
        answer.usage = usage
    return answer


def call(call_id: str, name: str, arguments: str) -> ToolCall:
    """A whole OpenAI tool call."""
    return ToolCall(
        id=call_id, type="function", function=FunctionCall(name=name, arguments=arguments)
    )


def as_json(answer: ChatCompletion) -> dict[str, Any]:
    """The Anthropic message for ``answer``, as the JSON the client reads."""
    decoded: dict[str, Any] = json.loads(msgspec.json.encode(from_openai(answer, model="my-ai")))
    return decoded


def test_a_text_answer_exactly() -> None:
    usage = Usage(prompt_tokens=12, completion_tokens=3, total_tokens=15)
    assert as_json(completion(usage=usage)) == {
        "id": "msg_abc123",
        "type": "message",
        "role": "assistant",
        "model": "my-ai",
        "content": [{"type": "text", "text": "Hello!"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 12,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": 3,
        },
    }


def test_text_and_tool_calls() -> None:
    answer = completion(
        "Let me check.",
        tool_calls=[
            call("call_1", "get_weather", '{"city": "Paris"}'),
            call("call_2", "get_time", ""),
        ],
        finish_reason="tool_calls",
    )
    body = as_json(answer)
    assert body["content"] == [
        {"type": "text", "text": "Let me check."},
        {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
        {"type": "tool_use", "id": "call_2", "name": "get_time", "input": {}},
    ]
    assert body["stop_reason"] == "tool_use"


def test_only_tool_calls_make_no_text_block_and_stop_means_tool_use() -> None:
    body = as_json(completion(None, tool_calls=[call("call_1", "f", "{}")], finish_reason="stop"))
    assert [block["type"] for block in body["content"]] == ["tool_use"]
    assert body["stop_reason"] == "tool_use"


def test_a_tool_call_without_an_id_gets_one() -> None:
    nameless = ToolCall(type="function", function=FunctionCall(name="f", arguments="{}"))
    body = as_json(completion(None, tool_calls=[nameless], finish_reason="tool_calls"))
    assert body["content"][0]["id"].startswith("toolu_")


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ('{"a": [1, 2]}', {"a": [1, 2]}),
        ("", {}),
        ("  ", {}),
        ('{"a": ', {"_raw": '{"a": '}),
        ("[1, 2]", {"_raw": "[1, 2]"}),
        ('"text"', {"_raw": '"text"'}),
    ],
)
def test_tool_input(arguments: str, expected: dict[str, Any]) -> None:
    assert tool_input(arguments) == expected


@pytest.mark.parametrize(
    ("finish_reason", "expected"),
    [
        ("stop", "end_turn"),
        ("length", "max_tokens"),
        ("tool_calls", "tool_use"),
        ("function_call", "tool_use"),
        ("content_filter", "refusal"),
        (None, "end_turn"),
    ],
)
def test_stop_reasons(finish_reason: Any, expected: str) -> None:
    assert stop_reason(finish_reason) == expected
    assert as_json(completion(finish_reason=finish_reason))["stop_reason"] == expected


def test_a_refusal_is_text_with_stop_reason_refusal() -> None:
    body = as_json(completion(None, refusal="I can't help with that."))
    assert body["content"] == [{"type": "text", "text": "I can't help with that."}]
    assert body["stop_reason"] == "refusal"


def test_usage_with_cache_reads_and_writes() -> None:
    """OpenAI's prompt includes the cache; Anthropic's input_tokens does not."""
    usage = Usage(
        prompt_tokens=1300,
        completion_tokens=40,
        total_tokens=1340,
        prompt_tokens_details={"cached_tokens": 1200, "cache_write_tokens": 50},
    )
    assert as_json(completion(usage=usage))["usage"] == {
        "input_tokens": 50,
        "cache_creation_input_tokens": 50,
        "cache_read_input_tokens": 1200,
        "output_tokens": 40,
    }


def test_usage_missing_is_zero() -> None:
    assert as_json(completion())["usage"] == {
        "input_tokens": 0,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": 0,
    }


def test_an_answer_without_choices_is_an_empty_message() -> None:
    answer = completion()
    answer.choices = []
    body = as_json(answer)
    assert (body["content"], body["stop_reason"]) == ([], "end_turn")


def test_the_first_choice_is_read() -> None:
    answer = completion("first")
    answer.choices.insert(
        0, Choice(index=1, message=ResponseMessage(content="second"), finish_reason="stop")
    )
    assert as_json(answer)["content"] == [{"type": "text", "text": "first"}]


@pytest.mark.parametrize(
    ("openai_id", "expected"),
    [
        ("chatcmpl-abc123", "msg_abc123"),
        ("msg_01XYZ", "msg_01XYZ"),
        ("gen-1234", "msg_gen-1234"),
        ("a.b/c", "msg_a_b_c"),
    ],
)
def test_message_ids(openai_id: str, expected: str) -> None:
    assert message_id(openai_id) == expected


def test_an_empty_id_still_makes_an_id() -> None:
    assert len(message_id("")) > len("msg_")


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, "invalid_request_error"),
        (401, "authentication_error"),
        (403, "permission_error"),
        (404, "not_found_error"),
        (413, "request_too_large"),
        (422, "invalid_request_error"),
        (429, "rate_limit_error"),
        (500, "api_error"),
        (502, "api_error"),
        (503, "overloaded_error"),
        (504, "timeout_error"),
        (529, "overloaded_error"),
        (599, "api_error"),
    ],
)
def test_error_type_by_status(status: int, expected: str) -> None:
    assert error_type_for(status) == expected
    assert json.loads(anthropic_error(status, "Nope.")) == {
        "type": "error",
        "error": {"type": expected, "message": "Nope."},
    }


def test_an_anthropic_error_type_is_kept_and_a_foreign_one_is_not() -> None:
    assert error_type_for(400, "rate_limit_error") == "rate_limit_error"
    assert error_type_for(503, "service_unavailable") == "overloaded_error"
    assert error_type_for(400, "request_rejected") == "invalid_request_error"


def test_the_request_id_goes_in_the_body() -> None:
    body = json.loads(anthropic_error(429, "Slow down.", request_id="req_1"))
    assert body == {
        "type": "error",
        "error": {"type": "rate_limit_error", "message": "Slow down."},
        "request_id": "req_1",
    }


def test_a_stream_error_is_an_error_event() -> None:
    raw = anthropic_stream_error(529, "Overloaded")
    assert raw == (
        b'event: error\ndata: {"type":"error","error":'
        b'{"type":"overloaded_error","message":"Overloaded"}}\n\n'
    )
    assert frames([raw]) == [
        ("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    ]
