"""The data plane as raw ASGI, in front of the Litestar application.

Litestar's per-request machinery (signature models, request and response objects, header
parsing, its router and exception middleware) costs about as much as the whole gateway
pipeline on this path, so :class:`DataPlaneFirst` takes every ``/v1`` request before
Litestar sees it: it gives the request its id, reads the body and writes the answer
itself. Everything else (the control plane, health, plugins' routes) goes on to Litestar.
"""

from __future__ import annotations

import logging

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Receive, Scope, Send

from switchboard.context import RequestInfo
from switchboard.dataplane.routes import ENDPOINTS, Answer, Call, openai_error
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


async def _body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
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
    if answer.stream is None:
        headers.append((b"content-length", str(len(answer.body)).encode()))
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body, "more_body": False})
        return
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    stream = answer.stream
    try:
        async for chunk in stream:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    except OSError:
        # The client went away mid-stream: stop reading from the provider.
        log.info("client disconnected during a stream")
    finally:
        await stream.aclose()
    await send({"type": "http.response.body", "body": b"", "more_body": False})


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
    answer: Answer
    try:
        if endpoint is None:
            raise NotFound(f"no data-plane endpoint {path}", code="unknown_url")
        method, handler = endpoint
        if scope["method"] != method:
            raise MethodNotAllowed(f"{path} answers {method} only")
        body = b""
        if method == "POST":
            body = await _body(receive, gateway.settings.max_body_bytes)
        info = RequestInfo.from_scope(scope, path)
        answer = await handler(pipeline, Call(info=info, body=body, scope=target))
    except GatewayError as error:
        answer = openai_error(error)
    except Exception:
        log.exception("unexpected error on %s", path)
        answer = openai_error(
            GatewayError(f"internal error; quote request id {request_id.decode()} to your operator")
        )
    await _send(send, answer, request_id)
