"""The data plane as a raw ASGI application mounted at ``/v1``.

Litestar's per-request machinery (signature models, request and response objects, header
parsing) costs more than the whole gateway pipeline on this path, so the data plane reads
the body and writes the answer itself; the request-id middleware, Litestar's routing and
its exception handlers still wrap it. The control plane stays a Litestar API.
"""

from __future__ import annotations

import logging

from litestar import asgi
from litestar.enums import ScopeType
from litestar.types import Receive, Scope, Send

from switchboard.context import RequestInfo
from switchboard.dataplane.routes import ENDPOINTS, Answer, Call, openai_error
from switchboard.errors import GatewayError, NotFound
from switchboard.state import Gateway

__all__ = ["data_plane"]

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


async def _send(send: Send, answer: Answer) -> None:
    headers = [(b"content-type", answer.media_type.encode())]
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


@asgi("/v1", is_mount=True, copy_scope=True)
async def data_plane(scope: Scope, receive: Receive, send: Send) -> None:
    """Dispatch ``/v1/...`` to its endpoint; errors are OpenAI's envelope."""
    if scope["type"] != ScopeType.HTTP:
        return  # a websocket: nothing is served there (Litestar closes it)
    gateway: Gateway = scope["app"].state.gateway
    pipeline = gateway.pipeline
    assert pipeline is not None, "requests arrive after startup"
    remaining = scope["path"].strip("/")
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
        request_id = scope.get("state", {}).get("request_id", "-")
        answer = openai_error(
            GatewayError(f"internal error; quote request id {request_id} to your operator")
        )
    await _send(send, answer)
