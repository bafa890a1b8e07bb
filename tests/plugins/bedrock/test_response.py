"""Converse answers become OpenAI chat completions; failures become the gateway's errors."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from switchboard.interfaces.provider import ProviderError
from switchboard.testing.openai_schema import validate
from switchboard_bedrock.errors import error_type_of, http_error, stream_error
from switchboard_bedrock.native import TokenUsage
from switchboard_bedrock.response import chat_completion, completion_id, openai_usage


def answer(content: list[dict[str, Any]], stop: str = "end_turn", **usage: int) -> bytes:
    return json.dumps(
        {
            "output": {"message": {"role": "assistant", "content": content}},
            "stopReason": stop,
            "usage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15, **usage},
            "metrics": {"latencyMs": 1},
        }
    ).encode()


def complete(raw: bytes) -> dict[str, Any]:
    completion = chat_completion(raw, answer_id="chatcmpl-1", created=1, model="m")
    encoded: dict[str, Any] = json.loads(msgspec.json.encode(completion))
    validate("CreateChatCompletionResponse", encoded)
    return encoded


def test_text_blocks_are_the_content_and_other_blocks_are_skipped() -> None:
    body = complete(
        answer(
            [
                {"reasoningContent": {"reasoningText": {"text": "hmm", "signature": "x"}}},
                {"text": "Hello"},
                {"text": " there"},
            ]
        )
    )
    (choice,) = body["choices"]
    assert choice["message"] == {"role": "assistant", "content": "Hello there", "refusal": None}
    assert choice["finish_reason"] == "stop"
    assert body["usage"] == {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}


def test_tool_use_blocks_are_tool_calls_and_content_is_none_without_text() -> None:
    use = {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Paris"}}
    message = complete(answer([{"toolUse": use}], stop="tool_use"))["choices"][0]
    assert message["finish_reason"] == "tool_calls"
    assert message["message"]["content"] is None
    (call,) = message["message"]["tool_calls"]
    assert (call["id"], call["type"], call["function"]["name"]) == (
        "tooluse_1",
        "function",
        "get_weather",
    )
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}


def test_an_empty_answer_is_empty_text() -> None:
    assert complete(answer([]))["choices"][0]["message"]["content"] == ""


@pytest.mark.parametrize(
    ("stop_reason", "finish"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("model_context_window_exceeded", "length"),
        ("tool_use", "tool_calls"),
        ("guardrail_intervened", "content_filter"),
        ("content_filtered", "content_filter"),
        ("a_reason_from_the_future", "stop"),
    ],
)
def test_stop_reasons(stop_reason: str, finish: str) -> None:
    assert (
        complete(answer([{"text": "x"}], stop=stop_reason))["choices"][0]["finish_reason"] == finish
    )


@pytest.mark.parametrize("stop_reason", ["malformed_model_output", "malformed_tool_use"])
def test_malformed_output_is_a_server_error_so_the_next_model_is_tried(stop_reason: str) -> None:
    with pytest.raises(ProviderError, match=stop_reason) as failed:
        complete(answer([{"text": "x"}], stop=stop_reason))
    assert failed.value.error_class == "server_error"


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b'{"output": {}}',
        # No message in the output.
        b'{"output": {}, "stopReason": "end_turn", '
        b'"usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2}}',
    ],
)
def test_malformed_answers_are_server_errors(raw: bytes) -> None:
    with pytest.raises(ProviderError) as failed:
        complete(raw)
    assert failed.value.error_class == "server_error"


def test_cache_tokens_count_in_the_prompt_and_show_in_the_details() -> None:
    usage = openai_usage(
        TokenUsage(
            input_tokens=10,
            output_tokens=5,
            total_tokens=1515,
            cache_read_input_tokens=1200,
            cache_write_input_tokens=300,
        )
    )
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (1510, 5, 1515)
    assert usage.prompt_tokens_details == {"cached_tokens": 1200, "cache_write_tokens": 300}
    # Were the cache tokens already inside inputTokens, they would not be counted twice.
    inside = openai_usage(
        TokenUsage(
            input_tokens=1510, output_tokens=5, total_tokens=1515, cache_read_input_tokens=1200
        )
    )
    assert (inside.prompt_tokens, inside.total_tokens) == (1510, 1515)


def test_the_answer_id_is_bedrocks_request_id() -> None:
    assert completion_id({"X-Amzn-RequestId": "abc-123"}) == "chatcmpl-abc-123"
    assert completion_id({}).startswith("chatcmpl-")


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "body", "name"),
    [
        (
            {"x-amzn-ErrorType": "ThrottlingException:http://internal.amazon.com/coral/"},
            b"{}",
            "ThrottlingException",
        ),
        ({}, b'{"__type": "com.amazon.coral.validate#ValidationException"}', "ValidationException"),
        ({}, b'{"code": "AccessDeniedException"}', "AccessDeniedException"),
        ({}, b'{"Code": "ResourceNotFoundException"}', "ResourceNotFoundException"),
        ({}, b"<html>Bad Gateway</html>", None),
    ],
)
def test_the_exception_name_is_read_like_botocore_does(
    headers: dict[str, str], body: bytes, name: str | None
) -> None:
    assert error_type_of(headers, body)[0] == name


@pytest.mark.parametrize(
    ("status", "name", "error_class"),
    [
        (400, "ValidationException", "bad_request"),
        (400, "ServiceQuotaExceededException", "rate_limit"),
        (403, "AccessDeniedException", "auth"),
        (403, "ExpiredTokenException", "auth"),
        (404, "ResourceNotFoundException", "not_found"),
        (408, "ModelTimeoutException", "timeout"),
        (424, "ModelErrorException", "server_error"),
        (429, "ThrottlingException", "rate_limit"),
        (429, "ModelNotReadyException", "server_error"),
        (500, "InternalServerException", "server_error"),
        (503, "ServiceUnavailableException", "server_error"),
        (502, "SomethingNew", "server_error"),
        (409, "SomethingNew", "bad_request"),
    ],
)
def test_http_errors_map_by_exception_then_status(status: int, name: str, error_class: str) -> None:
    error = http_error(status, b'{"message": "no"}', {"X-Amzn-ErrorType": name})
    assert (error.error_class, error.status, error.error_type) == (error_class, status, name)
    assert error.message == f"bedrock answered {status} {name}: no"


def test_a_capitalized_message_and_a_non_json_body_are_read() -> None:
    assert "Denied" in http_error(403, b'{"Message": "Denied"}', {}).message
    assert "Bad Gateway" in http_error(502, b"<html>Bad Gateway</html>", {}).message


@pytest.mark.parametrize(
    ("name", "error_class", "status"),
    [
        ("throttlingException", "rate_limit", 429),
        ("validationException", "bad_request", 400),
        ("modelStreamErrorException", "server_error", 424),
        ("internalServerException", "server_error", 500),
        ("serviceUnavailableException", "server_error", 503),
        ("somethingNew", "server_error", 500),
    ],
)
def test_stream_exceptions_map_by_name(name: str, error_class: str, status: int) -> None:
    error = stream_error(name, "it broke")
    assert (error.error_class, error.status) == (error_class, status)
    assert error.message.startswith("bedrock failed mid-stream with ")
