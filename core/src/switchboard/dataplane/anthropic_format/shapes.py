"""Anthropic's Messages API shapes as the gateway serves them on ``POST /v1/messages``.

The request side is what a client (the Anthropic SDK, Claude Code, ...) sends: every field
the API and the SDK know is declared, so what cannot be translated is reported rather than
silently lost; values may be ``null`` wherever the API allows leaving them out. Content
blocks and sources are tagged unions on ``type``, so a malformed block fails decoding with the
path of the field. Fields of the beta API and the SDK's newest releases are declared as
``Any``: they are only ever reported as dropped, never read.

The answer side (:class:`AnthropicMessage` and the stream events) is written exactly as the
API writes it: ``type`` first, ``null`` where the API writes ``null``.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

__all__ = [
    "AnthropicMessage",
    "AnthropicUsage",
    "Base64Source",
    "ContentBlockDelta",
    "ContentBlockStart",
    "ContentBlockStop",
    "ContentSource",
    "DeltaUsage",
    "DocumentBlock",
    "DocumentSource",
    "ErrorDetail",
    "ErrorEvent",
    "FileSource",
    "ImageBlock",
    "InputBlock",
    "InputJsonDelta",
    "InputMessage",
    "MessageDelta",
    "MessageDeltaBody",
    "MessageStart",
    "MessageStop",
    "MessagesRequest",
    "Metadata",
    "OutputBlock",
    "OutputConfig",
    "Ping",
    "PlainTextSource",
    "RedactedThinkingBlock",
    "StreamEvent",
    "TextBlock",
    "TextDelta",
    "TextOutput",
    "ThinkingBlock",
    "ToolChoice",
    "ToolDefinition",
    "ToolResultBlock",
    "ToolResultContent",
    "ToolUseBlock",
    "ToolUseOutput",
    "UrlSource",
    "sse_frame",
]


# -- the request -----------------------------------------------------------------------------


class _Block(msgspec.Struct, kw_only=True, tag_field="type"):
    """A content block; any of them may carry a prompt-caching breakpoint."""

    cache_control: dict[str, Any] | None = None


class TextBlock(_Block, tag="text"):
    """Text (also the shape of each ``system`` block)."""

    text: str
    citations: list[Any] | None = None


class Base64Source(msgspec.Struct, kw_only=True, tag="base64", tag_field="type"):
    """Inline bytes of an image or a PDF."""

    media_type: str
    data: str


class UrlSource(msgspec.Struct, kw_only=True, tag="url", tag_field="type"):
    """An image or a PDF the model's provider fetches."""

    url: str


class FileSource(msgspec.Struct, kw_only=True, tag="file", tag_field="type"):
    """A file uploaded to Anthropic's Files API (the gateway cannot read it)."""

    file_id: str


class PlainTextSource(msgspec.Struct, kw_only=True, tag="text", tag_field="type"):
    """A plain-text document."""

    data: str
    media_type: str = "text/plain"


class ContentSource(msgspec.Struct, kw_only=True, tag="content", tag_field="type"):
    """A document made of content blocks (for custom citations)."""

    content: str | list[Any]


DocumentSource = Base64Source | UrlSource | PlainTextSource | ContentSource | FileSource


class ImageBlock(_Block, tag="image"):
    """An image (jpeg, png, gif or webp) given inline or by URL."""

    source: Base64Source | UrlSource


class DocumentBlock(_Block, tag="document"):
    """A document: a PDF (inline, by URL or by file id), plain text or custom content."""

    source: DocumentSource
    title: str | None = None
    context: str | None = None
    citations: dict[str, Any] | None = None


class ToolUseBlock(_Block, tag="tool_use"):
    """A tool call the assistant made earlier; ``input`` is an object."""

    id: str
    name: str
    input: dict[str, Any]


ToolResultContent = TextBlock | ImageBlock | DocumentBlock


class ToolResultBlock(_Block, tag="tool_result"):
    """A tool's answer, in the user turn right after the call."""

    tool_use_id: str
    content: str | list[ToolResultContent] | None = None
    is_error: bool | None = None


class ThinkingBlock(_Block, tag="thinking"):
    """The model's reasoning from an earlier turn, passed back as the API asks."""

    thinking: str = ""
    signature: str = ""


class RedactedThinkingBlock(_Block, tag="redacted_thinking"):
    """Encrypted reasoning from an earlier turn."""

    data: str = ""


InputBlock = (
    TextBlock
    | ImageBlock
    | DocumentBlock
    | ToolUseBlock
    | ToolResultBlock
    | ThinkingBlock
    | RedactedThinkingBlock
)


class InputMessage(msgspec.Struct, kw_only=True):
    """One turn; ``system`` is the form SDK 2.x also types (top-level ``system`` is usual)."""

    role: Literal["user", "assistant", "system"]
    content: str | list[InputBlock]


class ToolDefinition(msgspec.Struct, kw_only=True):
    """A tool: a client tool (no ``type``, or ``custom``) or one of Anthropic's server tools.

    ``input_schema`` is required for client tools only, so it is checked when translating.
    """

    name: str
    input_schema: dict[str, Any] | None = None
    description: str | None = None
    type: str | None = None
    strict: bool | None = None
    cache_control: dict[str, Any] | None = None
    input_examples: Any = None
    defer_loading: Any = None
    allowed_callers: Any = None
    eager_input_streaming: Any = None


class ToolChoice(msgspec.Struct, kw_only=True):
    """How the model must use the tools; ``name`` goes with ``type: tool``."""

    type: Literal["auto", "any", "tool", "none"]
    name: str | None = None
    disable_parallel_tool_use: bool | None = None


class Metadata(msgspec.Struct, kw_only=True):
    """``metadata``: an opaque id of the end user."""

    user_id: str | None = None


class OutputConfig(msgspec.Struct, kw_only=True):
    """``output_config``: the effort level and the structured-output format."""

    effort: str | None = None
    format: dict[str, Any] | None = None


class MessagesRequest(msgspec.Struct, kw_only=True):
    """``POST /v1/messages`` body, as a client sends it.

    The first group is translated; ``top_k`` and the second group are reported as dropped
    whenever they are given (not ``null``).
    """

    model: str
    max_tokens: int
    messages: list[InputMessage]
    system: str | list[TextBlock] | None = None
    tools: list[ToolDefinition] | None = None
    tool_choice: ToolChoice | None = None
    stop_sequences: list[str] | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stream: bool | None = None
    metadata: Metadata | None = None
    service_tier: str | None = None
    output_config: OutputConfig | None = None
    thinking: dict[str, Any] | None = None
    # Known to the API or the SDK, with nothing to translate them to.
    cache_control: Any = None
    container: Any = None
    context_management: Any = None
    mcp_servers: Any = None
    inference_geo: Any = None
    speed: Any = None
    diagnostics: Any = None
    user_profile_id: Any = None
    workspace_id: Any = None
    compaction: Any = None
    fallbacks: Any = None
    fallback_credit_token: Any = None
    billing_policy: Any = None
    thread: Any = None


# -- the answer ------------------------------------------------------------------------------


class TextOutput(msgspec.Struct, tag="text", tag_field="type"):
    """A text block of an answer."""

    text: str


class ToolUseOutput(msgspec.Struct, tag="tool_use", tag_field="type"):
    """A tool call of an answer; ``input`` is an object."""

    id: str
    name: str
    input: dict[str, Any]


OutputBlock = TextOutput | ToolUseOutput


class AnthropicUsage(msgspec.Struct, kw_only=True):
    """Token usage; ``input_tokens`` excludes the cache reads and writes, as Anthropic's does."""

    input_tokens: int
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    output_tokens: int


class AnthropicMessage(msgspec.Struct, kw_only=True):
    """A whole answer (and, with empty ``content``, the ``message`` of ``message_start``)."""

    id: str
    type: Literal["message"] = "message"
    role: Literal["assistant"] = "assistant"
    model: str
    content: list[OutputBlock]
    stop_reason: str | None
    stop_sequence: str | None = None
    usage: AnthropicUsage


# -- stream events -----------------------------------------------------------------------------


class MessageStart(msgspec.Struct, tag="message_start", tag_field="type"):
    """``message_start``: the message with no content yet."""

    message: AnthropicMessage


class ContentBlockStart(msgspec.Struct, tag="content_block_start", tag_field="type"):
    """``content_block_start``; ``index`` counts every block of the message."""

    index: int
    content_block: OutputBlock


class TextDelta(msgspec.Struct, tag="text_delta", tag_field="type"):
    """More text of a text block."""

    text: str


class InputJsonDelta(msgspec.Struct, tag="input_json_delta", tag_field="type"):
    """More of a tool call's input, as a piece of JSON text."""

    partial_json: str


class ContentBlockDelta(msgspec.Struct, tag="content_block_delta", tag_field="type"):
    """``content_block_delta``."""

    index: int
    delta: TextDelta | InputJsonDelta


class ContentBlockStop(msgspec.Struct, tag="content_block_stop", tag_field="type"):
    """``content_block_stop``."""

    index: int


class MessageDeltaBody(msgspec.Struct):
    """Why the message stopped."""

    stop_reason: str | None
    stop_sequence: str | None = None


class DeltaUsage(msgspec.Struct, kw_only=True):
    """``message_delta.usage``: cumulative counts."""

    input_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    output_tokens: int


class MessageDelta(msgspec.Struct, tag="message_delta", tag_field="type"):
    """``message_delta``: the stop reason and the usage."""

    delta: MessageDeltaBody
    usage: DeltaUsage


class MessageStop(msgspec.Struct, tag="message_stop", tag_field="type"):
    """``message_stop``: the stream's last event."""


class Ping(msgspec.Struct, tag="ping", tag_field="type"):
    """``ping``: carries nothing."""


class ErrorDetail(msgspec.Struct):
    """``error``: Anthropic's ``type`` (``rate_limit_error``, ...) and a message."""

    type: str
    message: str


class ErrorEvent(msgspec.Struct, kw_only=True, tag="error", tag_field="type"):
    """An error body, and the ``error`` event of a stream (the same shape)."""

    error: ErrorDetail
    request_id: str | UnsetType = UNSET


StreamEvent = (
    MessageStart
    | ContentBlockStart
    | ContentBlockDelta
    | ContentBlockStop
    | MessageDelta
    | MessageStop
    | Ping
    | ErrorEvent
)


def sse_frame(event: StreamEvent) -> bytes:
    """``event`` framed as Anthropic streams it: ``event: <type>``, ``data: <json>``, blank line."""
    name = type(event).__struct_config__.tag
    return b"event: %s\ndata: %s\n\n" % (str(name).encode(), msgspec.json.encode(event))
