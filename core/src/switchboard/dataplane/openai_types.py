"""OpenAI chat-completion shapes: the gateway's canonical request and answer.

Every provider plugin translates from :class:`ChatCompletionRequest` to its native call and
back to :class:`ChatCompletion` / :class:`ChatCompletionChunk`, so hooks and the core see one
shape whichever provider answers. Field names are OpenAI's own snake_case. Optional fields
default to ``UNSET`` and are left out when encoding, so a request forwarded to OpenAI carries
only what the caller sent. Fields OpenAI's schema requires even when empty (``content`` and
``refusal`` of an answer, ``logprobs``, a chunk's ``finish_reason``) default to ``None`` and
are always written, as ``null``.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

__all__ = [
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatCompletionRequest",
    "ChatMessage",
    "Choice",
    "ChunkChoice",
    "ChunkDelta",
    "ContentPart",
    "Embedding",
    "EmbeddingRequest",
    "EmbeddingResponse",
    "EmbeddingUsage",
    "FunctionCall",
    "FunctionDefinition",
    "ResponseMessage",
    "StreamOptions",
    "Tool",
    "ToolCall",
    "Usage",
]

Role = Literal["developer", "system", "user", "assistant", "tool", "function"]
FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "function_call"]


class _Shape(msgspec.Struct, kw_only=True):
    """Base of the wire shapes: ``UNSET`` fields are omitted when encoding."""


class ContentPart(_Shape):
    """One part of a multi-part message: ``text``, ``image_url``, ``input_audio`` or ``file``.

    The part's own payload keeps OpenAI's nesting (``image_url: {url, detail}``) as plain
    JSON values because providers translate each kind differently.
    """

    type: str
    text: str | UnsetType = UNSET
    image_url: dict[str, Any] | UnsetType = UNSET
    input_audio: dict[str, Any] | UnsetType = UNSET
    file: dict[str, Any] | UnsetType = UNSET
    refusal: str | UnsetType = UNSET


class FunctionCall(_Shape):
    """A function the model calls; ``arguments`` is always a JSON string."""

    name: str | UnsetType = UNSET
    arguments: str | UnsetType = UNSET


class ToolCall(_Shape):
    """A tool call in an assistant message (or, with ``index``, a fragment of one in a chunk)."""

    id: str | UnsetType = UNSET
    type: Literal["function"] | UnsetType = UNSET
    function: FunctionCall | UnsetType = UNSET
    index: int | UnsetType = UNSET


class ChatMessage(_Shape):
    """One message of a conversation."""

    role: Role
    content: str | list[ContentPart] | UnsetType | None = UNSET
    name: str | UnsetType = UNSET
    tool_calls: list[ToolCall] | UnsetType = UNSET
    tool_call_id: str | UnsetType = UNSET
    refusal: str | UnsetType | None = UNSET


class FunctionDefinition(_Shape):
    """A function the model may call; ``parameters`` is a JSON Schema object."""

    name: str
    description: str | UnsetType = UNSET
    parameters: dict[str, Any] | UnsetType = UNSET
    strict: bool | UnsetType | None = UNSET


class Tool(_Shape):
    """A tool offered to the model."""

    function: FunctionDefinition
    type: Literal["function"] = "function"


class StreamOptions(_Shape):
    """Streaming options; the gateway always asks providers for usage."""

    include_usage: bool | UnsetType = UNSET


class ChatCompletionRequest(_Shape):
    """``POST /v1/chat/completions`` body. ``model`` is the AI resource's name."""

    model: str
    messages: list[ChatMessage]
    stream: bool | UnsetType = UNSET
    stream_options: StreamOptions | UnsetType | None = UNSET
    tools: list[Tool] | UnsetType = UNSET
    tool_choice: str | dict[str, Any] | UnsetType = UNSET
    parallel_tool_calls: bool | UnsetType = UNSET
    max_tokens: int | UnsetType | None = UNSET
    max_completion_tokens: int | UnsetType | None = UNSET
    temperature: float | UnsetType | None = UNSET
    top_p: float | UnsetType | None = UNSET
    n: int | UnsetType | None = UNSET
    stop: str | list[str] | UnsetType | None = UNSET
    seed: int | UnsetType | None = UNSET
    presence_penalty: float | UnsetType | None = UNSET
    frequency_penalty: float | UnsetType | None = UNSET
    logit_bias: dict[str, int] | UnsetType | None = UNSET
    logprobs: bool | UnsetType | None = UNSET
    top_logprobs: int | UnsetType | None = UNSET
    response_format: dict[str, Any] | UnsetType = UNSET
    reasoning_effort: str | UnsetType | None = UNSET
    service_tier: str | UnsetType | None = UNSET
    metadata: dict[str, str] | UnsetType | None = UNSET
    user: str | UnsetType = UNSET

    @property
    def expected_completion_tokens(self) -> int | None:
        """The completion budget the caller set, if any (``max_completion_tokens`` first)."""
        for value in (self.max_completion_tokens, self.max_tokens):
            if isinstance(value, int):
                return value
        return None


class Usage(_Shape):
    """Token usage as OpenAI reports it."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: dict[str, int] | UnsetType = UNSET
    completion_tokens_details: dict[str, int] | UnsetType = UNSET


class ResponseMessage(_Shape):
    """The assistant's message in an answer; ``content`` is ``None`` when it only calls tools."""

    content: str | None = None
    refusal: str | None = None
    tool_calls: list[ToolCall] | UnsetType = UNSET
    role: Literal["assistant"] = "assistant"


class Choice(_Shape):
    """One answer of a complete (non-streamed) completion."""

    index: int
    message: ResponseMessage
    finish_reason: FinishReason | None
    logprobs: dict[str, Any] | None = None


class ChatCompletion(_Shape):
    """A complete chat-completion answer."""

    id: str
    created: int
    model: str
    choices: list[Choice]
    object: Literal["chat.completion"] = "chat.completion"
    usage: Usage | UnsetType = UNSET
    system_fingerprint: str | UnsetType = UNSET
    service_tier: str | UnsetType | None = UNSET


class ChunkDelta(_Shape):
    """What one stream chunk adds to a choice."""

    role: Role | UnsetType = UNSET
    content: str | UnsetType | None = UNSET
    tool_calls: list[ToolCall] | UnsetType = UNSET
    refusal: str | UnsetType | None = UNSET


class ChunkChoice(_Shape):
    """One choice's part of a stream chunk."""

    index: int
    delta: ChunkDelta
    finish_reason: FinishReason | None = None
    logprobs: dict[str, Any] | UnsetType | None = UNSET


class ChatCompletionChunk(_Shape):
    """One server-sent event of a streamed completion."""

    id: str
    created: int
    model: str
    choices: list[ChunkChoice]
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    usage: Usage | UnsetType | None = UNSET
    system_fingerprint: str | UnsetType = UNSET


class EmbeddingRequest(_Shape):
    """``POST /v1/embeddings`` body. ``model`` is the AI resource's name."""

    model: str
    input: str | list[str | int | list[int]]
    encoding_format: Literal["float", "base64"] | UnsetType = UNSET
    dimensions: int | UnsetType = UNSET
    user: str | UnsetType = UNSET

    def __post_init__(self) -> None:
        # OpenAI takes a string, strings, one token array or token arrays; never a mix.
        if isinstance(self.input, list):
            kinds = {type(item) for item in self.input}
            if not self.input or len(kinds) > 1:
                raise ValueError(
                    "input must be a string, a list of strings, a list of token ids or a "
                    "list of token-id lists"
                )

    @property
    def texts(self) -> list[str] | None:
        """The inputs as strings, or ``None`` when they are token arrays."""
        if isinstance(self.input, str):
            return [self.input]
        if all(isinstance(item, str) for item in self.input):
            return [str(item) for item in self.input]
        return None


class Embedding(_Shape):
    """One input's vector (a list of floats, or base64 of packed float32 values)."""

    index: int
    embedding: list[float] | str
    object: Literal["embedding"] = "embedding"


class EmbeddingUsage(_Shape):
    """Tokens an embedding request used."""

    prompt_tokens: int
    total_tokens: int


class EmbeddingResponse(_Shape):
    """The answer to an embeddings request, in input order."""

    data: list[Embedding]
    model: str
    usage: EmbeddingUsage
    object: Literal["list"] = "list"
