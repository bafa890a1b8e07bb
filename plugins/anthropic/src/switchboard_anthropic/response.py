"""Anthropic's answer as an OpenAI ``chat.completion``.

==================================================  ===========================================
Anthropic                                           OpenAI
==================================================  ===========================================
``text`` blocks                                     ``message.content``, joined (``None`` when
                                                    the answer only calls tools)
``tool_use`` blocks                                 ``message.tool_calls`` (``input`` → JSON
                                                    string ``arguments``)
``thinking``, server-tool and other blocks          left out: OpenAI's message has no slot
``end_turn``, ``stop_sequence``, ``pause_turn``     ``finish_reason: stop``
``max_tokens``, ``model_context_window_exceeded``   ``length``
``tool_use``                                        ``tool_calls``
``refusal``                                         ``content_filter``
``input + cache_creation + cache_read`` tokens      ``usage.prompt_tokens``
``output_tokens`` (thinking included)               ``usage.completion_tokens``
``cache_read_input_tokens``                         ``prompt_tokens_details.cached_tokens``
``cache_creation_input_tokens``                     ``prompt_tokens_details.cache_write_tokens``
``output_tokens_details.thinking_tokens``           ``completion_tokens_details.reasoning_tokens``
==================================================  ===========================================
"""

from __future__ import annotations

import msgspec
from msgspec import UNSET

from switchboard.dataplane.openai_types import (
    ChatCompletion,
    Choice,
    FinishReason,
    FunctionCall,
    ResponseMessage,
    ToolCall,
    Usage,
)
from switchboard.interfaces.provider import ProviderError
from switchboard_anthropic.wire import AnswerBlock, AnswerUsage, MessageAnswer

__all__ = ["completion_from", "finish_reason", "openai_usage", "tool_call"]

_FINISH_REASONS: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    # Only server tools pause a turn; the text so far is a complete answer for the caller.
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def finish_reason(stop_reason: str | None) -> FinishReason:
    """OpenAI's ``finish_reason`` for Anthropic's ``stop_reason`` (new reasons read as stop)."""
    return _FINISH_REASONS.get(stop_reason or "", "stop")


def openai_usage(usage: AnswerUsage) -> Usage:
    """OpenAI's usage: Anthropic's input tokens exclude the cache, OpenAI's prompt includes it."""
    creation, read = usage.cache_creation_input_tokens, usage.cache_read_input_tokens
    prompt = usage.input_tokens + (creation or 0) + (read or 0)
    openai = Usage(
        prompt_tokens=prompt,
        completion_tokens=usage.output_tokens,
        total_tokens=prompt + usage.output_tokens,
    )
    if creation is not None or read is not None:
        openai.prompt_tokens_details = {
            "cached_tokens": read or 0,
            "cache_write_tokens": creation or 0,
        }
    if usage.output_tokens_details is not None:
        openai.completion_tokens_details = {
            "reasoning_tokens": usage.output_tokens_details.thinking_tokens
        }
    return openai


def tool_call(block: AnswerBlock) -> ToolCall:
    """An OpenAI tool call for a whole ``tool_use`` block."""
    if not block.id or not block.name or not isinstance(block.input, dict):
        raise ProviderError(
            "server_error", "anthropic sent a tool_use block without id, name or input", status=200
        )
    return ToolCall(
        id=block.id,
        type="function",
        function=FunctionCall(name=block.name, arguments=msgspec.json.encode(block.input).decode()),
    )


def completion_from(answer: MessageAnswer, *, created: int) -> ChatCompletion:
    """The ``chat.completion`` for a whole Anthropic answer."""
    texts = [block.text for block in answer.content if block.type == "text" and block.text]
    tool_calls = [tool_call(block) for block in answer.content if block.type == "tool_use"]
    message = ResponseMessage(
        content="".join(texts) if texts or not tool_calls else None,
        tool_calls=tool_calls or UNSET,
    )
    return ChatCompletion(
        id=answer.id,
        created=created,
        model=answer.model,
        choices=[Choice(index=0, message=message, finish_reason=finish_reason(answer.stop_reason))],
        usage=openai_usage(answer.usage),
    )
