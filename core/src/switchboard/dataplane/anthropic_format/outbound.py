"""The gateway's OpenAI answer, and its errors, as Anthropic's Messages API writes them.

=========================================  ================================================
OpenAI                                     Anthropic
=========================================  ================================================
``id`` (``chatcmpl-X``)                    ``msg_X`` (an id already ``msg_…`` is kept)
(the model the caller asked for)           ``model``
``message.content``                        one ``text`` block (none when empty)
``message.refusal`` (without content)      one ``text`` block holding the refusal
``message.tool_calls``                     ``tool_use`` blocks, after the text; ``arguments``
                                           → ``input``: ``""`` is ``{}``, a JSON object is
                                           itself, anything else ``{"_raw": arguments}``
``finish_reason`` ``stop``                 ``end_turn`` (``tool_use`` when the message calls
                                           tools: some providers say ``stop`` then);
                                           ``stop_sequence`` is never claimed, as OpenAI
                                           does not say which sequence matched
``length``                                 ``max_tokens``
``tool_calls`` / ``function_call``         ``tool_use``
``content_filter``, or a refusal           ``refusal``
``prompt_tokens`` - cache reads - writes   ``usage.input_tokens`` (Anthropic's input
                                           excludes the cache; OpenAI's prompt includes it)
``prompt_tokens_details.cached_tokens``    ``usage.cache_read_input_tokens``
``…cache_write_tokens``                    ``usage.cache_creation_input_tokens``
``completion_tokens``                      ``usage.output_tokens``
=========================================  ================================================

Invalid tool arguments are wrapped, not refused: the answer (and the tokens it cost) still
reaches the caller, whose tool then sees ``_raw`` and fails visibly, so the model can retry.
The wrapped input is valid JSON, so sending the turn back works with every provider.

Errors are ``{"type": "error", "error": {"type", "message"}}`` (plus ``request_id`` when
given), with the ``error.type`` Anthropic uses for the status (:data:`ERROR_TYPES`). The
gateway's own statuses without an Anthropic counterpart: 502 (every upstream attempt failed)
is ``api_error``, 503 (temporarily unable to serve) is ``overloaded_error``, as Anthropic's
529 means "try again later"; other 4xx are ``invalid_request_error``, other 5xx ``api_error``.
The SDK picks its exception class by status, so the status itself is never rewritten.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import msgspec
from msgspec import UNSET

from switchboard.dataplane.anthropic_format.shapes import (
    AnthropicMessage,
    AnthropicUsage,
    ErrorDetail,
    ErrorEvent,
    OutputBlock,
    TextOutput,
    ToolUseOutput,
    sse_frame,
)
from switchboard.dataplane.openai_types import ChatCompletion, Choice, ToolCall, Usage

__all__ = [
    "ERROR_TYPES",
    "anthropic_error",
    "anthropic_stream_error",
    "anthropic_usage",
    "error_type_for",
    "from_openai",
    "message_id",
    "new_tool_use_id",
    "stop_reason",
    "tool_input",
]

#: Anthropic's ``error.type`` for each status (its "Errors" page; 502 and 503 are the
#: gateway's own).
ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    503: "overloaded_error",
    504: "timeout_error",
    529: "overloaded_error",
}
_KNOWN_TYPES = frozenset(ERROR_TYPES.values())
_STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}
_NOT_IN_ID = re.compile(r"[^A-Za-z0-9_-]")


def message_id(openai_id: str) -> str:
    """The ``msg_…`` id for an OpenAI completion id (the same for every chunk of a stream)."""
    if openai_id.startswith("msg_"):
        return openai_id
    tail = _NOT_IN_ID.sub("_", openai_id.removeprefix("chatcmpl-"))
    return f"msg_{tail or uuid.uuid4().hex}"


def stop_reason(finish_reason: str | None, *, called_tools: bool = False) -> str:
    """Anthropic's ``stop_reason`` for OpenAI's ``finish_reason`` (``None``: ``end_turn``)."""
    if called_tools and finish_reason in (None, "stop"):
        return "tool_use"
    return _STOP_REASONS.get(finish_reason or "stop", "end_turn")


def anthropic_usage(usage: Usage | None) -> AnthropicUsage:
    """Anthropic's usage for OpenAI's (zeros when the answer had none)."""
    if usage is None:
        return AnthropicUsage(input_tokens=0, output_tokens=0)
    details = usage.prompt_tokens_details if isinstance(usage.prompt_tokens_details, dict) else {}
    read = details.get("cached_tokens") or 0
    written = details.get("cache_write_tokens") or 0
    return AnthropicUsage(
        input_tokens=max(usage.prompt_tokens - read - written, 0),
        cache_creation_input_tokens=written,
        cache_read_input_tokens=read,
        output_tokens=usage.completion_tokens,
    )


def tool_input(arguments: str) -> dict[str, Any]:
    """A tool call's ``input`` object for its OpenAI ``arguments`` JSON text.

    Empty arguments (some models send none for a call without parameters) are ``{}``;
    anything that is not a JSON object is kept whole as ``{"_raw": arguments}``.
    """
    if not arguments.strip():
        return {}
    try:
        parsed = msgspec.json.decode(arguments)
    except msgspec.DecodeError:
        parsed = None
    return parsed if isinstance(parsed, dict) else {"_raw": arguments}


def from_openai(answer: ChatCompletion, *, model: str) -> AnthropicMessage:
    """The Anthropic ``message`` for a whole OpenAI answer; ``model`` is the one asked for.

    Only the first choice is read: the gateway never asks for more than one.
    """
    choice = _first(answer.choices)
    content: list[OutputBlock] = []
    reason = "end_turn"
    if choice is not None:
        message = choice.message
        if message.content:
            content.append(TextOutput(text=message.content))
        elif message.refusal:
            content.append(TextOutput(text=message.refusal))
        calls = message.tool_calls if isinstance(message.tool_calls, list) else []
        content += [_tool_use(call) for call in calls]
        reason = stop_reason(choice.finish_reason, called_tools=bool(calls))
        if message.refusal and not message.content:
            reason = "refusal"
    return AnthropicMessage(
        id=message_id(answer.id),
        model=model,
        content=content,
        stop_reason=reason,
        usage=anthropic_usage(answer.usage if isinstance(answer.usage, Usage) else None),
    )


def _first(choices: list[Choice]) -> Choice | None:
    for choice in choices:
        if choice.index == 0:
            return choice
    return choices[0] if choices else None


def _tool_use(call: ToolCall) -> ToolUseOutput:
    function = call.function if call.function is not UNSET else None
    name = function.name if function is not None and isinstance(function.name, str) else ""
    arguments = (
        function.arguments if function is not None and isinstance(function.arguments, str) else ""
    )
    call_id = call.id if isinstance(call.id, str) and call.id else new_tool_use_id()
    return ToolUseOutput(id=call_id, name=name, input=tool_input(arguments))


def new_tool_use_id() -> str:
    """A fresh ``toolu_…`` id, for a tool call that came without one."""
    return f"toolu_{uuid.uuid4().hex[:24]}"


# -- errors ----------------------------------------------------------------------------------


def error_type_for(status: int, error_type: str | None = None) -> str:
    """The Anthropic ``error.type``: ``error_type`` when it is one of Anthropic's, else the
    status's (other 4xx: ``invalid_request_error``, other statuses: ``api_error``)."""
    if error_type in _KNOWN_TYPES:
        return str(error_type)
    if status in ERROR_TYPES:
        return ERROR_TYPES[status]
    return "invalid_request_error" if 400 <= status < 500 else "api_error"


def _error_event(
    status: int, message: str, error_type: str | None, request_id: str | None
) -> ErrorEvent:
    return ErrorEvent(
        error=ErrorDetail(type=error_type_for(status, error_type), message=message),
        request_id=request_id if request_id is not None else UNSET,
    )


def anthropic_error(
    status: int, message: str, error_type: str | None = None, *, request_id: str | None = None
) -> bytes:
    """The JSON body of an error answer with ``status``.

    ``error_type`` is kept when it is one of Anthropic's types (the gateway's own
    ``invalid_request_error`` or ``rate_limit_error``); otherwise the status decides.
    """
    return msgspec.json.encode(_error_event(status, message, error_type, request_id))


def anthropic_stream_error(
    status: int, message: str, error_type: str | None = None, *, request_id: str | None = None
) -> bytes:
    """An ``event: error`` frame, for a failure after the stream's 200 was sent."""
    return sse_frame(_error_event(status, message, error_type, request_id))
