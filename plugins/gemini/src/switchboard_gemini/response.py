"""A Gemini ``GenerateContentResponse`` as the gateway's OpenAI ``ChatCompletion``.

=====================================  ===========================================================
Gemini                                 OpenAI
=====================================  ===========================================================
``candidates[i]``                      ``choices[i]`` (``n`` > 1 asks for several)
``text`` parts (not ``thought`` ones)  ``message.content``, joined; ``None`` when the answer only
                                       calls tools, ``""`` when it holds nothing (MAX_TOKENS
                                       spent on thoughts). Thoughts have no OpenAI slot.
``functionCall`` parts                 ``message.tool_calls``: ``arguments`` is ``args`` as a JSON
                                       string; ids ``call_<n>`` (or Gemini's own), carrying the
                                       ``thoughtSignature`` (see ids.py)
``finishReason`` STOP                  ``stop``, or ``tool_calls`` when the answer calls tools
``MAX_TOKENS``                         ``length``
SAFETY, RECITATION, BLOCKLIST,         ``content_filter``
PROHIBITED_CONTENT, SPII, MODEL_ARMOR,
IMAGE_SAFETY/PROHIBITED_CONTENT/...
anything else (OTHER, LANGUAGE,        ``stop`` (or ``tool_calls``) when something was produced
MALFORMED_FUNCTION_CALL, ...)
``usageMetadata``                      ``usage``: prompt = ``promptTokenCount`` +
                                       ``toolUsePromptTokenCount``; completion =
                                       ``candidatesTokenCount`` + ``thoughtsTokenCount``; total =
                                       ``totalTokenCount``; ``cachedContentTokenCount`` →
                                       ``prompt_tokens_details.cached_tokens``;
                                       ``thoughtsTokenCount`` →
                                       ``completion_tokens_details.reasoning_tokens``; zeros
                                       when Gemini sent no ``usageMetadata``
``responseId``, ``modelVersion``       ``id`` (``chatcmpl-<responseId>``), ``model``
=====================================  ===========================================================

Answers that carry nothing are errors rather than empty successes, so a caller never mistakes
a refusal for a blank answer and the gateway can fall back where another model may do better:

- a blocked prompt (``promptFeedback.blockReason``, no candidates), or an answer stopped by a
  filter (``content_filter`` reasons above) before producing anything: ``bad_request`` (400,
  code ``content_policy_violation``), the message naming the reason — the same request would
  be blocked again;
- ``MISSING_THOUGHT_SIGNATURE`` or ``LANGUAGE`` with nothing produced: ``bad_request`` (the
  request itself is at fault);
- any other abnormal stop with nothing produced (``MALFORMED_FUNCTION_CALL``, ``OTHER``, ...):
  ``server_error`` (the model failed; the gateway moves on).

With ``n`` > 1 only an answer whose every candidate failed is an error.
"""

from __future__ import annotations

import time
import uuid
from typing import Literal

import msgspec

from switchboard.dataplane.openai_types import (
    ChatCompletion,
    Choice,
    ResponseMessage,
    ToolCall,
    Usage,
)
from switchboard.dataplane.openai_types import (
    FunctionCall as OpenAIFunctionCall,
)
from switchboard.interfaces.provider import ProviderError
from switchboard_gemini.errors import PROVIDER, malformed
from switchboard_gemini.ids import join_call_id
from switchboard_gemini.native import (
    Candidate,
    FunctionCall,
    GenerateContentResponse,
    UsageMetadata,
)

__all__ = [
    "FinishReason",
    "candidate_failure",
    "completion_id",
    "finish_reason",
    "prompt_blocked",
    "read_candidate",
    "to_completion",
    "tool_call",
    "usage",
]

FinishReason = Literal["stop", "length", "tool_calls", "content_filter"]

FILTER_REASONS = frozenset(
    {
        "SAFETY",
        "RECITATION",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "MODEL_ARMOR",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_RECITATION",
    }
)
# Normal ends: nothing went wrong even if nothing was produced (a thinking model can spend
# the whole budget on thoughts and stop at MAX_TOKENS with no text).
_NORMAL_ENDS = frozenset({None, "FINISH_REASON_UNSPECIFIED", "STOP", "MAX_TOKENS"})
_REQUEST_AT_FAULT = frozenset({"MISSING_THOUGHT_SIGNATURE", "LANGUAGE"})


def finish_reason(reason: str | None, calls_tools: bool) -> FinishReason:
    """OpenAI's ``finish_reason`` for Gemini's ``finishReason``."""
    if reason == "MAX_TOKENS":
        return "length"
    if reason in FILTER_REASONS:
        return "content_filter"
    return "tool_calls" if calls_tools else "stop"


def usage(metadata: UsageMetadata | None) -> Usage:
    """OpenAI usage from ``usageMetadata`` (zeros when Gemini sent none)."""
    m = metadata or UsageMetadata()
    prompt = m.prompt_token_count + m.tool_use_prompt_token_count
    completion = m.candidates_token_count + m.thoughts_token_count
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=m.total_token_count
        if m.total_token_count is not None
        else prompt + completion,
        prompt_tokens_details={"cached_tokens": m.cached_content_token_count},
        completion_tokens_details={"reasoning_tokens": m.thoughts_token_count},
    )


def completion_id(answer: GenerateContentResponse) -> str:
    """``chatcmpl-<responseId>``, or a fresh id when Gemini gave none."""
    return f"chatcmpl-{answer.response_id or uuid.uuid4().hex}"


def prompt_blocked(answer: GenerateContentResponse) -> ProviderError | None:
    """The error for an answer whose prompt Gemini refused, if it did."""
    feedback = answer.prompt_feedback
    if answer.candidates or feedback is None or not feedback.block_reason:
        return None
    detail = f": {feedback.block_reason_message}" if feedback.block_reason_message else ""
    return ProviderError(
        "bad_request",
        f"{PROVIDER} blocked the prompt (blockReason {feedback.block_reason}){detail}",
        status=400,
        error_type="invalid_request_error",
        code="content_policy_violation",
    )


def candidate_failure(candidate: Candidate) -> ProviderError | None:
    """The error for a candidate that stopped abnormally, assuming it produced nothing."""
    reason = candidate.finish_reason
    if reason in _NORMAL_ENDS:
        return None
    detail = f": {candidate.finish_message}" if candidate.finish_message else ""
    if reason in FILTER_REASONS:
        return ProviderError(
            "bad_request",
            f"{PROVIDER} blocked the answer (finishReason {reason}){detail}",
            status=400,
            error_type="invalid_request_error",
            code="content_policy_violation",
        )
    if reason in _REQUEST_AT_FAULT:
        return ProviderError(
            "bad_request",
            f"{PROVIDER} refused the request (finishReason {reason}){detail}",
            status=400,
            error_type="invalid_request_error",
            code=reason,
        )
    return ProviderError(
        "server_error",
        f"{PROVIDER} produced no answer (finishReason {reason}){detail}",
        status=200,
        code=reason,
    )


def read_candidate(candidate: Candidate) -> tuple[list[str], list[tuple[FunctionCall, str | None]]]:
    """The answer text pieces and the function calls (with their thought signatures)."""
    texts: list[str] = []
    calls: list[tuple[FunctionCall, str | None]] = []
    for part in candidate.content.parts if candidate.content is not None else []:
        if isinstance(part.function_call, FunctionCall):
            signature = part.thought_signature if isinstance(part.thought_signature, str) else None
            calls.append((part.function_call, signature))
        elif isinstance(part.text, str) and part.thought is not True:
            texts.append(part.text)
    return texts, calls


def tool_call(position: int, call: FunctionCall, signature: str | None) -> ToolCall:
    """The OpenAI tool call for the answer's ``position``-th function call."""
    gemini_id = call.id if isinstance(call.id, str) else None
    return ToolCall(
        id=join_call_id(position, gemini_id, signature),
        type="function",
        function=OpenAIFunctionCall(
            name=call.name, arguments=msgspec.json.encode(call.args or {}).decode()
        ),
    )


def to_completion(answer: GenerateContentResponse, *, model: str) -> ChatCompletion:
    """The whole answer in OpenAI's shape, or the error it amounts to."""
    if not answer.candidates:
        blocked = prompt_blocked(answer)
        raise blocked if blocked is not None else malformed("an answer without candidates")
    choices: list[Choice] = []
    failures: list[ProviderError] = []
    for position, candidate in enumerate(answer.candidates):
        texts, calls = read_candidate(candidate)
        if not "".join(texts) and not calls:
            failure = candidate_failure(candidate)
            if failure is not None:
                failures.append(failure)
        message = ResponseMessage(
            content="".join(texts) if texts or not calls else None,
            tool_calls=[tool_call(i, call, sig) for i, (call, sig) in enumerate(calls)]
            if calls
            else msgspec.UNSET,
        )
        choices.append(
            Choice(
                index=candidate.index if candidate.index is not None else position,
                message=message,
                finish_reason=finish_reason(candidate.finish_reason, bool(calls)),
            )
        )
    if len(failures) == len(choices):
        raise failures[0]
    return ChatCompletion(
        id=completion_id(answer),
        created=int(time.time()),
        model=answer.model_version or model,
        choices=choices,
        usage=usage(answer.usage_metadata),
    )
