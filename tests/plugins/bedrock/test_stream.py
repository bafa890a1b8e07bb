"""ConverseStream's event-stream messages become OpenAI chunks, usage last."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from switchboard.dataplane.openai_types import ChatCompletionChunk
from switchboard.interfaces.provider import ProviderError
from switchboard.testing.fakes.bedrock import BedrockFake, encode_message, event, exception_event
from switchboard.testing.openai_schema import validate
from switchboard_bedrock.stream import ChunkTranslator, EventStreamDecoder

FAKE = BedrockFake()


def translate(frames: list[bytes], *, piece_size: int | None = None) -> list[dict[str, Any]]:
    """The chunks for ``frames``, fed ``piece_size`` bytes at a time (whole frames if None)."""
    decoder = EventStreamDecoder()
    translator = ChunkTranslator(answer_id="chatcmpl-x", created=7, model="m")
    data = b"".join(frames)
    pieces = (
        [data[i : i + piece_size] for i in range(0, len(data), piece_size)]
        if piece_size
        else frames
    )
    chunks: list[ChatCompletionChunk] = []
    for piece in pieces:
        for message in decoder.feed(piece):
            chunks.extend(translator.translate(message))
    decoder.close()
    translator.finish()
    encoded = [json.loads(msgspec.json.encode(chunk)) for chunk in chunks]
    for chunk in encoded:
        validate("CreateChatCompletionStreamResponse", chunk)
        assert (chunk["id"], chunk["created"], chunk["model"]) == ("chatcmpl-x", 7, "m")
    return encoded


def deltas(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c["choices"][0]["delta"] for c in chunks if c["choices"]]


def test_text_arrives_in_order_with_the_finish_and_then_the_usage() -> None:
    frames = FAKE.text_events(["Hel", "lo"], input_tokens=9, output_tokens=3, cache_read_tokens=4)
    # A byte at a time: the decoder must not care how the network cuts the body.
    chunks = translate(frames, piece_size=1)
    assert deltas(chunks) == [
        {"role": "assistant", "content": ""},
        {"content": "Hel"},
        {"content": "lo"},
        {},
    ]
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]] == [
        None,
        None,
        None,
        "stop",
    ]
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == {
        "prompt_tokens": 13,
        "completion_tokens": 3,
        "total_tokens": 16,
        "prompt_tokens_details": {"cached_tokens": 4},
    }


def test_tool_calls_are_indexed_among_tool_calls_only() -> None:
    frames = [
        event("messageStart", {"role": "assistant"}),
        event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Checking."}}),
        event("contentBlockStop", {"contentBlockIndex": 0}),
        event(
            "contentBlockStart",
            {"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "t1", "name": "weather"}}},
        ),
        event(
            "contentBlockStart",
            {"contentBlockIndex": 2, "start": {"toolUse": {"toolUseId": "t2", "name": "time"}}},
        ),
        event(
            "contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": '{"c'}}}
        ),
        event("contentBlockDelta", {"contentBlockIndex": 2, "delta": {"toolUse": {"input": "{}"}}}),
        event(
            "contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": '": 1}'}}}
        ),
        event("messageStop", {"stopReason": "tool_use"}),
        FAKE.metadata_event(20, 10),
    ]
    chunks = translate(frames)
    fragments = [d["tool_calls"][0] for d in deltas(chunks) if "tool_calls" in d]
    assert fragments == [
        {
            "index": 0,
            "id": "t1",
            "type": "function",
            "function": {"name": "weather", "arguments": ""},
        },
        {"index": 1, "id": "t2", "type": "function", "function": {"name": "time", "arguments": ""}},
        {"index": 0, "function": {"arguments": '{"c'}},
        {"index": 1, "function": {"arguments": "{}"}},
        {"index": 0, "function": {"arguments": '": 1}'}},
    ]
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"


def test_usage_before_the_stop_still_comes_last() -> None:
    frames = [
        event("messageStart", {"role": "assistant"}),
        event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}}),
        FAKE.metadata_event(1, 1),
        event("messageStop", {"stopReason": "end_turn"}),
    ]
    chunks = translate(frames)
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"]["total_tokens"] == 2


def test_reasoning_and_unknown_events_are_skipped() -> None:
    frames = [
        event("messageStart", {"role": "assistant"}),
        event(
            "contentBlockDelta",
            {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "hmm"}}},
        ),
        event("somethingNew", {"x": 1}),
        encode_message({":message-type": "somethingElse"}, b"{}"),
        event("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"text": "Yes"}}),
        event("messageStop", {"stopReason": "end_turn"}),
        FAKE.metadata_event(1, 1),
    ]
    assert deltas(translate(frames))[1] == {"content": "Yes"}


@pytest.mark.parametrize(
    ("frame", "error_class", "words"),
    [
        (
            exception_event("throttlingException", "Too many tokens"),
            "rate_limit",
            "Too many tokens",
        ),
        (exception_event("validationException", "Input too long"), "bad_request", "Input too long"),
        (
            exception_event(
                "modelStreamErrorException",
                "Model failed",
                originalStatusCode=500,
                originalMessage="boom",
            ),
            "server_error",
            "the model answered 500",
        ),
        (
            encode_message(
                {
                    ":message-type": "error",
                    ":error-code": "InternalFailure",
                    ":error-message": "oops",
                },
                b"",
            ),
            "server_error",
            "oops",
        ),
    ],
)
def test_failures_inside_the_stream_map_by_their_type(
    frame: bytes, error_class: str, words: str
) -> None:
    frames = [event("messageStart", {"role": "assistant"}), frame]
    with pytest.raises(ProviderError, match=words) as failed:
        translate(frames)
    assert failed.value.error_class == error_class


def test_a_stream_that_stops_early_is_a_network_error() -> None:
    frames = FAKE.text_events(["a"])
    with pytest.raises(ProviderError, match="before messageStop") as no_stop:
        translate(frames[:2])
    assert no_stop.value.error_class == "network"
    with pytest.raises(ProviderError, match="before its usage") as no_usage:
        translate(frames[:-1])
    assert no_usage.value.error_class == "network"
    data = b"".join(frames)
    with pytest.raises(ProviderError, match="inside an event") as cut:
        translate([data[:-3]])
    assert cut.value.error_class == "network"


def test_a_corrupted_stream_is_a_server_error() -> None:
    frame = bytearray(event("messageStart", {"role": "assistant"}))
    frame[20] ^= 0xFF
    with pytest.raises(ProviderError, match="malformed event stream") as failed:
        translate([bytes(frame)])
    assert failed.value.error_class == "server_error"
    with pytest.raises(ProviderError, match="malformed event stream"):
        translate([b"<html>this is not an event stream at all</html>"])


@pytest.mark.parametrize(
    "frame",
    [
        encode_message({":message-type": "event", ":event-type": "messageStop"}, b"not json"),
        event("contentBlockDelta", {"delta": {"text": "no index"}}),
        event("contentBlockDelta", {"contentBlockIndex": 3, "delta": {"toolUse": {"input": "{}"}}}),
    ],
)
def test_malformed_events_are_server_errors(frame: bytes) -> None:
    with pytest.raises(ProviderError) as failed:
        translate([event("messageStart", {"role": "assistant"}), frame])
    assert failed.value.error_class == "server_error"
