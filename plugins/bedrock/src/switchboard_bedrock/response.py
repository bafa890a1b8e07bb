"""A Converse answer as the gateway's OpenAI ``ChatCompletion``.

| Converse                               | OpenAI                                             |
|----------------------------------------|----------------------------------------------------|
| ``output.message.content[].text``      | ``message.content`` (texts joined; ``None`` when   |
|                                        | the model only calls tools)                        |
| ``content[].toolUse``                  | ``message.tool_calls[]`` (``input`` as a JSON string) |
| ``stopReason`` end_turn, stop_sequence | ``finish_reason`` stop                             |
| max_tokens, model_context_window_exceeded | length                                          |
| tool_use                               | tool_calls                                         |
| guardrail_intervened, content_filtered | content_filter                                     |
| malformed_model_output, malformed_tool_use | a ``server_error`` (the next model may do better) |
| ``usage.inputTokens`` (+ cache tokens) | ``prompt_tokens`` (see :func:`openai_usage`)       |
| ``outputTokens``                       | ``completion_tokens``                              |
| ``cacheReadInputTokens``               | ``prompt_tokens_details.cached_tokens``            |
| ``cacheWriteInputTokens``              | ``prompt_tokens_details.cache_write_tokens``       |

Reasoning, citations and other block kinds have no place in OpenAI's message and are left
out. Bedrock gives an answer no id: the request id (``x-amzn-RequestId``) stands in.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Literal

import msgspec

from switchboard.dataplane.openai_types import (
    ChatCompletion,
    Choice,
    FunctionCall,
    ResponseMessage,
    ToolCall,
    Usage,
)
from switchboard.interfaces.provider import ProviderError
from switchboard_bedrock.errors import PROVIDER
from switchboard_bedrock.native import ConverseResponse, TokenUsage

__all__ = ["FinishReason", "chat_completion", "completion_id", "finish_reason", "openai_usage"]

FinishReason = Literal["stop", "length", "tool_calls", "content_filter"]

_FINISH_REASONS: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
}
_MALFORMED = frozenset({"malformed_model_output", "malformed_tool_use"})


def completion_id(headers: Mapping[str, str]) -> str:
    """``chatcmpl-<Bedrock request id>``, or a random one when the header is missing."""
    request_id = next((v for k, v in headers.items() if k.lower() == "x-amzn-requestid"), None)
    return f"chatcmpl-{request_id or uuid.uuid4().hex}"


def finish_reason(stop_reason: str) -> FinishReason:
    """OpenAI's ``finish_reason`` for a ``stopReason``; malformed output is a failure."""
    if stop_reason in _MALFORMED:
        raise ProviderError(
            "server_error",
            f"{PROVIDER}: the model's output was unusable (stopReason {stop_reason})",
            error_type=stop_reason,
        )
    # A reason newer than this plugin ended the answer some other way: a plain stop.
    return _FINISH_REASONS.get(stop_reason, "stop")


def openai_usage(usage: TokenUsage) -> Usage:
    """OpenAI usage from Bedrock's.

    ``inputTokens`` leaves out cache reads and writes while ``totalTokens`` counts them, so
    the prompt is ``totalTokens - outputTokens`` (never less than ``inputTokens``): right
    both when the cache fields are separate and when they are already inside.
    """
    prompt = max(usage.input_tokens, usage.total_tokens - usage.output_tokens)
    details: dict[str, int] = {}
    if usage.cache_read_input_tokens is not None:
        details["cached_tokens"] = usage.cache_read_input_tokens
    if usage.cache_write_input_tokens is not None:
        details["cache_write_tokens"] = usage.cache_write_input_tokens
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=usage.output_tokens,
        total_tokens=prompt + usage.output_tokens,
        prompt_tokens_details=details or msgspec.UNSET,
    )


def chat_completion(raw: bytes, *, answer_id: str, created: int, model: str) -> ChatCompletion:
    """The ``ChatCompletion`` for a Converse answer body; malformed is a ``server_error``."""
    try:
        answer = msgspec.json.decode(raw, type=ConverseResponse)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ProviderError(
            "server_error", f"{PROVIDER} sent a malformed answer: {exc}", status=200
        ) from None
    if answer.output.message is None:
        raise ProviderError("server_error", f"{PROVIDER} sent an answer without a message")
    texts: list[str] = []
    tool_calls: list[ToolCall] = []
    for block in answer.output.message.content:
        if block.text is not None:
            texts.append(block.text)
        elif block.tool_use is not None:
            tool_calls.append(
                ToolCall(
                    id=block.tool_use.tool_use_id,
                    type="function",
                    function=FunctionCall(
                        name=block.tool_use.name,
                        arguments=json.dumps(block.tool_use.input, separators=(",", ":")),
                    ),
                )
            )
    message = ResponseMessage(
        content="".join(texts) if texts or not tool_calls else None,
        tool_calls=tool_calls or msgspec.UNSET,
    )
    return ChatCompletion(
        id=answer_id,
        created=created,
        model=model,
        choices=[
            Choice(
                index=0,
                message=message,
                finish_reason=finish_reason(answer.stop_reason),
            )
        ],
        usage=openai_usage(answer.usage),
    )
