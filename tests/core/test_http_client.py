"""The upstream HTTP client (:mod:`switchboard.http_client`) against real servers.

Every server here is a few lines of ``asyncio.start_server`` on 127.0.0.1 writing exact
bytes, so keep-alive, chunking, closes and delays are the test's to choose; nothing of the
client is mocked. Time limits are a few tenths of a second, so the file runs in seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import errno
import gzip
import ipaddress
import random
import socket
import ssl
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from switchboard.http_client import (
    READ_BUFFER_BYTES,
    ConnectFailed,
    Disconnected,
    HttpClient,
    HttpClientError,
    ProtocolViolation,
    Response,
)
from switchboard.interfaces.provider import Timeouts

QUICK = Timeouts(connect=1.0, first_byte=1.0, total=3.0)
"""Generous for a local server, short enough that a hang fails the test quickly."""


# -- the servers --------------------------------------------------------------------------------


@dataclass
class Request:
    """A request as the server read it off the wire."""

    connection: int  # which of the server's connections (0 for the first accepted)
    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def header(self, name: str) -> str | None:
        found = self.values(name)
        assert len(found) <= 1, f"{name} sent {len(found)} times: {found}"
        return found[0] if found else None


class Peer:
    """One accepted connection, as a server's handler sees it."""

    def __init__(
        self,
        server: Server,
        number: int,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.server = server
        self.number = number
        self.reader = reader
        self.writer = writer
        self.client_closed = asyncio.Event()  # set once the client's end is seen closed

    async def read_request(self) -> Request | None:
        """The next request, or ``None`` when the client closed the connection instead."""
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            self.client_closed.set()
            return None
        request_line, *lines = head.decode("latin-1").split("\r\n")
        method, _, rest = request_line.partition(" ")  # split leniently: a test may
        target, _, version = rest.rpartition(" ")  # check what a bad URL made of it
        headers = []
        for line in lines:
            if line:
                name, _, value = line.partition(":")
                headers.append((name, value.strip()))
        request = Request(self.number, method, target, version, headers, b"")
        length = request.header("Content-Length")
        request.body = await self.reader.readexactly(int(length)) if length else b""
        self.server.requests.append(request)
        self.server.request_arrived.set()
        return request

    async def until_client_closes(self) -> None:
        """Read (and drop) whatever comes until the client closes the connection."""
        try:
            while await self.reader.read(65536):
                pass
        except ConnectionError:
            pass
        self.client_closed.set()

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()


Handler = Callable[[Peer], Awaitable[None]]


class Server:
    """A raw TCP server on 127.0.0.1 running ``handler`` for each connection."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.peers: list[Peer] = []
        self.requests: list[Request] = []
        self.request_arrived = asyncio.Event()
        self.errors: list[BaseException] = []
        self.port = 0
        self.scheme = "http"
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def connections(self) -> int:
        return len(self.peers)

    def url(self, path: str = "/") -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    async def start(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0, ssl=ssl_context)
        self.port = self._server.sockets[0].getsockname()[1]
        self.scheme = "https" if ssl_context is not None else "http"

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for peer in self.peers:
            peer.writer.transport.abort()  # handlers reading or writing end with it
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=0.5)
        for task in self._tasks:
            task.cancel()  # the ones waiting for something else
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        peer = Peer(self, len(self.peers), reader, writer)
        self.peers.append(peer)
        try:
            await self.handler(peer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away: the tests judge that from their side
        except asyncio.CancelledError:
            pass  # stopped by the test's end (asyncio logs a cancelled handler task)
        except Exception as error:  # a broken handler must fail the test
            self.errors.append(error)
        finally:
            writer.close()


class Servers:
    """Starts servers for a test and stops them after it."""

    def __init__(self) -> None:
        self.started: list[Server] = []

    async def start(self, handler: Handler, *, ssl_context: ssl.SSLContext | None = None) -> Server:
        server = Server(handler)
        await server.start(ssl_context)
        self.started.append(server)
        return server


@pytest.fixture
async def servers() -> AsyncIterator[Servers]:
    made = Servers()
    yield made
    for server in made.started:
        await server.stop()
    errors = [error for server in made.started for error in server.errors]
    assert not errors, f"a server's handler failed: {errors!r}"


@pytest.fixture
async def client() -> AsyncIterator[HttpClient]:
    made = HttpClient()
    yield made
    await made.close()


def answer(body: bytes = b"ok", *, status: str = "200 OK", headers: Sequence[str] = ()) -> bytes:
    """A whole answer with a ``Content-Length``."""
    extra = "".join(f"{line}\r\n" for line in headers)
    return f"HTTP/1.1 {status}\r\n{extra}Content-Length: {len(body)}\r\n\r\n".encode() + body


def serving(reply: bytes = b"") -> Handler:
    """A keep-alive handler answering every request with ``reply`` (default: ``ok``)."""
    whole = reply or answer()

    async def handler(peer: Peer) -> None:
        while await peer.read_request() is not None:
            await peer.send(whole)

    return handler


def answering_once(reply: bytes) -> Handler:
    """A handler answering the first request with ``reply``, then leaving it to the client
    to close the connection."""

    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(reply)
        await peer.until_client_closes()

    return handler


def chunked(*pieces: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


async def fetch(client: HttpClient, url: str, limits: Timeouts = QUICK) -> tuple[int, bytes]:
    async with client.get(url, headers={}, timeout=limits) as response:
        return response.status, await response.read()


async def closed_soon(peer: Peer) -> bool:
    """Whether the server sees the client close ``peer`` within a second."""
    try:
        await asyncio.wait_for(peer.client_closed.wait(), 1.0)
    except TimeoutError:
        return False
    return True


async def read_into(response: Response, received: bytearray) -> None:
    """Read ``response`` piece by piece into ``received`` (kept when reading fails)."""
    async for piece in response.content.iter_any():
        received += piece


def now() -> float:
    return asyncio.get_running_loop().time()


# -- the request and the answer -----------------------------------------------------------------


async def test_a_post_is_sent_as_given_and_its_answer_read_with_headers_in_any_case(
    servers: Servers, client: HttpClient
) -> None:
    reply = answer(
        b'{"id": 1}',
        status="201 Created",
        headers=["Content-Type: application/json", "X-Request-Id: abc", "Vary: a", "Vary: b"],
    )
    server = await servers.start(serving(reply))
    target = "/v1/models/gemini%3Apro:generate?key=a%2Fb&x=1"

    async with client.post(
        server.url(target),
        data=b'{"q": true}',
        headers={"Authorization": "Bearer t0k", "Content-Type": "application/json"},
        timeout=QUICK,
    ) as response:
        assert response.status == 201
        assert response.headers.get("content-type") == "application/json"
        assert response.headers["X-REQUEST-ID"] == "abc"
        assert "x-Request-ID" in response.headers
        assert response.headers.get("missing", "none") == "none"
        assert response.headers["vary"] == "a, b"
        assert await response.read() == b'{"id": 1}'

    [seen] = server.requests
    assert (seen.method, seen.target, seen.version) == ("POST", target, "HTTP/1.1")
    assert seen.header("Host") == f"127.0.0.1:{server.port}"
    assert seen.header("Content-Length") == "11"
    assert seen.body == b'{"q": true}'
    assert seen.header("Authorization") == "Bearer t0k"
    assert seen.header("Content-Type") == "application/json"
    assert (seen.header("User-Agent") or "").startswith("switchboard/")
    assert seen.header("Accept-Encoding") == "gzip, deflate"
    assert seen.header("Transfer-Encoding") is None


async def test_the_callers_user_agent_and_accept_encoding_replace_the_defaults(
    servers: Servers, client: HttpClient
) -> None:
    server = await servers.start(serving())
    headers = {"user-agent": "mine/1", "ACCEPT-ENCODING": "identity"}

    async with client.post(server.url(), data=b"", headers=headers, timeout=QUICK) as response:
        assert await response.read() == b"ok"

    [seen] = server.requests
    assert seen.values("User-Agent") == ["mine/1"]
    assert seen.values("Accept-Encoding") == ["identity"]
    assert seen.header("Content-Length") == "0"


async def test_a_get_has_no_body_and_a_bare_origin_asks_for_the_root(
    servers: Servers, client: HttpClient
) -> None:
    server = await servers.start(serving())

    assert await fetch(client, f"http://127.0.0.1:{server.port}") == (200, b"ok")

    [seen] = server.requests
    assert (seen.method, seen.target) == ("GET", "/")
    assert seen.header("Content-Length") is None
    assert seen.body == b""


async def test_params_become_the_query_string_after_any_query_already_there(
    servers: Servers, client: HttpClient
) -> None:
    server = await servers.start(serving())
    params = {"alt": "sse", "q": "a b/c&d"}

    for url in (server.url("/search"), server.url("/search?key=k%3A1")):
        async with client.request(
            "POST", url, headers={}, timeout=QUICK, data=b"{}", params=params
        ) as response:
            assert response.status == 200

    assert [seen.target for seen in server.requests] == [
        "/search?alt=sse&q=a+b%2Fc%26d",
        "/search?key=k%3A1&alt=sse&q=a+b%2Fc%26d",
    ]
    assert [seen.method for seen in server.requests] == ["POST", "POST"]


async def test_an_interim_100_answer_is_skipped_for_the_real_one(
    servers: Servers, client: HttpClient
) -> None:
    interim = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
    server = await servers.start(serving(interim + answer(b"final", headers=["X-Final: 1"])))

    async with client.get(server.url(), headers={}, timeout=QUICK) as response:
        assert response.status == 200
        assert response.headers.get("x-final") == "1"
        assert "link" not in response.headers
        assert await response.read() == b"final"
    assert await fetch(client, server.url()) == (200, b"final")
    assert server.connections == 1


async def test_an_answer_without_a_body_ends_at_its_head(
    servers: Servers, client: HttpClient
) -> None:
    server = await servers.start(serving(b"HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n"))

    for _ in range(2):
        assert await fetch(client, server.url()) == (204, b"")
    assert server.connections == 1


# -- keep-alive ---------------------------------------------------------------------------------


async def test_sequential_requests_reuse_one_connection(
    servers: Servers, client: HttpClient
) -> None:
    server = await servers.start(serving())

    for _ in range(3):
        assert await fetch(client, server.url()) == (200, b"ok")

    assert server.connections == 1
    assert [seen.connection for seen in server.requests] == [0, 0, 0]


async def test_concurrent_requests_open_a_connection_each_then_reuse_them(
    servers: Servers, client: HttpClient
) -> None:
    all_in = asyncio.Event()

    async def handler(peer: Peer) -> None:
        while await peer.read_request() is not None:
            if len(peer.server.requests) >= 3:
                all_in.set()
            await all_in.wait()  # answers only once three requests are in at once
            await peer.send(answer())

    server = await servers.start(handler)

    results = await asyncio.gather(*(fetch(client, server.url()) for _ in range(3)))

    assert results == [(200, b"ok")] * 3
    assert server.connections == 3
    assert await fetch(client, server.url()) == (200, b"ok")
    assert server.connections == 3


@pytest.mark.parametrize(
    "reply",
    [
        answer(headers=["Connection: close"]),
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
    ],
    ids=["connection-close", "http-1.0"],
)
async def test_an_answer_that_does_not_keep_alive_is_not_reused(
    servers: Servers, client: HttpClient, reply: bytes
) -> None:
    server = await servers.start(answering_once(reply))

    assert await fetch(client, server.url()) == (200, b"ok")
    assert await closed_soon(server.peers[0])
    assert await fetch(client, server.url()) == (200, b"ok")
    assert server.connections == 2


async def test_a_connection_the_server_closed_while_idle_is_replaced(
    servers: Servers, client: HttpClient
) -> None:
    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(answer())
        await asyncio.sleep(0.02)  # then the server drops it as idle

    server = await servers.start(handler)

    assert await fetch(client, server.url()) == (200, b"ok")
    await asyncio.sleep(0.1)
    assert await fetch(client, server.url()) == (200, b"ok")
    assert server.connections == 2


async def test_an_idle_connection_the_server_talks_on_out_of_turn_is_not_reused(
    servers: Servers, client: HttpClient
) -> None:
    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(answer())
        await asyncio.sleep(0.02)
        await peer.send(answer(b"unasked"))
        await peer.until_client_closes()

    server = await servers.start(handler)

    assert await fetch(client, server.url()) == (200, b"ok")
    assert await closed_soon(server.peers[0])
    assert await fetch(client, server.url()) == (200, b"ok")
    assert server.connections == 2


async def test_a_second_answer_to_one_request_is_not_taken_for_anything(
    servers: Servers, client: HttpClient
) -> None:
    server = await servers.start(answering_once(answer(b"first") + answer(b"second")))

    async with client.get(server.url(), headers={}, timeout=QUICK) as response:
        assert await response.read() == b"first"
        await asyncio.sleep(0.05)  # the second answer arrives while the first is held
        assert response.status == 200
    assert await closed_soon(server.peers[0])
    assert await fetch(client, server.url()) == (200, b"first")
    assert server.connections == 2


async def test_connections_idle_longer_than_idle_seconds_are_not_reused(
    servers: Servers,
) -> None:
    server = await servers.start(serving())
    client = HttpClient(idle_seconds=0.05)
    try:
        assert await fetch(client, server.url()) == (200, b"ok")
        assert await fetch(client, server.url()) == (200, b"ok")  # at once: reused
        assert server.connections == 1
        await asyncio.sleep(0.1)
        assert await fetch(client, server.url()) == (200, b"ok")
        assert server.connections == 2
        assert await closed_soon(server.peers[0])
    finally:
        await client.close()


# -- bodies -------------------------------------------------------------------------------------


async def test_a_chunked_answer_is_read_whole_and_its_connection_reused(
    servers: Servers, client: HttpClient
) -> None:
    async def handler(peer: Peer) -> None:
        while await peer.read_request() is not None:
            await peer.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            body = chunked(b"hello", b" ", b"chunked world")
            for start in range(0, len(body), 7):  # cut across the chunk boundaries
                await peer.send(body[start : start + 7])
                await asyncio.sleep(0.002)

    server = await servers.start(handler)

    assert await fetch(client, server.url()) == (200, b"hello chunked world")
    assert await fetch(client, server.url()) == (200, b"hello chunked world")
    assert server.connections == 1


async def test_an_answer_without_a_length_ends_when_the_server_closes(
    servers: Servers, client: HttpClient
) -> None:
    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil ")
        await asyncio.sleep(0.02)
        await peer.send(b"the end")
        # returning closes the connection: that ends the body

    server = await servers.start(handler)

    assert await fetch(client, server.url()) == (200, b"until the end")
    assert await fetch(client, server.url()) == (200, b"until the end")
    assert server.connections == 2


async def test_iter_any_yields_each_piece_as_the_server_sends_it(
    servers: Servers, client: HttpClient
) -> None:
    first_arrived = asyncio.Event()
    sent_second_after_first_arrived: list[bool] = []

    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        await peer.send(b"5\r\nfirst\r\n")
        try:
            await asyncio.wait_for(first_arrived.wait(), 1.0)
        except TimeoutError:
            sent_second_after_first_arrived.append(False)
        else:
            sent_second_after_first_arrived.append(True)
        await peer.send(b"6\r\nsecond\r\n0\r\n\r\n")

    server = await servers.start(handler)
    pieces = []

    async with client.get(server.url(), headers={}, timeout=QUICK) as response:
        async for piece in response.content.iter_any():
            pieces.append(piece)
            first_arrived.set()

    assert pieces == [b"first", b"second"]
    assert sent_second_after_first_arrived == [True]


@pytest.mark.parametrize("encoding", ["gzip", "x-gzip", "deflate", "GZip"])
@pytest.mark.parametrize("framing", ["length", "chunked"])
async def test_gzip_and_deflate_bodies_are_decoded(
    servers: Servers, client: HttpClient, encoding: str, framing: str
) -> None:
    plain = b"".join(b"line %d of a compressible answer\n" % n for n in range(2000))
    packed = (
        gzip.compress(plain) if "gzip" in encoding.lower() else zlib.compress(plain)  # zlib: RFC
    )
    if framing == "length":
        reply = answer(packed, headers=[f"Content-Encoding: {encoding}"])
    else:
        pieces = [packed[start : start + 100] for start in range(0, len(packed), 100)]
        head = f"HTTP/1.1 200 OK\r\nContent-Encoding: {encoding}\r\n"
        reply = f"{head}Transfer-Encoding: chunked\r\n\r\n".encode() + chunked(*pieces)
    server = await servers.start(serving(reply))

    assert await fetch(client, server.url()) == (200, plain)
    async with client.get(server.url(), headers={}, timeout=QUICK) as response:
        assert response.headers["content-encoding"] == encoding
        assert b"".join([piece async for piece in response.content.iter_any()]) == plain
    assert server.connections == 1


async def test_a_body_that_is_not_the_gzip_it_claims_is_a_protocol_violation(
    servers: Servers, client: HttpClient
) -> None:
    server = await servers.start(
        serving(answer(b"not gzip at all", headers=["Content-Encoding: gzip"]))
    )

    async with client.get(server.url(), headers={}, timeout=QUICK) as response:
        with pytest.raises(ProtocolViolation):
            await response.read()


async def test_a_large_body_read_slowly_arrives_whole_and_the_server_is_held_back(
    servers: Servers, client: HttpClient
) -> None:
    size = 24 << 20
    body = random.Random(7).randbytes(size)
    sent = [0]

    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
        for start in range(0, size, 1 << 16):
            await peer.send(body[start : start + (1 << 16)])
            sent[0] = start + (1 << 16)
        await peer.until_client_closes()

    server = await servers.start(handler)
    pieces: list[bytes] = []
    sent_while_paused = 0

    async with client.get(
        server.url(), headers={}, timeout=Timeouts(first_byte=5, total=10)
    ) as response:
        async for piece in response.content.iter_any():
            if not pieces:
                await asyncio.sleep(0.3)  # the reader lags: the client stops reading
                sent_while_paused = sent[0]
            pieces.append(piece)
            await asyncio.sleep(0)

    assert b"".join(pieces) == body
    # Unread bytes are bounded (the client's buffer plus the kernel's), not the whole body.
    assert sent_while_paused < size * 3 // 4


# Regression: read() once never resumed a connection paused at READ_BUFFER_BYTES, so a
# larger body waited until first_byte expired.
async def test_read_returns_a_body_larger_than_the_read_buffer(
    servers: Servers, client: HttpClient
) -> None:
    size = 3 * READ_BUFFER_BYTES
    body = random.Random(3).randbytes(size)
    server = await servers.start(serving(answer(body)))

    started = now()
    assert await fetch(client, server.url(), Timeouts(first_byte=0.5, total=5)) == (200, body)
    assert now() - started < 0.5


# Regression: while the client itself has paused reading (its reader is slow), no bytes are
# read; the first_byte gap timer once blamed the server for it.
async def test_a_reader_slower_than_first_byte_is_not_a_server_timeout(
    servers: Servers, client: HttpClient
) -> None:
    size = 8 * READ_BUFFER_BYTES
    body = random.Random(5).randbytes(size)
    server = await servers.start(serving(answer(body)))
    pieces: list[bytes] = []

    timeout = Timeouts(first_byte=0.2, total=5)
    async with client.get(server.url(), headers={}, timeout=timeout) as response:
        async for piece in response.content.iter_any():
            if not pieces:
                await asyncio.sleep(0.5)  # the downstream reader is slow for a while
            pieces.append(piece)

    assert b"".join(pieces) == body


# -- time limits --------------------------------------------------------------------------------


@pytest.fixture
def unanswered_port() -> Iterator[int]:
    """A port whose listen queue is full: a connection attempt gets no answer at all."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port: int = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):  # the handshake goes on without us
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    try:
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


@pytest.mark.parametrize(
    "limits",
    [Timeouts(connect=0.2, first_byte=5, total=5), Timeouts(connect=5, first_byte=5, total=0.2)],
    ids=["connect", "total"],
)
async def test_a_connection_that_is_not_accepted_in_time_is_a_timeout(
    client: HttpClient, unanswered_port: int, limits: Timeouts
) -> None:
    started = now()
    with pytest.raises(TimeoutError):
        await fetch(client, f"http://127.0.0.1:{unanswered_port}/", limits)
    assert 0.15 < now() - started < 0.6


async def test_no_first_byte_in_time_is_a_timeout_and_the_pool_goes_on(
    servers: Servers, client: HttpClient
) -> None:
    async def handler(peer: Peer) -> None:
        if peer.number == 0:
            await peer.read_request()  # and never answers
            await peer.until_client_closes()
        else:
            await serving()(peer)

    server = await servers.start(handler)

    started = now()
    with pytest.raises(TimeoutError):
        await fetch(client, server.url(), Timeouts(first_byte=0.3, total=5))
    assert 0.25 < now() - started < 0.8
    assert await closed_soon(server.peers[0])
    assert await fetch(client, server.url()) == (200, b"ok")


async def test_a_pause_mid_body_longer_than_first_byte_is_a_timeout(
    servers: Servers, client: HttpClient
) -> None:
    async def handler(peer: Peer) -> None:
        if peer.number == 0:
            await peer.read_request()
            await peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
            await peer.until_client_closes()
        else:
            await serving()(peer)

    server = await servers.start(handler)

    async with client.get(
        server.url(), headers={}, timeout=Timeouts(first_byte=0.2, total=5)
    ) as response:
        assert response.status == 200
        started = now()
        with pytest.raises(TimeoutError):
            await response.read()
        assert now() - started < 0.6
    assert await closed_soon(server.peers[0])
    assert await fetch(client, server.url()) == (200, b"ok")


async def test_pieces_that_keep_coming_faster_than_first_byte_are_no_timeout(
    servers: Servers, client: HttpClient
) -> None:
    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n")
        for _ in range(8):
            await asyncio.sleep(0.06)
            await peer.send(b"x")

    server = await servers.start(handler)

    started = now()
    assert await fetch(client, server.url(), Timeouts(first_byte=0.2, total=5)) == (200, b"x" * 8)
    assert now() - started > 0.4  # well past first_byte: the gap timer followed the reads


async def test_an_answer_trickling_past_total_is_a_timeout(
    servers: Servers, client: HttpClient
) -> None:
    async def handler(peer: Peer) -> None:
        if peer.number == 0:
            await peer.read_request()
            await peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
            watching = asyncio.create_task(peer.until_client_closes())
            while not watching.done():
                await peer.send(b"x")
                await asyncio.sleep(0.04)
        else:
            await serving()(peer)

    server = await servers.start(handler)
    received = bytearray()

    started = now()
    async with client.get(
        server.url(), headers={}, timeout=Timeouts(first_byte=0.2, total=0.5)
    ) as response:
        with pytest.raises(TimeoutError):
            await read_into(response, received)
    assert 0.45 < now() - started < 0.9
    assert len(received) >= 5  # it was reading all along: the total limit ended it
    assert await closed_soon(server.peers[0])
    assert await fetch(client, server.url()) == (200, b"ok")


# -- failures -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "partial",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 500\r\n\r\n"
        + gzip.compress(b"z" * 1000)[:20],
    ],
    ids=["length", "chunked", "gzip"],
)
async def test_the_server_closing_mid_body_is_disconnected(
    servers: Servers, client: HttpClient, partial: bytes
) -> None:
    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(partial)

    server = await servers.start(handler)

    async with client.get(server.url(), headers={}, timeout=QUICK) as response:
        assert response.status == 200
        with pytest.raises(Disconnected):
            await response.read()
    async with client.get(server.url(), headers={}, timeout=QUICK) as response:
        with pytest.raises(Disconnected):
            async for _ in response.content.iter_any():
                pass


@pytest.mark.parametrize(
    "partial", [b"", b"HTTP/1.1 200 OK\r\nContent-Le"], ids=["nothing", "half"]
)
async def test_the_server_closing_before_answering_is_disconnected(
    servers: Servers, client: HttpClient, partial: bytes
) -> None:
    async def handler(peer: Peer) -> None:
        await peer.read_request()
        if partial:
            await peer.send(partial)

    server = await servers.start(handler)

    with pytest.raises(Disconnected):
        await fetch(client, server.url())
    assert len(server.requests) == 1


async def test_a_refused_connection_is_connect_failed_with_the_os_error(
    client: HttpClient,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there

    with pytest.raises(ConnectFailed) as caught:
        await fetch(client, f"http://127.0.0.1:{port}/v1?key=secret-key")
    assert caught.value.os_error.errno == errno.ECONNREFUSED
    assert isinstance(caught.value, HttpClientError)
    assert "secret-key" not in str(caught.value)


@pytest.mark.parametrize(
    "garbage",
    [
        b"SSH-2.0-OpenSSH_9.6\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n",
    ],
    ids=["not-http", "bad-length"],
)
async def test_garbage_instead_of_an_answer_is_a_protocol_violation(
    servers: Servers, client: HttpClient, garbage: bytes
) -> None:
    server = await servers.start(answering_once(garbage))

    with pytest.raises(ProtocolViolation):
        await fetch(client, server.url())
    assert await closed_soon(server.peers[0])


async def test_a_malformed_chunk_mid_body_is_a_protocol_violation(
    servers: Servers, client: HttpClient
) -> None:
    reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n"
    server = await servers.start(serving(reply))

    async with client.get(server.url(), headers={}, timeout=QUICK) as response:
        assert response.status == 200
        with pytest.raises(ProtocolViolation):
            await response.read()


# -- release ------------------------------------------------------------------------------------


async def test_an_answer_abandoned_half_way_closes_its_connection(
    servers: Servers, client: HttpClient
) -> None:
    async def handler(peer: Peer) -> None:
        if peer.number == 0:
            await peer.read_request()
            await peer.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            await peer.send(b"5\r\nfirst\r\n")
            await peer.until_client_closes()  # the rest never comes
        else:
            await serving()(peer)

    server = await servers.start(handler)

    async with asyncio.timeout(1.0):
        async with client.get(server.url(), headers={}, timeout=QUICK) as response:
            async for piece in response.content.iter_any():
                assert piece == b"first"
                break
    assert await closed_soon(server.peers[0])
    assert await fetch(client, server.url()) == (200, b"ok")
    assert server.connections == 2


async def test_cancelling_a_request_waiting_for_its_answer_closes_its_connection(
    servers: Servers, client: HttpClient
) -> None:
    async def handler(peer: Peer) -> None:
        if peer.number == 0:
            await peer.read_request()
            await peer.until_client_closes()
        else:
            await serving()(peer)

    server = await servers.start(handler)

    waiting = asyncio.create_task(fetch(client, server.url()))
    await asyncio.wait_for(server.request_arrived.wait(), 1.0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert await closed_soon(server.peers[0])
    assert await fetch(client, server.url()) == (200, b"ok")
    assert server.connections == 2


# -- the connection limit -----------------------------------------------------------------------


async def test_at_the_limit_concurrent_requests_take_turns_on_one_connection(
    servers: Servers,
) -> None:
    async def handler(peer: Peer) -> None:
        while await peer.read_request() is not None:
            await asyncio.sleep(0.05)
            await peer.send(answer())

    server = await servers.start(handler)
    client = HttpClient(limit=1)
    try:
        results = await asyncio.gather(*(fetch(client, server.url()) for _ in range(3)))
    finally:
        await client.close()

    assert results == [(200, b"ok")] * 3
    assert server.connections == 1
    assert [seen.connection for seen in server.requests] == [0, 0, 0]


async def test_at_the_limit_an_idle_connection_of_another_origin_makes_room(
    servers: Servers,
) -> None:
    first = await servers.start(serving(answer(b"first")))
    second = await servers.start(serving(answer(b"second")))
    client = HttpClient(limit=1)
    try:
        assert await fetch(client, first.url()) == (200, b"first")
        assert await fetch(client, second.url()) == (200, b"second")
        assert await closed_soon(first.peers[0])
        assert await fetch(client, first.url()) == (200, b"first")
    finally:
        await client.close()
    assert first.connections == 2


async def test_at_the_limit_a_request_waits_no_longer_than_its_total(
    servers: Servers,
) -> None:
    server = await servers.start(serving())
    client = HttpClient(limit=1)
    try:
        async with client.get(server.url(), headers={}, timeout=QUICK) as held:
            assert await held.read() == b"ok"
            started = now()
            with pytest.raises(TimeoutError):
                await fetch(client, server.url(), Timeouts(total=0.2))
            assert 0.15 < now() - started < 0.6
        assert await fetch(client, server.url()) == (200, b"ok")
    finally:
        await client.close()
    assert server.connections == 1


# Regression: a waiter woken for a free connection but cancelled before it ran once took the
# wake-up with it, and the next waiter slept until its own total expired.
async def test_a_cancelled_waiter_passes_its_turn_to_the_next(servers: Servers) -> None:
    server = await servers.start(serving())
    client = HttpClient(limit=1)
    try:
        async with client.get(server.url(), headers={}, timeout=QUICK) as held:
            assert await held.read() == b"ok"
            second = asyncio.create_task(fetch(client, server.url()))
            third = asyncio.create_task(fetch(client, server.url(), Timeouts(total=1.0)))
            await asyncio.sleep(0.05)  # both wait for the one connection
        second.cancel()  # leaving the block woke ``second``; it is cancelled before it runs
        with pytest.raises(asyncio.CancelledError):
            await second
        assert await third == (200, b"ok")
    finally:
        await client.close()


# -- refused requests ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Evil": "a\r\nX-Injected: 1"},
        {"X-Evil": "a\nb"},
        {"X-Evil": "a\rb"},
        {"X-Evil\r\nX-Injected": "1"},
    ],
    ids=["crlf", "lf", "cr", "in-name"],
)
async def test_a_header_with_a_line_break_is_refused_before_anything_is_sent(
    servers: Servers, headers: dict[str, str]
) -> None:
    server = await servers.start(serving())
    client = HttpClient(limit=1)
    try:
        with pytest.raises(ValueError, match="line break"):
            await fetch_with(client, server.url(), headers)
        await asyncio.sleep(0.05)
        assert server.requests == []
        # Regression: the refused request once kept the connection it took, so under limit=1
        # the next request waited for a free one until its total expired.
        assert await fetch(client, server.url(), Timeouts(total=1.0)) == (200, b"ok")
    finally:
        await client.close()


async def fetch_with(client: HttpClient, url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    async with client.get(url, headers=headers, timeout=QUICK) as response:
        return response.status, await response.read()


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1/x",
        "127.0.0.1:80/x",
        "http://user:pass@127.0.0.1/x",
        "https://key@127.0.0.1/x",
        "http:///x",
        "http://127.0.0.1:port/x",
    ],
)
async def test_urls_that_are_not_plain_http_or_https_are_refused(
    client: HttpClient, url: str
) -> None:
    with pytest.raises(ValueError, match="URL"):
        await fetch(client, url)


# Regression: only header lines were checked once, so a line break in the URL's path or query
# went into the request line as is (request splitting).
@pytest.mark.parametrize(
    "path", ["/a\r\nX-Injected: 1\r\n\r\nGET /b", "/a\nb", "/a b"], ids=["crlf", "lf", "space"]
)
async def test_a_url_with_a_line_break_or_space_is_refused_before_anything_is_sent(
    servers: Servers, client: HttpClient, path: str
) -> None:
    server = await servers.start(serving())

    with pytest.raises(ValueError, match="URL"):
        await fetch(client, server.url(path))
    await asyncio.sleep(0.05)
    assert server.requests == []


# -- closing the client -------------------------------------------------------------------------


async def test_close_closes_the_connections_and_later_requests_fail(servers: Servers) -> None:
    server = await servers.start(serving())
    client = HttpClient()
    async with client.get(server.url(), headers={}, timeout=QUICK) as held:
        assert await held.read() == b"ok"
        assert await fetch(client, server.url()) == (200, b"ok")  # a second one, left idle
        await client.close()

    assert server.connections == 2
    assert [await closed_soon(peer) for peer in server.peers] == [True, True]
    with pytest.raises(HttpClientError):
        await fetch(client, server.url())
    assert len(server.requests) == 2


async def test_close_fails_an_answer_being_read_and_a_request_waiting_for_the_limit(
    servers: Servers,
) -> None:
    server = await servers.start(
        answering_once(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
    )
    client = HttpClient(limit=1)
    async with client.get(server.url(), headers={}, timeout=QUICK) as response:
        waiting = asyncio.create_task(fetch(client, server.url()))
        await asyncio.sleep(0.05)
        await client.close()
        with pytest.raises(HttpClientError, match="client was closed"):
            await response.read()
    with pytest.raises(HttpClientError):
        await waiting
    assert await closed_soon(server.peers[0])
    assert server.connections == 1


# -- TLS ----------------------------------------------------------------------------------------


@dataclass
class Certificate:
    cert: Path
    key: Path


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1 (and localhost)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "switchboard test")])
    issued = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(issued)
        .not_valid_after(issued + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(cert_path, key_path)


def server_context(certificate: Certificate) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate.cert, certificate.key)
    return context


async def test_https_with_a_context_trusting_the_certificate_works_and_keeps_alive(
    servers: Servers, certificate: Certificate
) -> None:
    server = await servers.start(
        serving(answer(b"secure")), ssl_context=server_context(certificate)
    )
    client = HttpClient(ssl_context=ssl.create_default_context(cafile=str(certificate.cert)))
    try:
        assert server.url().startswith("https://127.0.0.1:")
        assert await fetch(client, server.url("/v1?x=%3A")) == (200, b"secure")
        assert await fetch(client, server.url()) == (200, b"secure")
    finally:
        await client.close()
    assert server.connections == 1
    assert [(seen.target, seen.header("Host")) for seen in server.requests] == [
        ("/v1?x=%3A", f"127.0.0.1:{server.port}"),
        ("/", f"127.0.0.1:{server.port}"),
    ]


async def test_https_with_an_untrusted_certificate_is_connect_failed(
    servers: Servers, client: HttpClient, certificate: Certificate
) -> None:
    server = await servers.start(serving(), ssl_context=server_context(certificate))

    with pytest.raises(ConnectFailed) as caught:
        await fetch(client, server.url())
    assert isinstance(caught.value.os_error, ssl.SSLCertVerificationError)
    assert server.requests == []
