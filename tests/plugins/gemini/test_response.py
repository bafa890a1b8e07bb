"""Gemini answers become OpenAI chat completions (or the errors they amount to)."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from switchboard.dataplane.openai_types import ChatCompletion, FunctionCall
from switchboard.interfaces.provider import ProviderError
from switchboard.testing.fakes.gemini import GeminiFake
from switchboard.testing.openai_schema import validate
from switchboard_gemini.ids import split_call_id
from switchboard_gemini.native import GenerateContentResponse
from switchboard_gemini.response import finish_reason, to_completion
from tests.plugins.gemini.support import encoded

fake = GeminiFake(model="gemini-2.5-flash-001")  # a builder only: never started


def translate(payload: dict[str, Any]) -> ChatCompletion:
    answer = to_completion(msgspec.convert(payload, GenerateContentResponse), model="asked")
    validate("CreateChatCompletionResponse", encoded(answer))
    return answer


def fails(payload: dict[str, Any]) -> ProviderError:
    with pytest.raises(ProviderError) as failed:
        to_completion(msgspec.convert(payload, GenerateContentResponse), model="asked")
    return failed.value


def test_text_parts_are_joined_and_thoughts_left_out() -> None:
    answer = translate(
        fake.response(
            parts=[
                fake.text_part("Let me think.", thought=True),
                fake.text_part("Hello"),
                fake.text_part(" there"),
            ],
            usage=fake.usage(12, 3, thoughts_tokens=20, cached_tokens=8),
        )
    )
    (choice,) = answer.choices
    assert (choice.message.content, choice.finish_reason) == ("Hello there", "stop")
    assert choice.message.tool_calls is msgspec.UNSET
    assert (answer.id, answer.model) == ("chatcmpl-fake-response-id", "gemini-2.5-flash-001")
    assert encoded(answer)["usage"] == {
        "prompt_tokens": 12,
        "completion_tokens": 23,
        "total_tokens": 35,
        "prompt_tokens_details": {"cached_tokens": 8},
        "completion_tokens_details": {"reasoning_tokens": 20},
    }


def test_tool_use_prompt_tokens_count_as_prompt() -> None:
    usage = {"promptTokenCount": 10, "toolUsePromptTokenCount": 4, "candidatesTokenCount": 2}
    answer = translate(fake.response(text="ok", usage=usage))
    assert encoded(answer)["usage"]["prompt_tokens"] == 14
    assert encoded(answer)["usage"]["total_tokens"] == 16


def test_missing_usage_is_zero_and_missing_ids_are_made_up() -> None:
    payload = fake.response(text="ok")
    del payload["responseId"], payload["modelVersion"]
    answer = translate(payload)
    assert answer.id.startswith("chatcmpl-") and len(answer.id) > len("chatcmpl-")
    assert answer.model == "asked"
    usage = encoded(answer)["usage"]
    assert (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]) == (0, 0, 0)


def test_function_calls_become_tool_calls() -> None:
    answer = translate(
        fake.response(
            parts=[
                fake.function_call_part("get_weather", {"city": "Paris"}),
                fake.function_call_part("get_time", {}, call_id="gem-id-2"),
            ]
        )
    )
    (choice,) = answer.choices
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    assert isinstance(choice.message.tool_calls, list)
    found = []
    for call in choice.message.tool_calls:
        assert call.type == "function" and isinstance(call.function, FunctionCall)
        assert isinstance(call.function.arguments, str)
        found.append((call.id, call.function.name, json.loads(call.function.arguments)))
    assert found == [
        ("call_0", "get_weather", {"city": "Paris"}),
        ("gem-id-2", "get_time", {}),
    ]


def test_thought_signatures_ride_in_the_call_id() -> None:
    signature = "+/+/Zm9vYg=="  # base64 with every character base64url changes
    answer = translate(
        fake.response(parts=[fake.function_call_part("f", {"a": 1}, thought_signature=signature)])
    )
    assert isinstance(answer.choices[0].message.tool_calls, list)
    call_id = answer.choices[0].message.tool_calls[0].id
    assert isinstance(call_id, str)
    assert set(call_id) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
    assert split_call_id(call_id) == ("call_0", signature)


def test_text_beside_calls_is_kept() -> None:
    answer = translate(
        fake.response(parts=[fake.text_part("Checking."), fake.function_call_part("f", {})])
    )
    assert answer.choices[0].message.content == "Checking."
    assert answer.choices[0].finish_reason == "tool_calls"


@pytest.mark.parametrize(
    ("reason", "calls_tools", "expected"),
    [
        ("STOP", False, "stop"),
        ("STOP", True, "tool_calls"),
        (None, False, "stop"),
        ("MAX_TOKENS", True, "length"),
        ("SAFETY", False, "content_filter"),
        ("RECITATION", False, "content_filter"),
        ("PROHIBITED_CONTENT", False, "content_filter"),
        ("SPII", False, "content_filter"),
        ("BLOCKLIST", False, "content_filter"),
        ("IMAGE_SAFETY", False, "content_filter"),
        ("OTHER", False, "stop"),
        ("MALFORMED_FUNCTION_CALL", True, "tool_calls"),
        ("A_REASON_FROM_THE_FUTURE", False, "stop"),
    ],
)
def test_finish_reasons(reason: str | None, calls_tools: bool, expected: str) -> None:
    assert finish_reason(reason, calls_tools) == expected


def test_a_blocked_prompt_is_a_clear_bad_request() -> None:
    error = fails(fake.blocked("PROHIBITED_CONTENT").json)
    assert (error.error_class, error.status) == ("bad_request", 400)
    assert error.code == "content_policy_violation"
    assert "blocked the prompt (blockReason PROHIBITED_CONTENT)" in error.message
    assert not error.falls_back


def test_an_answer_stopped_by_safety_before_any_text_is_a_bad_request() -> None:
    payload = fake.response(parts=[], finish_reason="SAFETY")
    payload["candidates"][0]["finishMessage"] = "Harassment."
    error = fails(payload)
    assert (error.error_class, error.code) == ("bad_request", "content_policy_violation")
    assert error.message == "gemini blocked the answer (finishReason SAFETY): Harassment."


def test_an_answer_stopped_by_safety_after_some_text_is_content_filter() -> None:
    answer = translate(fake.response(text="Once upon", finish_reason="SAFETY"))
    assert answer.choices[0].message.content == "Once upon"
    assert answer.choices[0].finish_reason == "content_filter"


@pytest.mark.parametrize(
    ("reason", "error_class"),
    [
        ("MALFORMED_FUNCTION_CALL", "server_error"),
        ("OTHER", "server_error"),
        ("MISSING_THOUGHT_SIGNATURE", "bad_request"),
        ("LANGUAGE", "bad_request"),
    ],
)
def test_other_empty_stops_are_errors(reason: str, error_class: str) -> None:
    error = fails(fake.response(parts=[], finish_reason=reason))
    assert error.error_class == error_class
    assert f"(finishReason {reason})" in error.message


def test_running_out_of_tokens_before_any_text_is_an_empty_answer() -> None:
    answer = translate(fake.response(parts=[], finish_reason="MAX_TOKENS"))
    assert (answer.choices[0].message.content, answer.choices[0].finish_reason) == ("", "length")


def test_several_candidates_are_several_choices_and_fail_only_together() -> None:
    ok = {
        "index": 0,
        "content": {"parts": [{"text": "A"}], "role": "model"},
        "finishReason": "STOP",
    }
    blocked = {"index": 1, "finishReason": "SAFETY"}
    answer = translate(fake.response(candidates=[ok, blocked]))
    assert [(c.index, c.message.content, c.finish_reason) for c in answer.choices] == [
        (0, "A", "stop"),
        (1, "", "content_filter"),
    ]
    assert fails(fake.response(candidates=[blocked, {**blocked, "index": 0}])).error_class == (
        "bad_request"
    )


def test_an_answer_without_candidates_or_feedback_is_a_server_error() -> None:
    error = fails({"usageMetadata": {"promptTokenCount": 3}})
    assert (error.error_class, error.status) == ("server_error", 200)
    assert error.message == "gemini sent an answer without candidates"
