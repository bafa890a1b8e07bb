"""Anthropic's named stream events as OpenAI ``chat.completion.chunk`` objects.

========================================  ================================================
Anthropic event                           OpenAI chunks
========================================  ================================================
``message_start``                         the first chunk: ``delta {role: assistant,
                                          content: ""}``; its id and model serve every chunk
``content_block_start`` ``tool_use``      ``delta.tool_calls[{index, id, type, function
                                          {name, arguments: ""}}]``
``content_block_delta`` ``text_delta``    ``delta.content``
``content_block_delta``                   ``delta.tool_calls[{index, function{arguments}}]``
``input_json_delta``                      (the fragments as they come)
``content_block_stop`` of a tool call     ``arguments: "{}"`` when no fragment came, so the
                                          arguments always parse
``message_delta``                         nothing yet: keeps ``stop_reason`` and the
                                          cumulative usage
``message_stop``                          a chunk with the ``finish_reason``, then one with
                                          ``choices: []`` and the whole ``usage``
``error``                                 :class:`ProviderError` by the error's type
``ping``, thinking, unknown events        nothing
========================================  ================================================

OpenAI's tool-call ``index`` counts tool calls; Anthropic's block ``index`` counts every
block (text and thinking too), hence the map between the two.
"""

from __future__ import annotations

import time
from typing import TypeVar

import msgspec

from switchboard.dataplane.openai_types import (
    ChatCompletionChunk,
    ChunkChoice,
    ChunkDelta,
    FunctionCall,
    ToolCall,
)
from switchboard.interfaces.provider import ProviderError
from switchboard.upstream import SSEEvent
from switchboard_anthropic.errors import stream_error
from switchboard_anthropic.response import finish_reason, openai_usage
from switchboard_anthropic.wire import (
    AnswerUsage,
    ContentBlockDelta,
    ContentBlockStart,
    ContentBlockStop,
    DeltaUsage,
    MessageDelta,
    MessageStart,
)

__all__ = ["StreamTranslator"]

_Event = TypeVar("_Event", bound=msgspec.Struct)
_IN_A_MESSAGE = frozenset(
    {
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    }
)


class StreamTranslator:
    """Turns one stream's events into OpenAI chunks; :attr:`finished` after ``message_stop``.

    ``secret`` is kept out of error messages.
    """

    def __init__(self, *, secret: str | None = None) -> None:
        self.finished = False
        self._secret = secret
        self._id = ""
        self._model = ""
        self._created = int(time.time())
        self._tool_index: dict[int, int] = {}  # block index -> OpenAI tool-call index
        self._arguments_sent: set[int] = set()  # block indexes whose arguments have begun
        self._stop_reason: str | None = None
        self._usage = AnswerUsage(input_tokens=0, output_tokens=0)

    def feed(self, event: SSEEvent) -> list[ChatCompletionChunk]:
        """The chunks ``event`` makes (often none)."""
        if self.finished:
            return []
        if event.event == "error":
            raise stream_error(event.data, secret=self._secret)
        if event.event == "message_start":
            return self._start(self._decode(event, MessageStart))
        if event.event not in _IN_A_MESSAGE:
            # ping, and event types newer than this plugin: Anthropic asks clients to skip them.
            return []
        if not self._id:
            raise self._malformed(f"{event.event} before message_start")
        if event.event == "content_block_start":
            return self._block_start(self._decode(event, ContentBlockStart))
        if event.event == "content_block_delta":
            return self._block_delta(self._decode(event, ContentBlockDelta))
        if event.event == "content_block_stop":
            return self._block_stop(self._decode(event, ContentBlockStop))
        if event.event == "message_delta":
            self._message_delta(self._decode(event, MessageDelta))
            return []
        self.finished = True  # message_stop
        return self._finish()

    # -- events ----------------------------------------------------------------------------

    def _start(self, event: MessageStart) -> list[ChatCompletionChunk]:
        message = event.message
        self._id, self._model, self._usage = message.id, message.model, message.usage
        return [self._chunk(ChunkDelta(role="assistant", content=""))]

    def _block_start(self, event: ContentBlockStart) -> list[ChatCompletionChunk]:
        block = event.content_block
        if block.type == "text" and block.text:
            return [self._chunk(ChunkDelta(content=block.text))]
        if block.type != "tool_use":
            return []
        if not block.id or not block.name:
            raise self._malformed("a tool_use block without id or name")
        index = self._tool_index.setdefault(event.index, len(self._tool_index))
        # The first fragment names the call; the input (always {} here) follows as JSON text.
        first = ToolCall(
            index=index,
            id=block.id,
            type="function",
            function=FunctionCall(name=block.name, arguments=""),
        )
        return [self._chunk(ChunkDelta(tool_calls=[first]))]

    def _block_delta(self, event: ContentBlockDelta) -> list[ChatCompletionChunk]:
        delta = event.delta
        if delta.type == "text_delta" and delta.text:
            return [self._chunk(ChunkDelta(content=delta.text))]
        if delta.type == "input_json_delta" and delta.partial_json:
            if event.index not in self._tool_index:
                raise self._malformed("input_json_delta for a block that is not a tool call")
            self._arguments_sent.add(event.index)
            return [self._arguments(event.index, delta.partial_json)]
        return []

    def _block_stop(self, event: ContentBlockStop) -> list[ChatCompletionChunk]:
        if event.index in self._tool_index and event.index not in self._arguments_sent:
            # A call without arguments sends no fragment; OpenAI clients parse the arguments.
            return [self._arguments(event.index, "{}")]
        return []

    def _message_delta(self, event: MessageDelta) -> None:
        if event.delta.stop_reason is not None:
            self._stop_reason = event.delta.stop_reason
        usage = event.usage
        if usage is None:
            return
        # Cumulative counts: the latest value of each field given is the total.
        for field in DeltaUsage.__struct_fields__:
            value = getattr(usage, field)
            if value is not None:
                setattr(self._usage, field, value)

    def _finish(self) -> list[ChatCompletionChunk]:
        last = self._chunk(ChunkDelta(), finish=True)
        totals = ChatCompletionChunk(
            id=self._id,
            created=self._created,
            model=self._model,
            choices=[],
            usage=openai_usage(self._usage),
        )
        return [last, totals]

    # -- plumbing ----------------------------------------------------------------------------

    def _chunk(self, delta: ChunkDelta, *, finish: bool = False) -> ChatCompletionChunk:
        choice = ChunkChoice(
            index=0, delta=delta, finish_reason=finish_reason(self._stop_reason) if finish else None
        )
        return ChatCompletionChunk(
            id=self._id, created=self._created, model=self._model, choices=[choice]
        )

    def _arguments(self, block_index: int, fragment: str) -> ChatCompletionChunk:
        fragment_call = ToolCall(
            index=self._tool_index[block_index], function=FunctionCall(arguments=fragment)
        )
        return self._chunk(ChunkDelta(tool_calls=[fragment_call]))

    def _decode(self, event: SSEEvent, kind: type[_Event]) -> _Event:
        try:
            return msgspec.json.decode(event.data, type=kind)
        except msgspec.DecodeError as exc:
            raise self._malformed(f"unreadable {event.event} event: {exc}") from None

    @staticmethod
    def _malformed(what: str) -> ProviderError:
        return ProviderError("server_error", f"anthropic sent a malformed stream: {what}")
