"""OpenAI stream chunks become Anthropic's named events, framed as the API frames them."""

from __future__ import annotations

from typing import Any

from switchboard.dataplane.anthropic_format import AnthropicStreamWriter
from switchboard.dataplane.openai_types import (
    ChatCompletionChunk,
    ChunkChoice,
    ChunkDelta,
    FunctionCall,
    ToolCall,
    Usage,
)
from tests.core.dataplane.support import frames

CHUNK_ID = "chatcmpl-stream1"


def chunk(delta: ChunkDelta | None = None, finish: Any = None) -> ChatCompletionChunk:
    """A chunk of the single choice."""
    choice = ChunkChoice(index=0, delta=delta or ChunkDelta(), finish_reason=finish)
    return ChatCompletionChunk(id=CHUNK_ID, created=1, model="gpt-upstream", choices=[choice])


def text(content: str) -> ChatCompletionChunk:
    """A chunk adding text."""
    return chunk(ChunkDelta(content=content))


def tool(
    index: int | None, *, call_id: str | None = None, name: str | None = None, arguments: str = ""
) -> ChatCompletionChunk:
    """A chunk with one tool-call fragment (``None`` leaves the field out)."""
    fragment = ToolCall(function=FunctionCall(arguments=arguments))
    if index is not None:
        fragment.index = index
    if call_id is not None:
        fragment.id, fragment.type = call_id, "function"
    if name is not None:
        assert isinstance(fragment.function, FunctionCall)
        fragment.function.name = name
    return chunk(ChunkDelta(tool_calls=[fragment]))


def usage_chunk(prompt: int, completion: int, **details: int) -> ChatCompletionChunk:
    """The last chunk of an OpenAI stream: no choices, the whole usage."""
    usage = Usage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )
    if details:
        usage.prompt_tokens_details = details
    return ChatCompletionChunk(
        id=CHUNK_ID, created=1, model="gpt-upstream", choices=[], usage=usage
    )


def run(*chunks: ChatCompletionChunk) -> list[tuple[str, dict[str, Any]]]:
    """Every event the chunks make, finish included."""
    writer = AnthropicStreamWriter(model="my-ai")
    raw: list[bytes] = []
    for item in chunks:
        raw += writer.feed(item)
    raw += writer.finish()
    assert writer.finished
    return frames(raw)


MESSAGE_START = (
    "message_start",
    {
        "type": "message_start",
        "message": {
            "id": "msg_stream1",
            "type": "message",
            "role": "assistant",
            "model": "my-ai",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {
                "input_tokens": 0,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "output_tokens": 0,
            },
        },
    },
)
PING = ("ping", {"type": "ping"})


def test_a_text_stream_exactly() -> None:
    events = run(
        chunk(ChunkDelta(role="assistant", content="")),
        text("Hel"),
        text("lo"),
        chunk(finish="stop"),
        usage_chunk(12, 2),
    )
    assert events == [
        MESSAGE_START,
        PING,
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": "Hel"},
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": "lo"},
            },
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {
                    "input_tokens": 12,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                    "output_tokens": 2,
                },
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]


def test_text_then_parallel_tool_calls() -> None:
    events = run(
        text("Checking."),
        tool(0, call_id="call_a", name="get_weather", arguments=""),
        tool(0, arguments='{"city": '),
        tool(0, arguments='"Paris"}'),
        tool(1, call_id="call_b", name="get_time", arguments='{"tz": "CET"}'),
        chunk(finish="tool_calls"),
        usage_chunk(1300, 40, cached_tokens=1200, cache_write_tokens=50),
    )
    names = [name for name, _ in events]
    assert names == [
        "message_start",
        "ping",
        "content_block_start",
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
    ]
    starts = [data for name, data in events if name == "content_block_start"]
    assert [(s["index"], s["content_block"]) for s in starts] == [
        (0, {"type": "text", "text": ""}),
        (1, {"type": "tool_use", "id": "call_a", "name": "get_weather", "input": {}}),
        (2, {"type": "tool_use", "id": "call_b", "name": "get_time", "input": {}}),
    ]
    json_deltas = [
        (data["index"], data["delta"]["partial_json"])
        for name, data in events
        if name == "content_block_delta" and data["delta"]["type"] == "input_json_delta"
    ]
    assert json_deltas == [(1, '{"city": '), (1, '"Paris"}'), (2, '{"tz": "CET"}')]
    stops = [data["index"] for name, data in events if name == "content_block_stop"]
    assert stops == [0, 1, 2]
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"
    assert events[-2][1]["usage"] == {
        "input_tokens": 50,
        "cache_creation_input_tokens": 50,
        "cache_read_input_tokens": 1200,
        "output_tokens": 40,
    }


def test_text_after_a_tool_call_opens_a_new_block() -> None:
    events = run(tool(0, call_id="call_a", name="f", arguments="{}"), text("Done."))
    starts = [
        (d["index"], d["content_block"]["type"]) for n, d in events if n == "content_block_start"
    ]
    assert starts == [(0, "tool_use"), (1, "text")]


def test_a_call_without_arguments_has_no_delta() -> None:
    events = run(tool(0, call_id="call_a", name="now"), chunk(finish="tool_calls"))
    assert [name for name, _ in events if name.startswith("content_block")] == [
        "content_block_start",
        "content_block_stop",
    ]


def test_arguments_before_the_name_are_held_back() -> None:
    events = run(
        tool(0, call_id="call_a", arguments='{"q":'),
        tool(0, name="search", arguments=' "x"}'),
        chunk(finish="tool_calls"),
    )
    blocks = [d for n, d in events if n.startswith("content_block")]
    assert blocks[0]["content_block"] == {
        "type": "tool_use",
        "id": "call_a",
        "name": "search",
        "input": {},
    }
    assert blocks[1]["delta"] == {"type": "input_json_delta", "partial_json": '{"q": "x"}'}


def test_an_unnamed_call_is_still_written_at_the_end() -> None:
    events = run(tool(0, call_id="call_a", arguments="{}"))
    start = next(d for n, d in events if n == "content_block_start")
    assert start["content_block"]["name"] == "" and start["content_block"]["id"] == "call_a"
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"


def test_fragments_without_an_index() -> None:
    """A fragment with an id starts a new call; one without continues the last."""
    events = run(
        tool(None, call_id="call_a", name="f", arguments='{"a":'),
        tool(None, arguments="1}"),
        tool(None, call_id="call_b", name="g", arguments="{}"),
    )
    deltas = [
        (d["index"], d["delta"]["partial_json"]) for n, d in events if n == "content_block_delta"
    ]
    assert deltas == [(0, '{"a":'), (0, "1}"), (1, "{}")]


def test_a_tool_call_without_an_id_gets_one() -> None:
    events = run(tool(0, name="f", arguments="{}"))
    start = next(d for n, d in events if n == "content_block_start")
    assert start["content_block"]["id"].startswith("toolu_")


def test_stop_reasons_and_refusal() -> None:
    assert run(text("a"), chunk(finish="length"))[-2][1]["delta"]["stop_reason"] == "max_tokens"
    assert run(text("a"), chunk(finish="content_filter"))[-2][1]["delta"]["stop_reason"] == (
        "refusal"
    )
    events = run(chunk(ChunkDelta(refusal="I can't.")), chunk(finish="stop"))
    assert [d["delta"] for n, d in events if n == "content_block_delta"] == [
        {"type": "text_delta", "text": "I can't."}
    ]
    assert events[-2][1]["delta"]["stop_reason"] == "refusal"
    # A stream cut before its finish_reason still ends as a message.
    assert run(text("a"))[-2][1]["delta"]["stop_reason"] == "end_turn"


def test_usage_in_the_finish_chunk_counts_too() -> None:
    last = chunk(finish="stop")
    last.usage = Usage(prompt_tokens=5, completion_tokens=1, total_tokens=6)
    assert run(text("a"), last)[-2][1]["usage"]["input_tokens"] == 5


def test_other_choices_are_ignored() -> None:
    other = chunk(ChunkDelta(content="other"))
    other.choices[0].index = 1
    events = run(text("mine"), other)
    assert [d["delta"]["text"] for n, d in events if n == "content_block_delta"] == ["mine"]


def test_an_empty_stream_is_an_empty_message() -> None:
    writer = AnthropicStreamWriter(model="my-ai")
    events = frames(writer.finish())
    assert [name for name, _ in events] == [
        "message_start",
        "ping",
        "message_delta",
        "message_stop",
    ]
    assert writer.message_id.startswith("msg_")


def test_nothing_after_finish() -> None:
    writer = AnthropicStreamWriter(model="my-ai")
    assert writer.message_id == ""
    first = writer.feed(text("a"))
    assert writer.message_id == "msg_stream1"
    assert [name for name, _ in frames(first)] == [
        "message_start",
        "ping",
        "content_block_start",
        "content_block_delta",
    ]
    writer.finish()
    assert writer.feed(text("b")) == [] and writer.finish() == []
