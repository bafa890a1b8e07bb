"""ConverseStream: AWS event-stream messages as the gateway's OpenAI chunks.

The body (``application/vnd.amazon.eventstream``) is decoded with botocore's
``EventStreamBuffer``, fed the bytes as they arrive; CRC and framing errors are a
``server_error``, a body that ends inside a message a ``network`` error.

| event (``:event-type``)                 | chunk                                              |
|-----------------------------------------|----------------------------------------------------|
| ``messageStart``                        | ``delta: {role: "assistant", content: ""}``        |
| ``contentBlockStart`` with ``toolUse``  | ``tool_calls[{index, id, type, function{name}}]``  |
| ``contentBlockDelta`` ``text``          | ``delta.content``                                  |
| ``contentBlockDelta`` ``toolUse.input`` | ``tool_calls[{index, function{arguments}}]``       |
| ``messageStop``                         | ``delta: {}`` with the ``finish_reason``           |
| ``metadata`` (after ``messageStop``)    | ``choices: []`` with the whole ``usage``           |
| ``:message-type: exception`` / ``error``| a :class:`ProviderError` of the exception's class  |

``contentBlockIndex`` counts every block (text and reasoning too); OpenAI's tool-call
``index`` counts tool calls only, so the first tool block is index 0 whatever its block
index. Reasoning and citation deltas have no OpenAI field and are skipped. A stream that
ends before ``messageStop`` or before its usage is a ``network`` error: the answer or its
accounting is incomplete.
"""

from __future__ import annotations

import struct
from typing import Any, TypeVar

import msgspec
from botocore.eventstream import EventStreamBuffer, ParserError

from switchboard.dataplane.openai_types import (
    ChatCompletionChunk,
    ChunkChoice,
    ChunkDelta,
    FunctionCall,
    ToolCall,
    Usage,
)
from switchboard.interfaces.provider import ProviderError
from switchboard_bedrock.errors import PROVIDER, stream_error, stream_exception
from switchboard_bedrock.native import (
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    MessageStopEvent,
    MetadataEvent,
)
from switchboard_bedrock.response import FinishReason, finish_reason, openai_usage

__all__ = ["ChunkTranslator", "EventMessage", "EventStreamDecoder"]

_Event = TypeVar("_Event", bound=msgspec.Struct)


class EventMessage(msgspec.Struct, frozen=True):
    """One decoded event-stream message: its headers and its (JSON) payload."""

    headers: dict[str, Any]
    payload: bytes

    def header(self, name: str) -> str:
        """A string header, ``""`` when absent."""
        value = self.headers.get(name)
        return value if isinstance(value, str) else ""


class EventStreamDecoder:
    """Whole messages out of the bytes of an event stream, in any chunking."""

    def __init__(self) -> None:
        self._buffer = EventStreamBuffer()
        self._received = 0
        self._decoded = 0

    def feed(self, data: bytes) -> list[EventMessage]:
        """Add bytes; return the messages they complete."""
        self._buffer.add_data(data)
        self._received += len(data)
        messages: list[EventMessage] = []
        try:
            for message in self._buffer:
                self._decoded += int(message.prelude.total_length)
                messages.append(EventMessage(dict(message.headers), bytes(message.payload)))
        except (ParserError, KeyError, ValueError, struct.error) as exc:
            # CRC and length errors are botocore's ParserError; headers that pass the CRC
            # but hold an unknown type or bad UTF-8 surface as KeyError or ValueError.
            raise ProviderError(
                "server_error", f"{PROVIDER} sent a malformed event stream ({type(exc).__name__})"
            ) from None
        return messages

    def close(self) -> None:
        """The body ended: it must not end inside a message."""
        if self._received != self._decoded:
            raise ProviderError("network", f"{PROVIDER} ended the stream inside an event")


class ChunkTranslator:
    """Turns the events of one ConverseStream into OpenAI chunks of one completion."""

    def __init__(self, *, answer_id: str, created: int, model: str) -> None:
        self.answer_id = answer_id
        self.created = created
        self.model = model
        self._started = False
        self._tool_index: dict[int, int] = {}
        self._finish: FinishReason | None = None
        self._usage: Usage | None = None
        self._usage_sent = False

    def translate(self, message: EventMessage) -> list[ChatCompletionChunk]:
        """The chunks one message makes (often one, sometimes none)."""
        kind = message.header(":message-type")
        if kind == "exception":
            raise stream_exception(message.header(":exception-type"), message.payload)
        if kind == "error":
            raise stream_error(message.header(":error-code"), message.header(":error-message"))
        if kind != "event":
            return []
        event = message.header(":event-type")
        if event == "messageStart":
            return self._start()
        if event == "contentBlockStart":
            return self._block_start(_decode(message, ContentBlockStartEvent))
        if event == "contentBlockDelta":
            return self._block_delta(_decode(message, ContentBlockDeltaEvent))
        if event == "messageStop":
            self._finish = finish_reason(_decode(message, MessageStopEvent).stop_reason)
            return [self._chunk(ChunkDelta(), finish=self._finish), *self._usage_chunk()]
        if event == "metadata":
            self._usage = openai_usage(_decode(message, MetadataEvent).usage)
            return self._usage_chunk()
        return []  # contentBlockStop, and event types newer than this plugin

    def finish(self) -> None:
        """The stream ended: it must have said why it stopped and what it used."""
        if self._finish is None:
            raise ProviderError("network", f"{PROVIDER} ended the stream before messageStop")
        if self._usage is None:
            raise ProviderError("network", f"{PROVIDER} ended the stream before its usage")

    # -- events ----------------------------------------------------------------------------

    def _start(self) -> list[ChatCompletionChunk]:
        if self._started:
            return []
        self._started = True
        return [self._chunk(ChunkDelta(role="assistant", content=""))]

    def _block_start(self, event: ContentBlockStartEvent) -> list[ChatCompletionChunk]:
        tool = event.start.tool_use
        if tool is None:
            return []
        index = self._tool_index.setdefault(event.content_block_index, len(self._tool_index))
        fragment = ToolCall(
            index=index,
            id=tool.tool_use_id,
            type="function",
            function=FunctionCall(name=tool.name, arguments=""),
        )
        return [*self._start(), self._chunk(ChunkDelta(tool_calls=[fragment]))]

    def _block_delta(self, event: ContentBlockDeltaEvent) -> list[ChatCompletionChunk]:
        delta = event.delta
        if delta.text:
            return [*self._start(), self._chunk(ChunkDelta(content=delta.text))]
        if delta.tool_use is not None:
            index = self._tool_index.get(event.content_block_index)
            if index is None:
                raise ProviderError(
                    "server_error", f"{PROVIDER} sent tool input for a block that never started"
                )
            fragment = ToolCall(index=index, function=FunctionCall(arguments=delta.tool_use.input))
            return [self._chunk(ChunkDelta(tool_calls=[fragment]))]
        return []

    # -- chunks ----------------------------------------------------------------------------

    def _chunk(self, delta: ChunkDelta, finish: FinishReason | None = None) -> ChatCompletionChunk:
        return ChatCompletionChunk(
            id=self.answer_id,
            created=self.created,
            model=self.model,
            choices=[ChunkChoice(index=0, delta=delta, finish_reason=finish)],
        )

    def _usage_chunk(self) -> list[ChatCompletionChunk]:
        """The usage chunk, once both the finish and the usage are known (in either order)."""
        if self._usage is None or self._finish is None or self._usage_sent:
            return []
        self._usage_sent = True
        return [
            ChatCompletionChunk(
                id=self.answer_id,
                created=self.created,
                model=self.model,
                choices=[],
                usage=self._usage,
            )
        ]


def _decode(message: EventMessage, event_type: type[_Event]) -> _Event:
    try:
        return msgspec.json.decode(message.payload, type=event_type)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ProviderError(
            "server_error",
            f"{PROVIDER} sent a malformed {message.header(':event-type')} event: {exc}",
        ) from None
