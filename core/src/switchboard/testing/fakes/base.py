"""The scriptable fake server every provider fake builds on."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import web

__all__ = ["AbandonedReply", "FakeServer", "RecordedRequest", "Reply"]


@dataclass
class Reply:
    """One scripted answer.

    ``json`` (or raw ``body``) for a plain answer; ``events`` for a stream: each item is one
    already-framed chunk (an SSE ``data: ...\\n\\n`` block or an AWS event-stream message),
    written ``event_delay`` seconds apart. ``cut_after`` closes the connection abruptly after
    that many events, as a dying upstream does. ``delay`` waits before the status line (a slow
    or hanging provider).
    """

    status: int = 200
    json: Any = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    delay: float = 0.0
    events: Sequence[bytes] | None = None
    event_delay: float = 0.0
    cut_after: int | None = None


@dataclass(frozen=True)
class RecordedRequest:
    """A request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        """A header's value (case-insensitive)."""
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class AbandonedReply:
    """A reply whose reader closed the connection before the fake had written it all (while
    the fake waited out its ``delay``, or between two events of a stream): what a provider
    sees when a caller stops waiting."""

    path: str
    events_written: int
    """Stream events written before the fake noticed (0 for a plain reply)."""
    closed_at: float
    """``time.monotonic()`` when the fake noticed."""


class FakeServer:
    """A provider's stand-in: answers queued replies in order, records what it was sent.

    Subclasses set :meth:`authorized` (how the provider checks credentials) and
    :meth:`default_reply`, and add builders for the provider's native bodies. Use as a
    context manager or with :meth:`start` / :meth:`stop`.
    """

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[RecordedRequest] = []
        self.abandoned: list[AbandonedReply] = []
        """Replies whose reader went away before their end, in the order noticed."""
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._port = 0

    # -- scripting -----------------------------------------------------------------------

    def script(self, *replies: Reply) -> None:
        """Queue replies; each request takes the next one (then :meth:`default_reply`)."""
        self.replies.extend(replies)

    @property
    def last(self) -> RecordedRequest:
        """The most recent request."""
        assert self.requests, "the fake has received no request"
        return self.requests[-1]

    def authorized(self, request: RecordedRequest) -> bool:
        """Whether the request carries acceptable credentials (subclasses check headers)."""
        return True

    def unauthorized_reply(self) -> Reply:
        """What the provider answers to missing or wrong credentials."""
        return Reply(status=401, json={"error": {"message": "unauthorized"}})

    def default_reply(self, request: RecordedRequest) -> Reply:
        """The answer when nothing is scripted."""
        return Reply(status=500, json={"error": {"message": "nothing scripted for this request"}})

    def wait_abandoned(self, within: float = 5.0) -> AbandonedReply:
        """The first reply a reader abandoned, waiting up to ``within`` seconds for one."""
        deadline = time.monotonic() + within
        while not self.abandoned:
            if time.monotonic() > deadline:
                raise AssertionError(f"no reply was abandoned within {within} s")
            time.sleep(0.01)
        return self.abandoned[0]

    # -- serving ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        assert self._port, "the fake server is not running"
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> Self:
        """Serve on a free port in a background thread."""
        ready = threading.Event()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            app = web.Application(client_max_size=64 * 1024 * 1024)
            app.router.add_route("*", "/{tail:.*}", self._handle)
            self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
            loop.run_until_complete(self._runner.setup())
            loop.run_until_complete(web.SockSite(self._runner, sock).start())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(
            target=serve, name=f"fake-{type(self).__name__}", daemon=True
        )
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fake server did not start")
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._loop = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @contextmanager
    def running(self) -> Iterator[Self]:
        """``with fake.running():`` — start, then stop."""
        self.start()
        try:
            yield self
        finally:
            self.stop()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=await request.read(),
        )
        self.requests.append(recorded)
        if not self.authorized(recorded):
            reply = self.unauthorized_reply()
        elif self.replies:
            reply = self.replies.popleft()
        else:
            reply = self.default_reply(recorded)
        if reply.delay and not await self._wait_out(request, reply.delay):
            self.abandoned.append(AbandonedReply(request.path, 0, time.monotonic()))
            return web.Response(status=reply.status)
        if reply.events is not None:
            return await self._stream(request, reply)
        body = reply.body if reply.body is not None else json.dumps(reply.json).encode()
        return web.Response(
            status=reply.status, body=body, headers=reply.headers, content_type=reply.content_type
        )

    @staticmethod
    async def _wait_out(request: web.Request, seconds: float) -> bool:
        """Sleep ``seconds``; ``False`` as soon as the reader has closed the connection
        (aiohttp does not cancel a handler when that happens)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (left := deadline - loop.time()) > 0:
            transport = request.transport
            if transport is None or transport.is_closing():
                return False
            await asyncio.sleep(min(left, 0.02))
        return True

    async def _stream(self, request: web.Request, reply: Reply) -> web.StreamResponse:
        response = web.StreamResponse(status=reply.status, headers=reply.headers)
        response.content_type = reply.content_type
        await response.prepare(request)
        assert reply.events is not None
        for index, event in enumerate(reply.events):
            if reply.cut_after is not None and index >= reply.cut_after:
                # Drop the connection without finishing the chunked body.
                assert request.transport is not None
                request.transport.abort()
                return response
            try:
                await response.write(event)
            except ConnectionResetError:
                # The reader closed the connection (aiohttp raises on writing to it).
                self.abandoned.append(AbandonedReply(request.path, index, time.monotonic()))
                return response
            if reply.event_delay:
                await asyncio.sleep(reply.event_delay)
        await response.write_eof()
        return response
