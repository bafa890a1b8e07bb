"""The data plane as raw ASGI, in front of the Litestar application.

Litestar's per-request machinery (signature models, request and response objects, header
parsing, its router and exception middleware) costs about as much as the whole gateway
pipeline on this path, so :class:`DataPlaneFirst` takes every ``/v1`` request before
Litestar sees it: it gives the request its id, reads the body and writes the answer
itself. Everything else (the control plane, health, plugins' routes) goes on to Litestar.

A client that goes away stops its request. Once the request has run for a quarter of a
second (:data:`WATCH_AFTER_SECONDS`), a watcher waits for the ASGI ``http.disconnect``
(uvicorn's ``send`` says nothing when the client is gone) and cancels the request's task.
The cancellation lands in whatever the request waits on — capacity, a provider's answer,
the next chunk of a provider's stream, a write — so the provider's HTTP response is closed
there and then, and the endpoint records the request as closed by its client
(``pipeline.CLIENT_CLOSED_STATUS``). A ``send`` that raises ``OSError`` (servers that
report a closed client that way) ends a stream the same way. A client that leaves before
its body has arrived asked nothing yet: no record is made.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Coroutine
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Receive, Scope, Send

from switchboard.context import RequestInfo
from switchboard.dataplane.pipeline import Pipeline
from switchboard.dataplane.routes import ENDPOINTS, Answer, Call, Endpoint, openai_error
from switchboard.errors import GatewayError, NotFound
from switchboard.http.request_id import REQUEST_ID_BYTES, request_id_of
from switchboard.logs import request_id_var
from switchboard.state import Gateway

__all__ = ["DataPlaneFirst"]

log = logging.getLogger(__name__)

_SCOPED = "completion/"


class PayloadTooLarge(GatewayError):
    """413: the body is larger than ``SWITCHBOARD_MAX_BODY_BYTES``."""

    status_code = 413
    error_type = "invalid_request_error"


class MethodNotAllowed(GatewayError):
    """405: the endpoint exists, with another method."""

    status_code = 405
    error_type = "invalid_request_error"


class _ClientLeft(Exception):
    """The client disconnected before its request body had arrived."""


async def _body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientLeft
        chunk = message.get("body", b"")
        assert isinstance(chunk, bytes)
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the request body is larger than {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _split(remaining: str) -> tuple[str, tuple[str, str] | None]:
    """``chat/completions`` or ``completion/{ws}/{env}/chat/completions`` → name, scope."""
    if remaining.startswith(_SCOPED):
        parts = remaining[len(_SCOPED) :].split("/", 2)
        if len(parts) == 3:
            return parts[2], (parts[0], parts[1])
    return remaining, None


async def _send(send: Send, answer: Answer, request_id: bytes) -> None:
    headers = [(b"content-type", answer.media_type.encode()), (REQUEST_ID_BYTES, request_id)]
    headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers.items()]
    if answer.stream is not None:
        await _send_stream(send, answer.status, headers, answer.stream)
        return
    headers.append((b"content-length", str(len(answer.body)).encode()))
    try:
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body, "more_body": False})
    except OSError:
        # Recorded already as answered: the provider's work was done and paid for.
        log.info("the client closed the connection before the answer was written")


async def _send_stream(
    send: Send,
    status: int,
    headers: list[tuple[bytes, bytes]],
    stream: AsyncGenerator[bytes, None],
) -> None:
    """Write a stream; closing it on the way out records the request (see routes.py).

    The first chunk is taken before the status line goes out: a generator that has started
    runs its ``finally`` when closed, whereas one closed before its first step runs nothing,
    and the request would then never be recorded.
    """
    try:
        chunk = await anext(stream, None)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        while chunk is not None:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            chunk = await anext(stream, None)
    except OSError:
        log.info("the client closed the connection mid-stream; the provider's stream is closed")
        return
    finally:
        await stream.aclose()
    await send({"type": "http.response.body", "body": b"", "more_body": False})


WATCH_AFTER_SECONDS = 0.25
"""How long a request runs before the gateway starts watching for its client leaving."""


async def _until_the_client_leaves(receive: Receive, work: Coroutine[Any, Any, None]) -> None:
    """Run ``work`` in this task, cancelling it as soon as the client disconnects.

    The watcher (a task waiting for ``http.disconnect``) starts only once the request has
    run for :data:`WATCH_AFTER_SECONDS`: watching from the start cost about 7% of the
    throughput of short requests (a task per request, woken again at its end), while a
    request the client gives up on is a long one (a stream, a slow answer, a wait for
    capacity) and is stopped at most that much later. The watcher cancels this task, and the
    cancellation it caused is taken back (``uncancel``), so one requested by the server (at
    shutdown) still goes through.
    """
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    left = False
    watcher: asyncio.Task[None] | None = None

    async def watch() -> None:
        nonlocal left
        try:
            while (await receive())["type"] != "http.disconnect":
                pass
        except Exception:  # a server's receive failing is no reason to stop the request
            log.debug("cannot watch for the client leaving", exc_info=True)
            return
        left = True
        task.cancel()

    def start_watching() -> None:
        nonlocal watcher
        watcher = loop.create_task(watch())

    timer = loop.call_later(WATCH_AFTER_SECONDS, start_watching)
    try:
        await work
    except asyncio.CancelledError:
        if not left or task.uncancel() > 0:
            raise
        log.info("the client closed the connection; the request was stopped and recorded")
    else:
        if left:  # our cancellation was swallowed on the way: take it back all the same
            task.uncancel()
    finally:
        timer.cancel()
        if watcher is not None:
            watcher.cancel()


async def _respond(
    pipeline: Pipeline, handler: Endpoint, call: Call, send: Send, request_id: bytes
) -> None:
    """Run the endpoint and write its answer; errors are OpenAI's envelope."""
    try:
        answer = await handler(pipeline, call)
    except GatewayError as error:
        answer = openai_error(error)
    except Exception:
        log.exception("unexpected error on %s", call.info.path)
        answer = openai_error(
            GatewayError(f"internal error; quote request id {request_id.decode()} to your operator")
        )
    await _send(send, answer, request_id)


class DataPlaneFirst:
    """The outermost ASGI handler: ``/v1`` to the data plane, the rest to ``other``."""

    def __init__(self, gateway: Gateway, other: ASGIApp) -> None:
        self.gateway = gateway
        self.other = other

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if scope["type"] != ScopeType.HTTP or not (path.startswith("/v1/") or path == "/v1"):
            await self.other(scope, receive, send)
            return
        request_id = request_id_of(scope)
        scope["state"]["request_id"] = request_id
        token = request_id_var.set(request_id)
        try:
            await _serve(self.gateway, scope, receive, send, path, request_id.encode())
        finally:
            request_id_var.reset(token)


async def _serve(
    gateway: Gateway, scope: HTTPScope, receive: Receive, send: Send, path: str, request_id: bytes
) -> None:
    """Dispatch ``/v1/...`` to its endpoint; errors are OpenAI's envelope."""
    pipeline = gateway.pipeline
    assert pipeline is not None, "requests arrive after startup"
    remaining = path[3:].strip("/")
    name, target = _split(remaining)
    path = "/v1/" + remaining
    endpoint = ENDPOINTS.get(name)
    try:
        if endpoint is None:
            raise NotFound(f"no data-plane endpoint {path}", code="unknown_url")
        method, handler = endpoint
        if scope["method"] != method:
            raise MethodNotAllowed(f"{path} answers {method} only")
        body = b""
        if method == "POST":
            body = await _body(receive, gateway.settings.max_body_bytes)
        call = Call(info=RequestInfo.from_scope(scope, path), body=body, scope=target)
    except _ClientLeft:
        log.info("the client closed the connection before its request had arrived")
        return
    except GatewayError as error:
        await _send(send, openai_error(error), request_id)
        return
    await _until_the_client_leaves(receive, _respond(pipeline, handler, call, send, request_id))
