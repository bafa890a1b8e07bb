"""Gemini's ``streamGenerateContent?alt=sse`` as OpenAI ``ChatCompletionChunk``\\ s.

Each SSE ``data:`` payload is a whole ``GenerateContentResponse`` holding only what is new:
text fragments, whole ``functionCall`` parts, and on the last one ``finishReason`` (usage may
come on several; the last one counts). There is no ``[DONE]``: the stream ends when the
connection closes, so an answer without a ``finishReason`` was cut short (``network``).

What the gateway's callers get, per OpenAI's convention:

- every chunk has the same ``id`` (``chatcmpl-<responseId>``) and ``created``;
- a choice's first delta carries ``role: "assistant"``; text arrives as ``content`` deltas;
- a function call becomes two deltas of tool call ``index`` *n*: ``id``, ``type`` and
  ``function.name`` (with ``arguments: ""``), then the whole ``args`` as one ``arguments``
  fragment (Gemini sends a call whole);
- then a delta-less chunk with the choice's ``finish_reason`` (see response.py);
- last, a chunk with ``choices: []`` and the full ``usage``.

A blocked prompt, or an answer stopped before producing anything, raises before any chunk is
yielded (as the plain answer does); once something was sent, a filter stop ends the choice with
``content_filter`` instead. Failures after the 200 arrive as Google's error object — as a
``data:`` payload or as raw (unprefixed) JSON lines — and map like HTTP errors.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec

from switchboard.dataplane.openai_types import (
    ChatCompletionChunk,
    ChunkChoice,
    ChunkDelta,
    FunctionCall,
    ToolCall,
)
from switchboard.interfaces.provider import ProviderError
from switchboard.upstream import response_lines
from switchboard_gemini.errors import PROVIDER, error_from_body, error_in_payload, malformed
from switchboard_gemini.native import GenerateContentResponse, UsageMetadata
from switchboard_gemini.response import (
    FinishReason,
    candidate_failure,
    completion_id,
    finish_reason,
    prompt_blocked,
    read_candidate,
    tool_call,
    usage,
)

if TYPE_CHECKING:
    from switchboard.http_client import Response

__all__ = ["StreamTranslator", "decode_payload", "stream_payloads"]


async def stream_payloads(response: Response) -> AsyncIterator[str]:
    """The JSON texts of a Gemini stream: each SSE ``data:`` event, and each raw JSON object.

    :func:`switchboard.upstream.sse_events` cannot serve here: it skips lines that are not SSE
    fields, which is how Gemini sends a failure after the 200. The lines themselves come from
    :func:`switchboard.upstream.response_lines` (no length cap, lenient decoding).
    """
    data: list[str] = []
    raw: list[str] = []
    async for line in response_lines(response):
        if raw or line.lstrip()[:1] in ("{", "["):
            # A raw JSON object spread over lines: complete once it parses.
            raw.append(line)
            if _is_json("\n".join(raw)):
                yield "\n".join(raw)
                raw = []
        elif not line:
            if data:
                yield "\n".join(data)
            data = []
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
        # Other SSE fields (event:, id:, retry:, comments) carry nothing for Gemini.
    if data:
        yield "\n".join(data)
    if raw:
        yield "\n".join(raw)  # unfinished: decoding reports it as malformed


def _is_json(text: str) -> bool:
    try:
        msgspec.json.decode(text)
    except msgspec.DecodeError:
        return False
    return True


def decode_payload(text: str, *, secret: str | None = None) -> GenerateContentResponse:
    """One stream payload; Google's error object raises as the error it describes."""
    try:
        payload: Any = msgspec.json.decode(text)
    except msgspec.DecodeError as exc:
        raise malformed("a malformed stream event", exc) from None
    if isinstance(payload, list) and len(payload) == 1:
        payload = payload[0]
    error = error_in_payload(payload)
    if error is not None:
        raise error_from_body(None, error, secret=secret, mid_stream=True)
    try:
        return msgspec.convert(payload, GenerateContentResponse)
    except msgspec.ValidationError as exc:
        raise malformed("a malformed stream event", exc) from None


@dataclass
class _Choice:
    """What one candidate has sent so far."""

    started: bool = False
    produced: bool = False
    calls: int = 0
    finished: bool = False


class StreamTranslator:
    """Turns each payload of one stream into OpenAI chunks; :meth:`finish` adds the usage."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.id: str | None = None
        self.created = int(time.time())
        self.choices: dict[int, _Choice] = {}
        self.usage_metadata: UsageMetadata | None = None
        self.emitted = False

    def _chunk(
        self, index: int, delta: ChunkDelta, finish: FinishReason | None = None
    ) -> ChatCompletionChunk:
        choice = self.choices[index]
        if not choice.started:
            delta.role = "assistant"
            choice.started = True
        assert self.id is not None
        return ChatCompletionChunk(
            id=self.id,
            created=self.created,
            model=self.model,
            choices=[ChunkChoice(index=index, delta=delta, finish_reason=finish)],
        )

    def feed(self, payload: GenerateContentResponse) -> list[ChatCompletionChunk]:
        """The chunks for one payload (possibly none)."""
        if self.id is None:
            self.id = completion_id(payload)
            self.model = payload.model_version or self.model
        if payload.usage_metadata is not None:
            self.usage_metadata = payload.usage_metadata
        blocked = prompt_blocked(payload)
        if blocked is not None:
            raise blocked
        chunks: list[ChatCompletionChunk] = []
        failures: list[ProviderError] = []
        for position, candidate in enumerate(payload.candidates):
            index = candidate.index if candidate.index is not None else position
            choice = self.choices.setdefault(index, _Choice())
            if choice.finished:
                continue
            texts, calls = read_candidate(candidate)
            if text := "".join(texts):
                chunks.append(self._chunk(index, ChunkDelta(content=text)))
                choice.produced = True
            for call, signature in calls:
                whole = tool_call(choice.calls, call, signature)
                assert isinstance(whole.function, FunctionCall)
                name = FunctionCall(name=whole.function.name, arguments="")
                head = ToolCall(index=choice.calls, id=whole.id, type="function", function=name)
                arguments = FunctionCall(arguments=whole.function.arguments)
                tail = ToolCall(index=choice.calls, function=arguments)
                chunks.append(self._chunk(index, ChunkDelta(tool_calls=[head])))
                chunks.append(self._chunk(index, ChunkDelta(tool_calls=[tail])))
                choice.calls += 1
                choice.produced = True
            if candidate.finish_reason is not None:
                failure = None if choice.produced else candidate_failure(candidate)
                if failure is not None:
                    failures.append(failure)
                choice.finished = True
                finish = finish_reason(candidate.finish_reason, choice.calls > 0)
                chunks.append(self._chunk(index, ChunkDelta(), finish))
        if failures and not self.emitted and not any(c.produced for c in self.choices.values()):
            # Nothing reached the caller yet: fail the request instead of an empty answer.
            raise failures[0]
        self.emitted = self.emitted or bool(chunks)
        return chunks

    def finish(self) -> ChatCompletionChunk:
        """The closing chunk with the usage, once the stream ended; a cut stream raises."""
        if not self.choices or not all(c.finished for c in self.choices.values()):
            raise ProviderError(
                "network", f"{PROVIDER} ended the stream before the answer was complete"
            )
        assert self.id is not None
        return ChatCompletionChunk(
            id=self.id,
            created=self.created,
            model=self.model,
            choices=[],
            usage=usage(self.usage_metadata),
        )
