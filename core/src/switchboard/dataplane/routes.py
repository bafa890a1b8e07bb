"""The OpenAI-compatible HTTP endpoints: ``/v1/chat/completions``, ``/v1/embeddings``,
``/v1/models``, and the same under ``/v1/completion/{workspace}/{environment}/``.

Handlers take the raw body and answer raw bytes: msgspec decodes and encodes, so Litestar's
own (slower) body handling stays out of the hot path. Errors are the OpenAI envelope with
the ``x-switchboard-*`` headers of whatever the request got to.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.datastructures import State
from litestar.response import Stream

from switchboard.api.deps import request_info
from switchboard.dataplane import anthropic_format
from switchboard.dataplane.config import EnvironmentRuntime
from switchboard.dataplane.openai_types import (
    ChatCompletionChunk,
    ChatCompletionRequest,
    EmbeddingRequest,
)
from switchboard.dataplane.pipeline import Outcome, Pipeline
from switchboard.errors import BadRequest, ErrorBody, ErrorEnvelope, GatewayError
from switchboard.interfaces import ProviderError
from switchboard.state import Gateway

__all__ = ["dataplane_router"]

T = TypeVar("T")

_JSON = "application/json"
_DONE = b"data: [DONE]\n\n"


class _Model(msgspec.Struct):
    id: str
    created: int
    object: str = "model"
    owned_by: str = "switchboard"


class _ModelList(msgspec.Struct):
    data: list[_Model]
    object: str = "list"


def _pipeline(state: State) -> Pipeline:
    gateway: Gateway = state.gateway
    assert gateway.pipeline is not None, "requests arrive after startup"
    return gateway.pipeline


def _decode(body: bytes, shape: type[T]) -> T:
    """The body as ``shape``; a 400 naming the field otherwise."""
    if not body:
        raise BadRequest("the request body is empty; send a JSON object")
    try:
        return msgspec.json.decode(body, type=shape)
    except msgspec.ValidationError as exc:
        problem, _, path = str(exc).partition(" - at `$")
        field = path.rstrip("`").lstrip(".") or None
        raise BadRequest(f"{field}: {problem}" if field else problem, param=field) from None
    except msgspec.DecodeError as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc}") from None


def _scope(request: Request[Any, Any, Any]) -> tuple[str, str] | None:
    params = request.path_params
    return (params["workspace"], params["environment"]) if "workspace" in params else None


def _with_headers(error: GatewayError, outcome: Outcome) -> GatewayError:
    error.headers = {**outcome.headers(), **error.headers}
    return error


async def chat_completions(
    request: Request[Any, Any, Any], state: State
) -> Response[bytes] | Stream:
    """``POST /v1/chat/completions``: OpenAI's chat completions, plain or streamed (SSE)."""
    pipeline = _pipeline(state)
    info = request_info(request)
    outcome = pipeline.begin(info)
    environment: EnvironmentRuntime | None = None
    status = 500
    streaming = False
    try:
        chat = _decode(await request.body(), ChatCompletionRequest)
        key, principal, environment = await pipeline.authenticate(info, outcome, _scope(request))
        resource = pipeline.resource(environment, key, chat.model, outcome)
        plan = pipeline.plan(environment, resource, chat, principal, info, outcome)
        if chat.stream is True:
            chunks = await pipeline.stream(environment, plan, chat, info, outcome)
            streaming = True
            return Stream(
                _sse(pipeline, environment, outcome, chunks, _wants_usage(chat)),
                media_type="text/event-stream",
                headers={**outcome.headers(), "cache-control": "no-cache"},
            )
        answer = await pipeline.complete(environment, plan, chat, info, outcome)
        status = 200
        return Response(msgspec.json.encode(answer), media_type=_JSON, headers=outcome.headers())
    except GatewayError as error:
        status = error.status_code
        raise _with_headers(error, outcome) from None
    finally:
        if not streaming:
            pipeline.finish(environment, outcome, status)


def _wants_usage(chat: ChatCompletionRequest) -> bool:
    options = chat.stream_options
    return bool(options) and options.include_usage is True  # type: ignore[union-attr]


async def _sse(
    pipeline: Pipeline,
    environment: EnvironmentRuntime,
    outcome: Outcome,
    chunks: AsyncIterator[ChatCompletionChunk],
    wants_usage: bool,
) -> AsyncIterator[bytes]:
    """OpenAI's data-only SSE; usage stays out unless the caller asked for it."""
    encode = msgspec.json.encode
    try:
        async for chunk in chunks:
            if not wants_usage:
                if not chunk.choices:
                    continue
                chunk.usage = msgspec.UNSET
            yield b"data: " + encode(chunk) + b"\n\n"
        yield _DONE
    except ProviderError as error:
        # The status line has gone: the failure travels in the stream, as OpenAI's does.
        outcome.record.error_class = error.error_class
        outcome.record.error_message = error.message
        envelope = ErrorEnvelope(
            error=ErrorBody(message=error.message, type=error.error_type or "api_error")
        )
        yield b"data: " + encode(envelope) + b"\n\n"
    finally:
        pipeline.finish(environment, outcome, 200)


async def embeddings(request: Request[Any, Any, Any], state: State) -> Response[bytes]:
    """``POST /v1/embeddings``: vectors through the resource's model chain."""
    pipeline = _pipeline(state)
    info = request_info(request)
    outcome = pipeline.begin(info)
    environment: EnvironmentRuntime | None = None
    status = 500
    try:
        body = _decode(await request.body(), EmbeddingRequest)
        key, _, environment = await pipeline.authenticate(info, outcome, _scope(request))
        resource = pipeline.resource(environment, key, body.model, outcome)
        answer = await pipeline.embed(environment, resource, body, info, outcome)
        status = 200
        return Response(msgspec.json.encode(answer), media_type=_JSON, headers=outcome.headers())
    except GatewayError as error:
        status = error.status_code
        raise _with_headers(error, outcome) from None
    finally:
        pipeline.finish(environment, outcome, status)


async def models(request: Request[Any, Any, Any], state: State) -> Response[bytes]:
    """``GET /v1/models``: the AI resources this key may call, as OpenAI models."""
    pipeline = _pipeline(state)
    info = request_info(request)
    outcome = pipeline.begin(info)
    key, _, environment = await pipeline.authenticate(info, outcome, _scope(request))
    created = int(time.time())
    listing = _ModelList(
        data=[
            _Model(id=name, created=created)
            for name, resource in sorted(environment.resources.items())
            if resource.id in key.resource_ids
        ]
    )
    return Response(msgspec.json.encode(listing), media_type=_JSON)


async def messages(request: Request[Any, Any, Any], state: State) -> Response[bytes] | Stream:
    """``POST /v1/messages``: Anthropic's Messages API in and out, any provider behind.

    Errors use Anthropic's body (the SDK picks its exception from the status and type);
    fields the gateway cannot translate are named in ``x-switchboard-dropped-params``.
    """
    pipeline = _pipeline(state)
    info = request_info(request)
    outcome = pipeline.begin(info)
    environment: EnvironmentRuntime | None = None
    status = 500
    streaming = False
    dropped: list[str] = []
    try:
        asked = anthropic_format.decode_request(await request.body())
        chat, dropped = anthropic_format.to_openai(asked)
        key, principal, environment = await pipeline.authenticate(info, outcome, _scope(request))
        resource = pipeline.resource(environment, key, chat.model, outcome)
        plan = pipeline.plan(environment, resource, chat, principal, info, outcome)
        if chat.stream is True:
            chunks = await pipeline.stream(environment, plan, chat, info, outcome)
            streaming = True
            return Stream(
                _anthropic_sse(pipeline, environment, outcome, chunks, asked.model),
                media_type="text/event-stream",
                headers={**_headers(outcome, dropped), "cache-control": "no-cache"},
            )
        answer = await pipeline.complete(environment, plan, chat, info, outcome)
        status = 200
        return Response(
            msgspec.json.encode(anthropic_format.from_openai(answer, model=asked.model)),
            media_type=_JSON,
            headers=_headers(outcome, dropped),
        )
    except GatewayError as error:
        status = error.status_code
        return Response(
            anthropic_format.anthropic_error(status, error.message, error.error_type),
            status_code=status,
            media_type=_JSON,
            headers={**_headers(outcome, dropped), **error.headers},
        )
    finally:
        if not streaming:
            pipeline.finish(environment, outcome, status)


def _headers(outcome: Outcome, dropped: list[str]) -> dict[str, str]:
    """The outcome's headers, with what the inbound translation dropped added."""
    headers = outcome.headers()
    names = [*dropped, *outcome.dropped_params]
    if names:
        headers["x-switchboard-dropped-params"] = ",".join(dict.fromkeys(names))
    return headers


async def _anthropic_sse(
    pipeline: Pipeline,
    environment: EnvironmentRuntime,
    outcome: Outcome,
    chunks: AsyncIterator[ChatCompletionChunk],
    model: str,
) -> AsyncIterator[bytes]:
    """Anthropic's named SSE events for the OpenAI chunks of the pipeline."""
    writer = anthropic_format.AnthropicStreamWriter(model=model)
    try:
        async for chunk in chunks:
            for frame in writer.feed(chunk):
                yield frame
        for frame in writer.finish():
            yield frame
    except ProviderError as error:
        outcome.record.error_class = error.error_class
        outcome.record.error_message = error.message
        yield anthropic_format.anthropic_stream_error(error.status or 500, error.message)
    finally:
        pipeline.finish(environment, outcome, 200)


def _routes(prefix: str) -> list[Any]:
    tags = ["data plane"]
    return [
        post(f"{prefix}/chat/completions", status_code=200, tags=tags)(chat_completions),
        post(f"{prefix}/messages", status_code=200, tags=tags)(messages),
        post(f"{prefix}/embeddings", status_code=200, tags=tags)(embeddings),
        get(f"{prefix}/models", tags=tags)(models),
    ]


dataplane_router = Router(
    path="/v1",
    route_handlers=[*_routes(""), *_routes("/completion/{workspace:str}/{environment:str}")],
)
