"""Gemini's own JSON shapes (Generative Language API, ``v1beta``), as far as the gateway uses them.

Request shapes leave unset fields out (``UNSET``); response shapes ignore fields they do not
name, so new fields Google adds never break decoding. JSON is lowerCamelCase (``rename``).
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

__all__ = [
    "BatchEmbedContentsRequest",
    "BatchEmbedContentsResponse",
    "Blob",
    "Candidate",
    "Content",
    "ContentEmbedding",
    "EmbedContentRequest",
    "ErrorEnvelope",
    "FileData",
    "FunctionCall",
    "FunctionCallingConfig",
    "FunctionDeclaration",
    "FunctionResponse",
    "GenerateContentRequest",
    "GenerateContentResponse",
    "GenerationConfig",
    "GoogleError",
    "ModelInfo",
    "ModelList",
    "Part",
    "PromptFeedback",
    "Tool",
    "ToolConfig",
    "UsageMetadata",
]


class _Native(msgspec.Struct, kw_only=True, rename="camel", omit_defaults=True):
    """Base of Gemini's shapes: camelCase keys, unset and default fields left out."""


# -- contents -------------------------------------------------------------------------------


class Blob(_Native):
    """Inline bytes (``inlineData``): base64 ``data`` of a ``mimeType``."""

    mime_type: str
    data: str


class FileData(_Native):
    """A file the API already holds (``fileData``), e.g. a Files API URI."""

    file_uri: str
    mime_type: str | UnsetType = UNSET


class FunctionCall(_Native):
    """A call the model makes; ``args`` is a JSON object (not a string, unlike OpenAI)."""

    name: str
    args: dict[str, Any] | None = None
    id: str | UnsetType | None = UNSET


class FunctionResponse(_Native):
    """A function's result; ``response`` must be a JSON object (``{"output": ...}``)."""

    name: str
    response: dict[str, Any]
    id: str | UnsetType = UNSET


class Part(_Native):
    """One part of a turn: exactly one payload, plus an optional ``thoughtSignature``."""

    text: str | UnsetType | None = UNSET
    thought: bool | UnsetType | None = UNSET
    thought_signature: str | UnsetType | None = UNSET
    inline_data: Blob | UnsetType | None = UNSET
    file_data: FileData | UnsetType | None = UNSET
    function_call: FunctionCall | UnsetType | None = UNSET
    function_response: FunctionResponse | UnsetType | None = UNSET


class Content(_Native):
    """One turn: ``role`` is ``user`` or ``model`` (absent in ``systemInstruction``)."""

    parts: list[Part] = msgspec.field(default_factory=list)
    role: str | UnsetType | None = UNSET


# -- the request ---------------------------------------------------------------------------


class FunctionDeclaration(_Native):
    """A function offered to the model; the schema is JSON Schema (``parametersJsonSchema``)."""

    name: str
    description: str | UnsetType = UNSET
    parameters_json_schema: dict[str, Any] | UnsetType = UNSET


class Tool(_Native):
    """A tool entry; the gateway only sends function declarations."""

    function_declarations: list[FunctionDeclaration]


class FunctionCallingConfig(_Native):
    """``mode`` is ``AUTO``, ``ANY`` or ``NONE``; ``allowedFunctionNames`` only with ``ANY``."""

    mode: str
    allowed_function_names: list[str] | UnsetType = UNSET


class ToolConfig(_Native):
    """How the model may call the declared functions."""

    function_calling_config: FunctionCallingConfig


class GenerationConfig(_Native):
    """Sampling, limits and output format."""

    max_output_tokens: int | UnsetType = UNSET
    temperature: float | UnsetType = UNSET
    top_p: float | UnsetType = UNSET
    stop_sequences: list[str] | UnsetType = UNSET
    candidate_count: int | UnsetType = UNSET
    seed: int | UnsetType = UNSET
    presence_penalty: float | UnsetType = UNSET
    frequency_penalty: float | UnsetType = UNSET
    response_mime_type: str | UnsetType = UNSET
    response_json_schema: dict[str, Any] | UnsetType = UNSET


class GenerateContentRequest(_Native):
    """The body of ``:generateContent`` and ``:streamGenerateContent``."""

    contents: list[Content]
    system_instruction: Content | UnsetType = UNSET
    tools: list[Tool] | UnsetType = UNSET
    tool_config: ToolConfig | UnsetType = UNSET
    generation_config: GenerationConfig | UnsetType = UNSET


# -- the answer ------------------------------------------------------------------------------


class Candidate(_Native):
    """One generated answer. ``content`` may be missing when a safety stop left nothing."""

    content: Content | None = None
    finish_reason: str | None = None
    finish_message: str | None = None
    index: int | None = None


class PromptFeedback(_Native):
    """Why the prompt itself was refused (then there are no candidates)."""

    block_reason: str | None = None
    block_reason_message: str | None = None


class UsageMetadata(_Native):
    """Token counts. ``promptTokenCount`` includes cached tokens; ``candidatesTokenCount``
    excludes thoughts."""

    prompt_token_count: int = 0
    candidates_token_count: int = 0
    thoughts_token_count: int = 0
    tool_use_prompt_token_count: int = 0
    cached_content_token_count: int = 0
    total_token_count: int | None = None


class GenerateContentResponse(_Native):
    """An answer, or (streaming) one piece of it."""

    candidates: list[Candidate] = msgspec.field(default_factory=list)
    prompt_feedback: PromptFeedback | None = None
    usage_metadata: UsageMetadata | None = None
    model_version: str | None = None
    response_id: str | None = None


# -- embeddings ------------------------------------------------------------------------------


class EmbedContentRequest(_Native):
    """One input of ``:batchEmbedContents``; ``model`` repeats the ``models/...`` name."""

    model: str
    content: Content
    output_dimensionality: int | UnsetType = UNSET


class BatchEmbedContentsRequest(_Native):
    """The body of ``:batchEmbedContents``."""

    requests: list[EmbedContentRequest]


class ContentEmbedding(_Native):
    """One input's vector."""

    values: list[float]


class BatchEmbedContentsResponse(_Native):
    """The vectors in input order; ``usageMetadata`` only sometimes."""

    embeddings: list[ContentEmbedding]
    usage_metadata: UsageMetadata | None = None


# -- models and errors -----------------------------------------------------------------------


class ModelInfo(_Native):
    """One entry of ``GET /models``; ``name`` is ``models/{id}``."""

    name: str
    supported_generation_methods: list[str] = msgspec.field(default_factory=list)


class ModelList(_Native):
    """A page of ``GET /models``."""

    models: list[ModelInfo] = msgspec.field(default_factory=list)
    next_page_token: str | None = None


class GoogleError(_Native):
    """Google's error object: HTTP ``code``, ``message``, gRPC ``status``, typed ``details``."""

    code: int | None = None
    message: str = ""
    status: str | None = None
    details: list[dict[str, Any]] = msgspec.field(default_factory=list)


class ErrorEnvelope(_Native):
    """``{"error": {...}}``, as an error answer or a failure in the middle of a stream."""

    error: GoogleError | None = None
