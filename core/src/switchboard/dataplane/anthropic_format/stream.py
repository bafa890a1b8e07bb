"""OpenAI ``chat.completion.chunk`` objects as Anthropic's named stream events.

=====================================  ========================================================
OpenAI chunks                          Anthropic events
=====================================  ========================================================
the first chunk                        ``message_start`` (id ``msg_…`` from the chunk's id,
                                       the model the caller asked for, no content, usage 0),
                                       then one ``ping``, as the API does
``delta.content`` / ``delta.refusal``  a text block: ``content_block_start`` when the last
                                       open block is not text, then ``text_delta``
``delta.tool_calls`` fragment with a   the open block's ``content_block_stop``, then
new ``index`` (id and name)            ``content_block_start`` of a ``tool_use`` block
                                       (``input: {}``)
``function.arguments`` pieces          ``input_json_delta`` with the piece as ``partial_json``
``finish_reason``                      kept for ``message_delta`` (see :func:`stop_reason`)
the usage chunk (``choices: []``)      kept for ``message_delta``
:meth:`~AnthropicStreamWriter.finish`  the open block's ``content_block_stop``,
                                       ``message_delta`` (stop reason and the whole usage),
                                       ``message_stop``
=====================================  ========================================================

Block ``index`` counts every block of the message, text and tool calls alike, whereas an
OpenAI tool call's ``index`` counts tool calls only: the writer keeps the map.

Usage: an OpenAI stream reports it only at its end, so ``message_start`` carries zeros and
``message_delta`` carries every count (``input_tokens``, both cache fields and
``output_tokens``). ``message_delta`` counts are cumulative totals, and the Anthropic SDK
(2.x) takes each one given there over ``message_start``'s, so its final message has the real
numbers; older clients that read input tokens from ``message_start`` only see 0.

A tool call whose name has not come yet is held back until it does (a block cannot start
without its name); one still unnamed at the end is written with an empty name rather than
lost. Providers stream tool calls one after another; should a fragment of a call whose block
was already closed arrive late, it is still written as an ``input_json_delta`` of that
block's index, which the SDK accumulates correctly.
"""

from __future__ import annotations

from dataclasses import dataclass

from msgspec import UNSET

from switchboard.dataplane.anthropic_format.outbound import (
    anthropic_usage,
    message_id,
    new_tool_use_id,
    stop_reason,
)
from switchboard.dataplane.anthropic_format.shapes import (
    AnthropicMessage,
    AnthropicUsage,
    ContentBlockDelta,
    ContentBlockStart,
    ContentBlockStop,
    DeltaUsage,
    InputJsonDelta,
    MessageDelta,
    MessageDeltaBody,
    MessageStart,
    MessageStop,
    Ping,
    StreamEvent,
    TextDelta,
    TextOutput,
    ToolUseOutput,
    sse_frame,
)
from switchboard.dataplane.openai_types import ChatCompletionChunk, ToolCall, Usage

__all__ = ["AnthropicStreamWriter"]


@dataclass
class _ToolCallState:
    """One OpenAI tool call of the stream."""

    id: str = ""
    name: str = ""
    pending: str = ""  # arguments that came before the name
    block: int | None = None  # its Anthropic block index, once started


class AnthropicStreamWriter:
    """Turns one completion's OpenAI chunks into Anthropic SSE frames.

    Feed every chunk with :meth:`feed`, then call :meth:`finish` once the OpenAI stream has
    ended; each returns the frames to write (``event: …\\ndata: …\\n\\n``), possibly none.
    ``model`` is the model the caller asked for, written in ``message_start``.
    """

    def __init__(self, *, model: str) -> None:
        self._model = model
        self._id = ""
        self._started = False
        self._finished = False
        self._next_block = 0
        self._open: int | None = None  # the index of the block still open
        self._open_is_text = False
        self._tools: dict[int, _ToolCallState] = {}  # OpenAI tool-call index -> state
        self._last_tool: int | None = None
        self._finish_reason: str | None = None
        self._refused = False
        self._usage: Usage | None = None

    @property
    def message_id(self) -> str:
        """The ``msg_…`` id of the message (empty before the first chunk)."""
        return self._id

    @property
    def finished(self) -> bool:
        """Whether :meth:`finish` has written ``message_stop``."""
        return self._finished

    def feed(self, chunk: ChatCompletionChunk) -> list[bytes]:
        """The frames ``chunk`` makes (nothing once finished)."""
        if self._finished:
            return []
        events: list[StreamEvent] = []
        if not self._started:
            events += self._start(chunk.id)
        if isinstance(chunk.usage, Usage):
            self._usage = chunk.usage
        for choice in chunk.choices:
            if choice.index != 0:
                continue  # the gateway never asks for more than one choice
            delta = choice.delta
            if isinstance(delta.content, str) and delta.content:
                events += self._text(delta.content)
            if isinstance(delta.refusal, str) and delta.refusal:
                self._refused = True
                events += self._text(delta.refusal)
            for call in delta.tool_calls if isinstance(delta.tool_calls, list) else []:
                events += self._tool_call(call)
            if choice.finish_reason is not None:
                self._finish_reason = choice.finish_reason
        return [sse_frame(event) for event in events]

    def finish(self) -> list[bytes]:
        """The closing frames: the open block's stop, ``message_delta`` and ``message_stop``."""
        if self._finished:
            return []
        self._finished = True
        events: list[StreamEvent] = []
        if not self._started:
            events += self._start("")
        for state in self._tools.values():
            if state.block is None:
                events += self._start_tool(state)
        events += self._close()
        reason = stop_reason(self._finish_reason, called_tools=bool(self._tools))
        if self._refused:
            reason = "refusal"
        usage = anthropic_usage(self._usage)
        events.append(
            MessageDelta(
                delta=MessageDeltaBody(stop_reason=reason),
                usage=DeltaUsage(
                    input_tokens=usage.input_tokens,
                    cache_creation_input_tokens=usage.cache_creation_input_tokens,
                    cache_read_input_tokens=usage.cache_read_input_tokens,
                    output_tokens=usage.output_tokens,
                ),
            )
        )
        events.append(MessageStop())
        return [sse_frame(event) for event in events]

    # -- events ----------------------------------------------------------------------------

    def _start(self, openai_id: str) -> list[StreamEvent]:
        self._started = True
        self._id = message_id(openai_id)
        message = AnthropicMessage(
            id=self._id,
            model=self._model,
            content=[],
            stop_reason=None,
            usage=AnthropicUsage(input_tokens=0, output_tokens=0),
        )
        return [MessageStart(message=message), Ping()]

    def _text(self, text: str) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        if self._open is None or not self._open_is_text:
            events += self._close()
            events.append(self._open_block(TextOutput(text=""), is_text=True))
        assert self._open is not None
        events.append(ContentBlockDelta(index=self._open, delta=TextDelta(text=text)))
        return events

    def _tool_call(self, call: ToolCall) -> list[StreamEvent]:
        index = self._tool_index(call)
        state = self._tools.setdefault(index, _ToolCallState())
        self._last_tool = index
        function = call.function if call.function is not UNSET else None
        if isinstance(call.id, str) and call.id and not state.id:
            state.id = call.id
        arguments = ""
        if function is not None:
            if isinstance(function.name, str) and function.name and state.block is None:
                state.name += function.name
            if isinstance(function.arguments, str):
                arguments = function.arguments
        if state.block is not None:
            return self._arguments(state, arguments)
        if not state.name:
            state.pending += arguments
            return []
        state.pending += arguments
        return self._start_tool(state)

    def _tool_index(self, call: ToolCall) -> int:
        """The OpenAI index of the call a fragment belongs to (some providers leave it out:
        a fragment with an id starts a new call, one without continues the last)."""
        if isinstance(call.index, int):
            return call.index
        if self._last_tool is not None and not (isinstance(call.id, str) and call.id):
            return self._last_tool
        return len(self._tools)

    def _start_tool(self, state: _ToolCallState) -> list[StreamEvent]:
        events = self._close()
        block = ToolUseOutput(id=state.id or new_tool_use_id(), name=state.name, input={})
        events.append(self._open_block(block, is_text=False))
        state.block = self._open
        arguments, state.pending = state.pending, ""
        return events + self._arguments(state, arguments)

    def _arguments(self, state: _ToolCallState, arguments: str) -> list[StreamEvent]:
        if not arguments or state.block is None:
            return []
        return [ContentBlockDelta(index=state.block, delta=InputJsonDelta(partial_json=arguments))]

    def _open_block(self, block: TextOutput | ToolUseOutput, *, is_text: bool) -> StreamEvent:
        self._open, self._open_is_text = self._next_block, is_text
        self._next_block += 1
        return ContentBlockStart(index=self._open, content_block=block)

    def _close(self) -> list[StreamEvent]:
        if self._open is None:
            return []
        index, self._open = self._open, None
        return [ContentBlockStop(index=index)]
