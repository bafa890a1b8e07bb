"""The data-plane endpoints: ``/v1/chat/completions``, ``/v1/embeddings``, ``/v1/models``,
``/v1/messages``, and the same under ``/v1/completion/{workspace}/{environment}/``.

Each endpoint takes a :class:`Call` (what arrived) and gives an :class:`Answer` (status,
headers, and a body or a stream of byte chunks); :mod:`switchboard.dataplane.asgi` serves
them without Litestar's per-request machinery. msgspec decodes and encodes. OpenAI-surface
errors are OpenAI's envelope, ``/v1/messages`` errors Anthropic's; both carry the
``x-switchboard-*`` headers of whatever the request got to.

An endpoint cancelled because its client left records the request with
:data:`~switchboard.dataplane.pipeline.CLIENT_CLOSED_STATUS`; a stream closed before its end
closes the pipeline's (and so the provider's) stream first, then records what it relayed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import msgspec

from switchboard.context import RequestInfo
from switchboard.dataplane import anthropic_format
from switchboard.dataplane.config import EnvironmentRuntime
from switchboard.dataplane.openai_types import (
    ChatCompletionChunk,
    ChatCompletionRequest,
    EmbeddingRequest,
)
from switchboard.dataplane.pipeline import CLIENT_CLOSED_STATUS, Outcome, Pipeline
from switchboard.errors import BadRequest, ErrorBody, ErrorEnvelope, GatewayError
from switchboard.interfaces import ProviderError

__all__ = ["ENDPOINTS", "Answer", "Call", "Endpoint"]

T = TypeVar("T")

JSON = "application/json"
EVENT_STREAM = "text/event-stream"
_DONE = b"data: [DONE]\n\n"


@dataclass(frozen=True)
class Call:
    """One data-plane request as it arrived."""

    info: RequestInfo
    body: bytes
    scope: tuple[str, str] | None
    """``(workspace, environment)`` from a ``/v1/completion/{ws}/{env}/`` path."""


@dataclass
class Answer:
    """What an endpoint answers: a whole body, or a stream of chunks."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    media_type: str = JSON
    stream: AsyncGenerator[bytes, None] | None = None


Endpoint = Callable[[Pipeline, Call], Awaitable[Answer]]


class _Model(msgspec.Struct):
    id: str
    created: int
    object: str = "model"
    owned_by: str = "switchboard"


class _ModelList(msgspec.Struct):
    data: list[_Model]
    object: str = "list"


def _decode(body: bytes, shape: type[T]) -> T:
    """The body as ``shape``; a 400 naming the field otherwise."""
    if not body:
        raise BadRequest("the request body is empty; send a JSON object")
    try:
        return msgspec.json.decode(body, type=shape)
    except msgspec.ValidationError as exc:
        problem, _, path = str(exc).partition(" - at `$")
        param = path.rstrip("`").lstrip(".") or None
        raise BadRequest(f"{param}: {problem}" if param else problem, param=param) from None
    except msgspec.DecodeError as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc}") from None


_CHAT_FIELDS = frozenset(f.encode_name for f in msgspec.structs.fields(ChatCompletionRequest))


def unknown_fields(body: bytes, known: frozenset[str]) -> list[str]:
    """Top-level fields of a JSON body that ``known`` does not declare.

    The typed decode drops them; they are reported in ``x-switchboard-dropped-params`` so a
    caller learns that, say, a newer OpenAI parameter did not reach the provider. Values are
    not parsed (``msgspec.Raw``), so this costs little.
    """
    try:
        keys = msgspec.json.decode(body, type=dict[str, msgspec.Raw]).keys()
    except (msgspec.DecodeError, msgspec.ValidationError):
        return []
    return sorted(keys - known)


def openai_error(error: GatewayError, outcome: Outcome | None = None) -> Answer:
    """The OpenAI error envelope for ``error``."""
    headers = {**(outcome.headers() if outcome else {}), **error.headers}
    return Answer(
        error.status_code, headers, msgspec.json.encode(error.envelope()), media_type=JSON
    )


def _headers(outcome: Outcome, dropped: list[str] | None = None) -> dict[str, str]:
    """The outcome's headers, with what an inbound translation dropped added."""
    headers = outcome.headers()
    names = [*(dropped or []), *outcome.dropped_params]
    if names:
        headers["x-switchboard-dropped-params"] = ",".join(dict.fromkeys(names))
    return headers


# -- OpenAI chat completions ------------------------------------------------------------------


async def chat_completions(pipeline: Pipeline, call: Call) -> Answer:
    """``POST /v1/chat/completions``: OpenAI's chat completions, plain or streamed (SSE)."""
    outcome = pipeline.begin(call.info, "chat/completions")
    environment: EnvironmentRuntime | None = None
    status = 500
    streaming = False
    try:
        chat = _decode(call.body, ChatCompletionRequest)
        unknown = unknown_fields(call.body, _CHAT_FIELDS)
        key, principal, environment = await pipeline.authenticate(call.info, outcome, call.scope)
        resource = pipeline.resource(environment, key, chat.model, outcome)
        plan = pipeline.plan(environment, resource, chat, principal, call.info, outcome)
        pipeline.prepare(environment, resource, key, principal, chat, outcome)
        pipeline.capture(environment, outcome, call.body, chat)
        if chat.stream is True:
            chunks = await pipeline.stream(environment, plan, chat, call.info, outcome)
            streaming = True
            return Answer(
                200,
                {**_headers(outcome, unknown), "cache-control": "no-cache"},
                media_type=EVENT_STREAM,
                stream=_sse(pipeline, environment, outcome, chunks, _wants_usage(chat)),
            )
        answer = await pipeline.complete(environment, plan, chat, call.info, outcome)
        status = 200
        return Answer(200, _headers(outcome, unknown), msgspec.json.encode(answer))
    except GatewayError as error:
        outcome.note_error(error)
        status = error.status_code
        return openai_error(error, outcome)
    except asyncio.CancelledError:
        status = _client_closed(outcome)
        raise
    finally:
        if not streaming:
            pipeline.finish(environment, outcome, status)


def _client_closed(outcome: Outcome) -> int:
    """The client left (asgi.py cancelled the endpoint): the status to record."""
    outcome.note_client_closed()
    return CLIENT_CLOSED_STATUS


async def _end_stream(
    pipeline: Pipeline,
    environment: EnvironmentRuntime,
    outcome: Outcome,
    chunks: AsyncGenerator[ChatCompletionChunk, None],
    abandoned: bool,
) -> None:
    """Close the pipeline's stream (a no-op when it ended), then record the request.

    Closing comes first: it stops reading from the provider and settles the usage, which the
    record then carries.
    """
    await chunks.aclose()
    pipeline.finish(environment, outcome, _client_closed(outcome) if abandoned else 200)


def _wants_usage(chat: ChatCompletionRequest) -> bool:
    options = chat.stream_options
    return bool(options) and options.include_usage is True  # type: ignore[union-attr]


async def _sse(
    pipeline: Pipeline,
    environment: EnvironmentRuntime,
    outcome: Outcome,
    chunks: AsyncGenerator[ChatCompletionChunk, None],
    wants_usage: bool,
) -> AsyncGenerator[bytes, None]:
    """OpenAI's data-only SSE; usage stays out unless the caller asked for it."""
    encode = msgspec.json.encode
    ended = abandoned = False
    try:
        async for chunk in chunks:
            if not wants_usage:
                if not chunk.choices:
                    continue
                chunk.usage = msgspec.UNSET
            yield b"data: " + encode(chunk) + b"\n\n"
        ended = True
        yield _DONE
    except ProviderError as error:
        # The status line has gone: the failure travels in the stream, as OpenAI's does.
        ended = True
        outcome.record.error_class = error.error_class
        outcome.record.error_message = error.message
        envelope = ErrorEnvelope(
            error=ErrorBody(message=error.message, type=error.error_type or "api_error")
        )
        yield b"data: " + encode(envelope) + b"\n\n"
    except (GeneratorExit, asyncio.CancelledError):
        # Closed or cancelled by the ASGI layer: the client left before the end.
        abandoned = not ended
        raise
    finally:
        await _end_stream(pipeline, environment, outcome, chunks, abandoned)


# -- embeddings and models ----------------------------------------------------------------------


async def embeddings(pipeline: Pipeline, call: Call) -> Answer:
    """``POST /v1/embeddings``: vectors through the resource's model chain."""
    outcome = pipeline.begin(call.info, "embeddings")
    environment: EnvironmentRuntime | None = None
    status = 500
    try:
        body = _decode(call.body, EmbeddingRequest)
        key, principal, environment = await pipeline.authenticate(call.info, outcome, call.scope)
        resource = pipeline.resource(environment, key, body.model, outcome)
        pipeline.prepare(environment, resource, key, principal, body, outcome)
        pipeline.capture(environment, outcome, call.body, body)
        answer = await pipeline.embed(environment, resource, body, call.info, outcome)
        status = 200
        return Answer(200, _headers(outcome), msgspec.json.encode(answer))
    except GatewayError as error:
        outcome.note_error(error)
        status = error.status_code
        return openai_error(error, outcome)
    except asyncio.CancelledError:
        status = _client_closed(outcome)
        raise
    finally:
        pipeline.finish(environment, outcome, status)


async def models(pipeline: Pipeline, call: Call) -> Answer:
    """``GET /v1/models``: the AI resources this key may call, as OpenAI models."""
    outcome = pipeline.begin(call.info, "models")
    try:
        key, _, environment = await pipeline.authenticate(call.info, outcome, call.scope)
    except GatewayError as error:
        outcome.note_error(error)
        pipeline.finish(None, outcome, error.status_code)
        return openai_error(error, outcome)
    except asyncio.CancelledError:
        pipeline.finish(None, outcome, _client_closed(outcome))
        raise
    pipeline.finish(environment, outcome, 200)
    created = int(time.time())
    listing = _ModelList(
        data=[
            _Model(id=name, created=created)
            for name, resource in sorted(environment.resources.items())
            if resource.id in key.resource_ids
        ]
    )
    return Answer(200, {}, msgspec.json.encode(listing))


# -- Anthropic messages -------------------------------------------------------------------------


async def messages(pipeline: Pipeline, call: Call) -> Answer:
    """``POST /v1/messages``: Anthropic's Messages API in and out, any provider behind.

    Errors use Anthropic's body (the SDK picks its exception from the status and type);
    fields the gateway cannot translate are named in ``x-switchboard-dropped-params``.
    """
    outcome = pipeline.begin(call.info, "messages")
    environment: EnvironmentRuntime | None = None
    status = 500
    streaming = False
    dropped: list[str] = []
    try:
        asked = anthropic_format.decode_request(call.body)
        chat, dropped = anthropic_format.to_openai(asked)
        key, principal, environment = await pipeline.authenticate(call.info, outcome, call.scope)
        resource = pipeline.resource(environment, key, chat.model, outcome)
        plan = pipeline.plan(environment, resource, chat, principal, call.info, outcome)
        pipeline.prepare(environment, resource, key, principal, chat, outcome)
        pipeline.capture(environment, outcome, call.body, chat)
        if chat.stream is True:
            chunks = await pipeline.stream(environment, plan, chat, call.info, outcome)
            streaming = True
            return Answer(
                200,
                {**_headers(outcome, dropped), "cache-control": "no-cache"},
                media_type=EVENT_STREAM,
                stream=_anthropic_sse(pipeline, environment, outcome, chunks, asked.model),
            )
        answer = await pipeline.complete(environment, plan, chat, call.info, outcome)
        status = 200
        return Answer(
            200,
            _headers(outcome, dropped),
            msgspec.json.encode(anthropic_format.from_openai(answer, model=asked.model)),
        )
    except GatewayError as error:
        outcome.note_error(error)
        status = error.status_code
        return Answer(
            status,
            {**_headers(outcome, dropped), **error.headers},
            anthropic_format.anthropic_error(status, error.message, error.error_type),
        )
    except asyncio.CancelledError:
        status = _client_closed(outcome)
        raise
    finally:
        if not streaming:
            pipeline.finish(environment, outcome, status)


async def _anthropic_sse(
    pipeline: Pipeline,
    environment: EnvironmentRuntime,
    outcome: Outcome,
    chunks: AsyncGenerator[ChatCompletionChunk, None],
    model: str,
) -> AsyncGenerator[bytes, None]:
    """Anthropic's named SSE events for the OpenAI chunks of the pipeline."""
    writer = anthropic_format.AnthropicStreamWriter(model=model)
    ended = abandoned = False
    try:
        async for chunk in chunks:
            for frame in writer.feed(chunk):
                yield frame
        ended = True
        for frame in writer.finish():
            yield frame
    except ProviderError as error:
        ended = True
        outcome.record.error_class = error.error_class
        outcome.record.error_message = error.message
        yield anthropic_format.anthropic_stream_error(error.status or 500, error.message)
    except (GeneratorExit, asyncio.CancelledError):
        abandoned = not ended
        raise
    finally:
        await _end_stream(pipeline, environment, outcome, chunks, abandoned)


ENDPOINTS: dict[str, tuple[str, Endpoint]] = {
    "chat/completions": ("POST", chat_completions),
    "embeddings": ("POST", embeddings),
    "models": ("GET", models),
    "messages": ("POST", messages),
}
"""Path under ``/v1/`` (or ``/v1/completion/{ws}/{env}/``) → (method, endpoint)."""
