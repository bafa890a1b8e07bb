"""Anthropic's Messages API on the gateway's OpenAI core: ``POST /v1/messages``.

Applications may call the gateway with Anthropic's SDK. The request is decoded
(:func:`decode_request`) and translated into the canonical OpenAI request
(:func:`to_openai`, which also lists what it could not translate, for
``x-switchboard-dropped-params``); the OpenAI answer is translated back
(:func:`from_openai`), a stream chunk by chunk (:class:`AnthropicStreamWriter`), and errors
are written in Anthropic's envelope (:func:`anthropic_error`, :func:`anthropic_stream_error`).
Pure functions, no I/O: the route does the rest.

Modules: :mod:`.shapes` (the wire shapes), :mod:`.inbound` (request → OpenAI),
:mod:`.outbound` (answer and errors → Anthropic), :mod:`.stream` (chunks → named events).
Each module's docstring has its mapping table.
"""

from __future__ import annotations

from switchboard.dataplane.anthropic_format.inbound import decode_request, to_openai
from switchboard.dataplane.anthropic_format.outbound import (
    ERROR_TYPES,
    anthropic_error,
    anthropic_stream_error,
    anthropic_usage,
    error_type_for,
    from_openai,
    message_id,
    stop_reason,
    tool_input,
)
from switchboard.dataplane.anthropic_format.shapes import (
    AnthropicMessage,
    AnthropicUsage,
    MessagesRequest,
    sse_frame,
)
from switchboard.dataplane.anthropic_format.stream import AnthropicStreamWriter

__all__ = [
    "ERROR_TYPES",
    "AnthropicMessage",
    "AnthropicStreamWriter",
    "AnthropicUsage",
    "MessagesRequest",
    "anthropic_error",
    "anthropic_stream_error",
    "anthropic_usage",
    "decode_request",
    "error_type_for",
    "from_openai",
    "message_id",
    "sse_frame",
    "stop_reason",
    "to_openai",
    "tool_input",
]
