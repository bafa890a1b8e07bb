"""Bedrock Runtime's own wire shapes: Converse, ConverseStream events, Titan embeddings.

Field names are Python's snake_case, written and read as Bedrock's camelCase. Optional
members default to ``None`` and are left out when encoding; Bedrock's unions (a content
block has exactly one member) are Structs with every member optional. Unknown members in
answers are ignored, so new block kinds and event fields do not break decoding.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

__all__ = [
    "ContentBlock",
    "ContentBlockDelta",
    "ContentBlockDeltaEvent",
    "ContentBlockStart",
    "ContentBlockStartEvent",
    "ConverseOutput",
    "ConverseRequest",
    "ConverseResponse",
    "Empty",
    "ExceptionEvent",
    "Image",
    "ImageSource",
    "InferenceConfig",
    "JsonSchemaDefinition",
    "Message",
    "MessageStopEvent",
    "MetadataEvent",
    "OutputConfig",
    "OutputFormat",
    "OutputFormatStructure",
    "ServiceTier",
    "SpecificTool",
    "SystemBlock",
    "TitanEmbeddingRequest",
    "TitanEmbeddingResponse",
    "TokenUsage",
    "ToolChoice",
    "ToolConfig",
    "ToolDefinition",
    "ToolInputSchema",
    "ToolResult",
    "ToolResultContent",
    "ToolSpec",
    "ToolUse",
    "ToolUseDelta",
    "ToolUseStart",
]


class _Native(msgspec.Struct, kw_only=True, omit_defaults=True, rename="camel"):
    """Base of Bedrock's shapes: camelCase on the wire, ``None`` members left out."""


class Empty(_Native):
    """``{}``: the value of a union member that carries nothing (``{"auto": {}}``)."""


# -- content -----------------------------------------------------------------------------------


class ImageSource(_Native):
    """Where an image comes from; the gateway always sends the bytes, base64 in JSON."""

    bytes: str


class Image(_Native):
    """An image block."""

    format: Literal["png", "jpeg", "gif", "webp"]
    source: ImageSource


class ToolUse(_Native):
    """The model calls a tool; ``input`` is a JSON object, not a string."""

    tool_use_id: str
    name: str
    input: Any


class ToolResultContent(_Native):
    """One part of a tool result; the gateway sends text."""

    text: str


class ToolResult(_Native):
    """The outcome of a tool call, sent in a user message."""

    tool_use_id: str
    content: list[ToolResultContent]
    status: Literal["success", "error"] | None = None


class ContentBlock(_Native):
    """One block of a message: exactly one member is set (others are ignored when read)."""

    text: str | None = None
    image: Image | None = None
    tool_use: ToolUse | None = None
    tool_result: ToolResult | None = None


class Message(_Native):
    """One turn; Bedrock wants user and assistant turns to alternate."""

    role: Literal["user", "assistant"]
    content: list[ContentBlock]


class SystemBlock(_Native):
    """One block of the top-level system prompt."""

    text: str


# -- request -----------------------------------------------------------------------------------


class InferenceConfig(_Native):
    """Sampling and length limits; ``temperature`` and ``top_p`` are 0-1."""

    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop_sequences: list[str] | None = None


class ToolInputSchema(_Native):
    """The JSON Schema of a tool's input, as an object."""

    json: dict[str, Any]


class ToolSpec(_Native):
    """A tool the model may call."""

    name: str
    input_schema: ToolInputSchema
    description: str | None = None
    strict: bool | None = None


class ToolDefinition(_Native):
    """One entry of ``toolConfig.tools``."""

    tool_spec: ToolSpec


class SpecificTool(_Native):
    """``toolChoice.tool``: the model must call this tool."""

    name: str


class ToolChoice(_Native):
    """``auto``, ``any`` or ``tool`` (Bedrock has no ``none``)."""

    auto: Empty | None = None
    any: Empty | None = None
    tool: SpecificTool | None = None


class ToolConfig(_Native):
    """The tools offered and how the model must use them."""

    tools: list[ToolDefinition]
    tool_choice: ToolChoice | None = None


class JsonSchemaDefinition(_Native):
    """A structured-output schema; ``schema`` is JSON Schema serialized as a string."""

    schema: str
    name: str | None = None
    description: str | None = None


class OutputFormatStructure(_Native):
    """The structure the answer must have."""

    json_schema: JsonSchemaDefinition


class OutputFormat(_Native):
    """``outputConfig.textFormat``; ``type`` has one value but is required on the wire."""

    type: Literal["json_schema"]
    structure: OutputFormatStructure


class OutputConfig(_Native):
    """Structured output and reasoning effort."""

    text_format: OutputFormat | None = None
    effort: str | None = None


class ServiceTier(_Native):
    """The processing tier: ``priority``, ``default``, ``flex`` or ``reserved``."""

    type: str


class ConverseRequest(_Native):
    """``POST /model/{modelId}/converse`` and ``.../converse-stream`` body."""

    messages: list[Message]
    system: list[SystemBlock] | None = None
    inference_config: InferenceConfig | None = None
    tool_config: ToolConfig | None = None
    output_config: OutputConfig | None = None
    service_tier: ServiceTier | None = None
    request_metadata: dict[str, str] | None = None


# -- answers -----------------------------------------------------------------------------------


class TokenUsage(_Native):
    """Tokens a call used; cache members only when prompt caching took part."""

    input_tokens: int
    output_tokens: int
    total_tokens: int
    cache_read_input_tokens: int | None = None
    cache_write_input_tokens: int | None = None


class ConverseOutput(_Native):
    """The answer: a message (the only member today)."""

    message: Message | None = None


class ConverseResponse(_Native):
    """A Converse answer."""

    output: ConverseOutput
    stop_reason: str
    usage: TokenUsage


# -- ConverseStream events ---------------------------------------------------------------------


class ToolUseStart(_Native):
    """The start of a tool call: its id and name (the input follows in deltas)."""

    tool_use_id: str
    name: str


class ContentBlockStart(_Native):
    """What a block starts with; text blocks have no start event at all."""

    tool_use: ToolUseStart | None = None


class ContentBlockStartEvent(_Native):
    """``contentBlockStart``."""

    content_block_index: int
    start: ContentBlockStart


class ToolUseDelta(_Native):
    """A fragment of a tool call's input JSON, as a string."""

    input: str


class ContentBlockDelta(_Native):
    """What a block adds: text, a tool-input fragment, or a kind the gateway skips."""

    text: str | None = None
    tool_use: ToolUseDelta | None = None


class ContentBlockDeltaEvent(_Native):
    """``contentBlockDelta``."""

    content_block_index: int
    delta: ContentBlockDelta


class MessageStopEvent(_Native):
    """``messageStop``: why the model stopped."""

    stop_reason: str


class MetadataEvent(_Native):
    """``metadata``: the usage, after ``messageStop``."""

    usage: TokenUsage


class ExceptionEvent(_Native):
    """The payload of an exception message (and of an HTTP error body)."""

    message: str | None = None
    original_status_code: int | None = None
    original_message: str | None = None


# -- Titan Text Embeddings V2 --------------------------------------------------------------------


class TitanEmbeddingRequest(_Native):
    """``POST /model/amazon.titan-embed-text-v2:0/invoke`` body: one text per call."""

    input_text: str
    normalize: bool
    embedding_types: list[str]
    dimensions: int | None = None


class TitanEmbeddingResponse(_Native):
    """Titan's answer: the vector and the input's token count."""

    embedding: list[float]
    input_text_token_count: int
