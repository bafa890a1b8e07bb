"""Gemini's stream framing and payloads become OpenAI chunks."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest

from switchboard.dataplane.openai_types import ChatCompletionChunk, FunctionCall
from switchboard.interfaces.provider import ProviderError
from switchboard.testing.fakes.gemini import GeminiFake
from switchboard.testing.openai_schema import validate
from switchboard_gemini.native import GenerateContentResponse
from switchboard_gemini.stream import StreamTranslator, decode_payload, stream_payloads
from tests.plugins.gemini.support import encoded

fake = GeminiFake()  # a builder only: never started


class _Body:
    def __init__(self, blocks: list[bytes]) -> None:
        self.blocks = blocks

    async def iter_any(self) -> AsyncIterator[bytes]:
        for block in self.blocks:
            yield block


class _Response:
    """Just what :func:`stream_payloads` reads of an aiohttp response."""

    def __init__(self, blocks: list[bytes]) -> None:
        self.content = _Body(blocks)


async def payloads(*blocks: bytes) -> list[str]:
    return [text async for text in stream_payloads(_Response(list(blocks)))]  # type: ignore[arg-type]


def run(*events: dict[str, Any]) -> list[ChatCompletionChunk]:
    translator = StreamTranslator("asked")
    chunks = []
    for event in events:
        chunks += translator.feed(msgspec.convert(event, GenerateContentResponse))
    chunks.append(translator.finish())
    for chunk in chunks:
        validate("CreateChatCompletionStreamResponse", encoded(chunk))
    return chunks


def deltas(chunks: list[ChatCompletionChunk]) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in encoded(c)["choices"][0].items() if k != "logprobs"}
        for c in chunks
        if c.choices
    ]


# -- framing ---------------------------------------------------------------------------------


async def test_sse_events_however_the_bytes_are_split() -> None:
    body = b'data: {"a":1}\r\n\r\n: a comment\r\ndata:{"b":\r\ndata: 2}\r\n\r\ndata: {"c":3}'
    expected = ['{"a":1}', '{"b":\n2}', '{"c":3}']
    assert await payloads(body) == expected
    assert await payloads(*[bytes([b]) for b in body]) == expected


async def test_raw_json_error_objects_between_events() -> None:
    error = GeminiFake.stream_error(429, "Quota exceeded.")
    texts = await payloads(b'data: {"a":1}\n\n', error[:7], error[7:])
    assert texts[0] == '{"a":1}'
    assert json.loads(texts[1])["error"]["status"] == "RESOURCE_EXHAUSTED"


async def test_a_long_line_is_one_payload() -> None:
    text = "x" * 300_000  # beyond aiohttp's readline limit
    (payload,) = await payloads(f'data: {{"t":"{text}"}}\n\n'.encode())
    assert json.loads(payload)["t"] == text


async def test_an_unfinished_raw_object_comes_out_to_fail_decoding() -> None:
    (text,) = await payloads(b'{"error": {\n  "code": 500,\n')
    with pytest.raises(ProviderError) as failed:
        decode_payload(text)
    assert failed.value.error_class == "server_error"


@pytest.mark.parametrize(
    ("status", "error_class"),
    [(429, "rate_limit"), (500, "server_error"), (503, "server_error"), (400, "bad_request")],
)
def test_error_payloads_raise_by_their_code(status: int, error_class: str) -> None:
    text = GeminiFake.stream_error(status, "Something broke.").decode()
    for payload in (text, f"[{text}]"):
        with pytest.raises(ProviderError) as failed:
            decode_payload(payload)
        assert (failed.value.error_class, failed.value.status) == (error_class, status)
        assert failed.value.message == "gemini failed mid-stream: Something broke."


@pytest.mark.parametrize("text", ["{not json", '{"candidates": 3}'])
def test_malformed_payloads_are_server_errors(text: str) -> None:
    with pytest.raises(ProviderError) as failed:
        decode_payload(text)
    assert failed.value.error_class == "server_error"


# -- translation -----------------------------------------------------------------------------


def test_text_then_finish_then_usage() -> None:
    chunks = run(
        fake.response(text="Hel", finish_reason=None, usage=fake.usage(9, 1)),
        fake.response(text="lo", usage=fake.usage(9, 3, thoughts_tokens=2)),
    )
    assert deltas(chunks) == [
        {"index": 0, "delta": {"role": "assistant", "content": "Hel"}, "finish_reason": None},
        {"index": 0, "delta": {"content": "lo"}, "finish_reason": None},
        {"index": 0, "delta": {}, "finish_reason": "stop"},
    ]
    assert len({(c.id, c.created, c.model) for c in chunks}) == 1
    assert chunks[0].id == "chatcmpl-fake-response-id"
    assert chunks[0].model == fake.model
    last = encoded(chunks[-1])
    assert last["choices"] == []
    assert last["usage"]["prompt_tokens"] == 9
    assert (last["usage"]["completion_tokens"], last["usage"]["total_tokens"]) == (5, 14)


def test_function_calls_are_a_head_and_their_arguments() -> None:
    chunks = run(
        fake.response(text="Checking.", finish_reason=None),
        fake.response(
            parts=[
                fake.function_call_part("a", {"x": 1}, thought_signature="c2ln"),
                fake.function_call_part("b", {}),
            ]
        ),
    )
    tool_deltas = [
        d["delta"]["tool_calls"][0] for d in deltas(chunks) if "tool_calls" in d["delta"]
    ]
    assert tool_deltas == [
        {
            "index": 0,
            "id": "call_0_ts_c2ln",
            "type": "function",
            "function": {"name": "a", "arguments": ""},
        },
        {"index": 0, "function": {"arguments": '{"x":1}'}},
        {
            "index": 1,
            "id": "call_1",
            "type": "function",
            "function": {"name": "b", "arguments": ""},
        },
        {"index": 1, "function": {"arguments": "{}"}},
    ]
    assert deltas(chunks)[-1]["finish_reason"] == "tool_calls"


def test_a_tool_call_first_carries_the_role() -> None:
    chunks = run(fake.response(parts=[fake.function_call_part("a", {})]))
    first = chunks[0].choices[0].delta
    assert first.role == "assistant" and first.content is msgspec.UNSET
    assert isinstance(first.tool_calls, list)
    assert isinstance(first.tool_calls[0].function, FunctionCall)


def test_several_candidates_keep_their_indexes() -> None:
    def candidate(index: int, text: str, finish: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"index": index, "content": {"parts": [{"text": text}]}}
        return {**body, "finishReason": finish} if finish else body

    chunks = run(
        fake.response(candidates=[candidate(0, "A"), candidate(1, "B")]),
        fake.response(candidates=[candidate(1, "b", "STOP"), candidate(0, "a", "MAX_TOKENS")]),
    )
    by_choice: dict[int, str] = {}
    for delta in deltas(chunks):
        by_choice[delta["index"]] = by_choice.get(delta["index"], "") + delta["delta"].get(
            "content", ""
        )
    assert by_choice == {0: "Aa", 1: "Bb"}
    finishes = {d["index"]: d["finish_reason"] for d in deltas(chunks) if d["finish_reason"]}
    assert finishes == {0: "length", 1: "stop"}
    roles = [d["index"] for d in deltas(chunks) if d["delta"].get("role")]
    assert roles == [0, 1]


def test_a_blocked_prompt_raises_before_any_chunk() -> None:
    translator = StreamTranslator("asked")
    with pytest.raises(ProviderError) as failed:
        translator.feed(msgspec.convert(fake.blocked("SAFETY").json, GenerateContentResponse))
    assert failed.value.error_class == "bad_request"
    assert "blockReason SAFETY" in failed.value.message


def test_a_safety_stop_before_any_text_raises() -> None:
    translator = StreamTranslator("asked")
    with pytest.raises(ProviderError) as failed:
        translator.feed(
            msgspec.convert(
                fake.response(parts=[], finish_reason="SAFETY"), GenerateContentResponse
            )
        )
    assert (failed.value.error_class, failed.value.code) == (
        "bad_request",
        "content_policy_violation",
    )


def test_a_safety_stop_after_some_text_is_content_filter() -> None:
    chunks = run(
        fake.response(text="Once", finish_reason=None),
        fake.response(parts=[], finish_reason="SAFETY"),
    )
    assert [d["finish_reason"] for d in deltas(chunks)] == [None, "content_filter"]


def test_events_after_the_finish_are_ignored() -> None:
    chunks = run(fake.response(text="done"), fake.response(text="more?"), {"usageMetadata": {}})
    assert [d["delta"].get("content") for d in deltas(chunks)] == ["done", None]


@pytest.mark.parametrize(
    "events",
    [[], [fake.response(text="Hel", finish_reason=None)]],
    ids=["nothing", "no finish reason"],
)
def test_a_stream_that_ends_unfinished_is_a_network_error(events: list[dict[str, Any]]) -> None:
    translator = StreamTranslator("asked")
    for event in events:
        translator.feed(msgspec.convert(event, GenerateContentResponse))
    with pytest.raises(ProviderError) as failed:
        translator.finish()
    assert failed.value.error_class == "network"
