"""Anthropic's Messages API shapes, as this plugin sends and reads them.

Requests are built from typed Structs (``UNSET`` fields are left out of the JSON). Answers,
stream events and errors are decoded leniently: unknown fields are ignored, and content
blocks keep a free ``type`` so that block kinds this plugin does not translate (thinking,
server tools, ...) are skipped instead of failing the whole answer.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

__all__ = [
    "AnswerBlock",
    "AnswerUsage",
    "Base64Source",
    "BlockDelta",
    "ContentBlockDelta",
    "ContentBlockStart",
    "ContentBlockStop",
    "DeltaUsage",
    "DocumentBlock",
    "ErrorEnvelope",
    "ErrorObject",
    "ImageBlock",
    "InputBlock",
    "InputMessage",
    "JsonSchemaFormat",
    "MessageAnswer",
    "MessageDelta",
    "MessageDeltaBody",
    "MessageStart",
    "MessagesRequest",
    "Metadata",
    "ModelInfo",
    "ModelPage",
    "OutputConfig",
    "OutputTokensDetails",
    "TextBlock",
    "ToolChoice",
    "ToolDefinition",
    "ToolResultBlock",
    "ToolUseBlock",
    "UrlSource",
]


# -- the request ---------------------------------------------------------------------------


class TextBlock(msgspec.Struct, tag="text", tag_field="type"):
    """Text; Anthropic refuses empty ones."""

    text: str


class Base64Source(msgspec.Struct, tag="base64", tag_field="type"):
    """Inline bytes of an image or a PDF."""

    media_type: str
    data: str


class UrlSource(msgspec.Struct, tag="url", tag_field="type"):
    """An image or PDF Anthropic fetches itself."""

    url: str


class ImageBlock(msgspec.Struct, tag="image", tag_field="type"):
    """An image (jpeg, png, gif or webp)."""

    source: Base64Source | UrlSource


class DocumentBlock(msgspec.Struct, tag="document", tag_field="type", kw_only=True):
    """A PDF document."""

    source: Base64Source | UrlSource
    title: str | UnsetType = UNSET


class ToolUseBlock(msgspec.Struct, tag="tool_use", tag_field="type"):
    """A tool call the assistant made earlier; ``input`` is an object, not a JSON string."""

    id: str
    name: str
    input: dict[str, Any]


class ToolResultBlock(msgspec.Struct, tag="tool_result", tag_field="type", kw_only=True):
    """A tool's answer, in the user turn right after the call."""

    tool_use_id: str
    content: str | list[TextBlock] | UnsetType = UNSET


InputBlock = TextBlock | ImageBlock | DocumentBlock | ToolUseBlock | ToolResultBlock


class InputMessage(msgspec.Struct):
    """One turn of the conversation."""

    role: Literal["user", "assistant"]
    content: list[InputBlock]


class ToolDefinition(msgspec.Struct, kw_only=True):
    """A client tool the model may call."""

    name: str
    input_schema: dict[str, Any]
    description: str | UnsetType = UNSET
    strict: bool | UnsetType = UNSET


class ToolChoice(msgspec.Struct, kw_only=True):
    """How the model must use the tools."""

    type: Literal["auto", "any", "tool", "none"]
    name: str | UnsetType = UNSET
    disable_parallel_tool_use: bool | UnsetType = UNSET


class JsonSchemaFormat(msgspec.Struct, tag="json_schema", tag_field="type"):
    """Structured output: the answer's text is JSON matching ``schema``."""

    schema: dict[str, Any]


class OutputConfig(msgspec.Struct, kw_only=True):
    """``output_config``: effort and output format."""

    effort: str | UnsetType = UNSET
    format: JsonSchemaFormat | UnsetType = UNSET


class Metadata(msgspec.Struct):
    """``metadata``: an opaque end-user id for abuse detection."""

    user_id: str


class MessagesRequest(msgspec.Struct, kw_only=True):
    """``POST /v1/messages`` body."""

    model: str
    max_tokens: int
    messages: list[InputMessage]
    system: list[TextBlock] | UnsetType = UNSET
    tools: list[ToolDefinition] | UnsetType = UNSET
    tool_choice: ToolChoice | UnsetType = UNSET
    stop_sequences: list[str] | UnsetType = UNSET
    temperature: float | UnsetType = UNSET
    top_p: float | UnsetType = UNSET
    metadata: Metadata | UnsetType = UNSET
    output_config: OutputConfig | UnsetType = UNSET
    service_tier: str | UnsetType = UNSET
    stream: bool | UnsetType = UNSET


# -- the answer ----------------------------------------------------------------------------


class AnswerBlock(msgspec.Struct):
    """A content block of an answer; only ``text`` and ``tool_use`` are translated."""

    type: str
    text: str | None = None
    id: str | None = None
    name: str | None = None
    input: Any = None


class OutputTokensDetails(msgspec.Struct):
    """How many of the output tokens were thinking."""

    thinking_tokens: int = 0


class AnswerUsage(msgspec.Struct):
    """Token usage of an answer; input excludes the cache reads and writes."""

    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    output_tokens_details: OutputTokensDetails | None = None


class MessageAnswer(msgspec.Struct):
    """A whole answer (and, with empty content, a stream's ``message_start.message``)."""

    id: str
    type: Literal["message"]
    model: str
    content: list[AnswerBlock]
    usage: AnswerUsage
    stop_reason: str | None = None
    stop_sequence: str | None = None


# -- stream events -------------------------------------------------------------------------


class MessageStart(msgspec.Struct):
    """``message_start``: the id, model and input usage."""

    message: MessageAnswer


class ContentBlockStart(msgspec.Struct):
    """``content_block_start``; ``index`` counts every block, not only tool calls."""

    index: int
    content_block: AnswerBlock


class BlockDelta(msgspec.Struct):
    """A delta of a block: ``text_delta``, ``input_json_delta`` or one left untranslated."""

    type: str
    text: str | None = None
    partial_json: str | None = None


class ContentBlockDelta(msgspec.Struct):
    """``content_block_delta``."""

    index: int
    delta: BlockDelta


class ContentBlockStop(msgspec.Struct):
    """``content_block_stop``."""

    index: int


class DeltaUsage(msgspec.Struct):
    """``message_delta.usage``: cumulative; only ``output_tokens`` is always there."""

    output_tokens: int | None = None
    input_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    output_tokens_details: OutputTokensDetails | None = None


class MessageDeltaBody(msgspec.Struct):
    """Why the message stopped."""

    stop_reason: str | None = None
    stop_sequence: str | None = None


class MessageDelta(msgspec.Struct):
    """``message_delta``."""

    delta: MessageDeltaBody = msgspec.field(default_factory=MessageDeltaBody)
    usage: DeltaUsage | None = None


# -- errors and models ---------------------------------------------------------------------


class ErrorObject(msgspec.Struct):
    """``error``: ``type`` (``rate_limit_error``, ...) and ``message``."""

    type: str | None = None
    message: str = ""
    details: dict[str, Any] | None = None


class ErrorEnvelope(msgspec.Struct):
    """``{"type": "error", "error": {...}, "request_id": ...}``, in bodies and stream events."""

    error: ErrorObject | None = None
    request_id: str | None = None


class ModelInfo(msgspec.Struct):
    """One model of ``GET /v1/models``."""

    id: str


class ModelPage(msgspec.Struct):
    """A page of ``GET /v1/models``."""

    data: list[ModelInfo]
    has_more: bool = False
    last_id: str | None = None
