"""The upstream HTTP client: HTTP/1.1 with keep-alive pools, for provider calls only.

Why not aiohttp's client: with every request forwarded, a third of the gateway's event loop
went to aiohttp's client machinery (URL objects, multidicts, tracing signals, cookie jars,
a connector with its own futures, three timers, a stream reader), more than the gateway's
own pipeline. Provider calls need much less: a request is one ``write`` of the head and the
body on a pooled connection, the answer is parsed by httptools (the C parser uvicorn uses
for the gateway's side) straight into a :class:`Response`.

What it does:

- **Pools** one per origin (scheme, host, port), reused last-in first-out; at most
  ``limit`` connections open in all (callers past it wait for one to be released); a
  connection idle for ``idle_seconds`` is closed rather than reused, since servers drop
  idle connections (a request written on a dropped one fails as ``Disconnected``; like
  aiohttp, a POST is never resent, the gateway's fallback decides).
- **TLS** for ``https`` with the system's trust store (:func:`ssl.create_default_context`),
  the host name checked.
- **Time limits** (:class:`~switchboard.interfaces.provider.Timeouts`): ``connect`` for
  opening a connection, ``first_byte`` for the answer's first byte and for any later gap
  between two reads, ``total`` for the whole exchange including reading the body. Each is
  one timer, re-armed only when it fires (reads just note the time).
- **Bodies** by ``Content-Length``, chunked, or until the connection closes; ``gzip`` and
  ``deflate`` decoded. A streamed body is read as it comes (:meth:`Response.iter_any`);
  the connection stops reading while more than :data:`READ_BUFFER_BYTES` wait unread.
- **Release**: leaving the ``async with`` returns the connection to its pool when the
  answer was read to its end and the server keeps it alive, and closes it otherwise (an
  answer abandoned half-way, say a stream the client stopped).

Errors are :class:`HttpClientError` subclasses (:class:`ConnectFailed`,
:class:`Disconnected`, :class:`ProtocolViolation`) and :class:`TimeoutError`;
:func:`switchboard.upstream.translated_errors` turns them into provider errors. Their
messages never hold the URL (it may carry a key) nor the headers.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import zlib
from collections import deque
from collections.abc import AsyncIterator, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

import httptools

from switchboard import __version__

if TYPE_CHECKING:
    from switchboard.interfaces.provider import Timeouts

__all__ = [
    "READ_BUFFER_BYTES",
    "ConnectFailed",
    "Disconnected",
    "Headers",
    "HttpClient",
    "HttpClientError",
    "ProtocolViolation",
    "Response",
]

READ_BUFFER_BYTES = 1 << 20
"""Unread body bytes past which a connection stops reading until the reader catches up."""

USER_AGENT = f"switchboard/{__version__}"

_UNSAFE_IN_URL = re.compile(r"[\x00-\x20\x7f]")
"""What a URL sent as is must not hold: it would end the request line or a header."""


class HttpClientError(Exception):
    """An upstream exchange failed below HTTP: no connection, a broken one, a bad answer."""


class ConnectFailed(HttpClientError):
    """No connection could be opened; ``os_error`` says why."""

    def __init__(self, os_error: OSError) -> None:
        super().__init__(f"cannot connect: {os_error.strerror or type(os_error).__name__}")
        self.os_error = os_error


class Disconnected(HttpClientError):
    """The server closed the connection before the answer was complete."""


class ProtocolViolation(HttpClientError):
    """The answer was not valid HTTP/1.1 (or its body not valid gzip/deflate)."""


class Headers(Mapping[str, str]):
    """An answer's headers, looked up without regard to case (repeated ones joined by
    ``", "``, as HTTP allows)."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, str]) -> None:
        self._values = values  # keys lower-case

    def __getitem__(self, name: str) -> str:
        return self._values[name.lower()]

    def get(self, name: str, default: Any = None) -> Any:
        return self._values.get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Headers({sorted(self._values)})"  # names only: values may be secrets


class Response:
    """An upstream answer: ``status`` and ``headers`` once it has begun; the body through
    :meth:`read` (all of it) or :meth:`iter_any` (as it comes)."""

    __slots__ = (
        "_buffered",
        "_chunks",
        "_complete",
        "_connection",
        "_error",
        "_waiter",
        "headers",
        "status",
    )

    def __init__(self, connection: _Connection) -> None:
        self._connection = connection
        self.status = 0
        self.headers: Headers = _NO_HEADERS
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._complete = False
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None

    @property
    def content(self) -> Response:
        """The body as a stream (this object: :meth:`iter_any`), as aiohttp names it."""
        return self

    async def read(self) -> bytes:
        """The whole body (waits for its end)."""
        while not self._complete:
            # All of it is wanted: a connection paused at READ_BUFFER_BYTES goes on.
            self._connection.resume()
            await self._wait()
        self._raise_if_failed()
        body = b"".join(self._chunks)
        self._chunks.clear()
        self._buffered = 0
        return body

    async def iter_any(self) -> AsyncIterator[bytes]:
        """The body in the pieces it arrives in."""
        chunks = self._chunks
        while True:
            if chunks:
                chunk = chunks.popleft()
                self._buffered -= len(chunk)
                if self._buffered < READ_BUFFER_BYTES:
                    self._connection.resume()
                yield chunk
            elif self._complete:
                self._raise_if_failed()
                return
            else:
                await self._wait()

    # -- fed by the connection ----------------------------------------------------------------

    def _feed(self, chunk: bytes) -> None:
        self._chunks.append(chunk)
        self._buffered += len(chunk)
        if self._buffered >= READ_BUFFER_BYTES:
            self._connection.pause()
        self._wake()

    def _finish(self, error: BaseException | None = None) -> None:
        if not self._complete:
            self._complete = True
            self._error = error
            self._wake()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    async def _wait(self) -> None:
        waiter = self._waiter = asyncio.get_running_loop().create_future()
        try:
            await waiter
        finally:
            self._waiter = None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


_NO_HEADERS = Headers({})


class _Connection(asyncio.Protocol):
    """One pooled connection and the answer it is reading (httptools calls ``on_*``)."""

    def __init__(self, pool: _Pool) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.response: Response | None = None
        self.closed = False
        self.reusable = False
        self.idle_since = 0.0
        self.last_read = 0.0
        self.started = asyncio.get_running_loop().create_future()
        self._header_pairs: list[tuple[bytes, bytes]] = []
        self._decoder: Any = None
        self._paused = False

    # -- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not derive from asyncio.Transport, but have its methods.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        response = self.response
        if response is None or response._complete:
            # Nothing asked (or already answered): a server talking out of turn is not reused.
            self.close()
            return
        self.last_read = self.pool.loop.time()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as error:
            self.fail(ProtocolViolation(f"malformed answer: {error}"))

    def eof_received(self) -> bool | None:
        return None  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.pool.forget(self)
        response = self.response
        if response is not None and not response._complete:
            if response.status and not self._length_known():
                # An answer without a length ends when the connection does.
                self._flush_decoder(response)
                response._finish()
            else:
                response._finish(Disconnected("the server closed the connection mid-answer"))
            if not self.started.done():
                self.started.set_exception(
                    Disconnected("the server closed the connection before answering")
                )
                self.started.exception()  # retrieved: the sender may have stopped waiting

    # -- httptools callbacks ------------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self.response is not None and self.response._complete:
            # More than one answer to one request: stops the parser, closes the connection.
            raise ProtocolViolation("a second answer to one request")
        self._header_pairs = []
        self._decoder = None

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_pairs.append((name, value))

    def on_headers_complete(self) -> None:
        response = self.response
        assert response is not None
        status = self.parser.get_status_code()
        if 100 <= status < 200:  # an interim answer: the real one follows
            return
        values: dict[str, str] = {}
        for raw_name, raw_value in self._header_pairs:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            values[name] = f"{values[name]}, {value}" if name in values else value
        response.status = status
        response.headers = Headers(values)
        encoding = values.get("content-encoding", "").strip().lower()
        if encoding in ("gzip", "x-gzip"):
            self._decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._decoder = zlib.decompressobj()
        if not self.started.done():
            self.started.set_result(None)

    def on_body(self, body: bytes) -> None:
        response = self.response
        assert response is not None
        if self._decoder is not None:
            try:
                body = self._decoder.decompress(body)
            except zlib.error as error:
                self.fail(ProtocolViolation(f"undecodable {error}"))
                return
            if not body:
                return
        response._feed(body)

    def on_message_complete(self) -> None:
        response = self.response
        if response is None or not response.status:
            return  # the end of an interim answer
        self._flush_decoder(response)
        self.reusable = self.parser.should_keep_alive()
        response._finish()

    # -- the client's side --------------------------------------------------------------------

    def send(self, head: bytes, body: bytes | None, response: Response) -> None:
        """Write a request and expect its answer."""
        assert self.transport is not None
        self.response = response
        self.reusable = False
        self.started = self.pool.loop.create_future()
        self.parser = httptools.HttpResponseParser(self)
        self.last_read = self.pool.loop.time()
        if body:
            self.transport.writelines((head, body))
        else:
            self.transport.write(head)

    def fail(self, error: BaseException) -> None:
        """End the current exchange with ``error`` and close the connection."""
        response = self.response
        if response is not None:
            response._finish(error)
        if not self.started.done():
            self.started.set_exception(error)
            self.started.exception()  # retrieved here: the sender may have stopped waiting
        self.close()

    def close(self) -> None:
        """Close now (no reuse)."""
        self.reusable = False
        self.closed = True
        if self.transport is not None:
            self.transport.abort()
        self.pool.forget(self)

    def pause(self) -> None:
        if not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()

    def resume(self) -> None:
        if self._paused and self.transport is not None:
            self._paused = False
            self.last_read = self.pool.loop.time()  # the gap restarts: the wait was ours
            self.transport.resume_reading()

    def _length_known(self) -> bool:
        headers = self.response.headers if self.response is not None else _NO_HEADERS
        return "content-length" in headers or "chunked" in headers.get("transfer-encoding", "")

    def _flush_decoder(self, response: Response) -> None:
        if self._decoder is not None:
            rest = self._decoder.flush()
            self._decoder = None
            if rest:
                response._feed(rest)


class _Pool:
    """The connections to one origin: idle ones (last in, first out) and a count of all."""

    def __init__(self, client: HttpClient, host: str, port: int, tls: bool) -> None:
        self.client = client
        self.loop = asyncio.get_running_loop()
        self.host, self.port, self.tls = host, port, tls
        default_port = 443 if tls else 80
        self.host_header = host if port == default_port else f"{host}:{port}"
        self.idle: list[_Connection] = []
        self.open: set[_Connection] = set()

    def take_idle(self) -> _Connection | None:
        idle, now, limit = self.idle, self.loop.time(), self.client.idle_seconds
        while idle:
            connection = idle.pop()
            if not connection.closed and now - connection.idle_since < limit:
                return connection
            connection.close()
        return None

    async def connect(self, within: float) -> _Connection:
        ssl_context = self.client.ssl_context if self.tls else None
        try:
            async with asyncio.timeout(within):
                _, connection = await self.loop.create_connection(
                    lambda: _Connection(self),
                    self.host,
                    self.port,
                    ssl=ssl_context,
                    server_hostname=self.host if ssl_context is not None else None,
                )
        except TimeoutError:
            raise TimeoutError(f"no connection within {within:g} s") from None
        except ssl.SSLError as error:
            raise ConnectFailed(error) from None
        except OSError as error:
            raise ConnectFailed(error) from None
        self.open.add(connection)
        return connection

    def release(self, connection: _Connection) -> None:
        """The caller is done with ``connection``: back to the pool, or closed."""
        response = connection.response
        connection.response = None
        if (
            connection.reusable
            and not connection.closed
            and response is not None
            and response._complete
            and response._error is None
            and not self.client.closed
        ):
            connection.resume()
            connection.idle_since = self.loop.time()
            self.idle.append(connection)
        else:
            connection.close()
        self.client.wake_one()

    def forget(self, connection: _Connection) -> None:
        if connection in self.open:
            self.open.discard(connection)
            self.client.opened -= 1
            self.client.wake_one()


class _Exchange:
    """``async with client.post(...) as response``: sends on enter, releases on exit."""

    __slots__ = ("_args", "_client", "_connection")

    def __init__(self, client: HttpClient, args: tuple[Any, ...]) -> None:
        self._client = client
        self._args = args
        self._connection: _Connection | None = None

    async def __aenter__(self) -> Response:
        self._connection, response = await self._client._send(*self._args)
        return response

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        connection = self._connection
        if connection is not None:
            self._connection = None
            self._client._finish_exchange(connection)


class HttpClient:
    """Pooled HTTP/1.1 connections to upstreams (one client per process)."""

    def __init__(
        self,
        *,
        limit: int = 512,
        idle_seconds: float = 15.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.limit = limit
        self.idle_seconds = idle_seconds
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.opened = 0
        self.closed = False
        self._pools: dict[str, _Pool] = {}
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._timers: dict[_Connection, tuple[asyncio.TimerHandle, asyncio.TimerHandle]] = {}

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        timeout: Timeouts,
        data: bytes | None = None,
        params: Mapping[str, str] | None = None,
    ) -> _Exchange:
        """``async with client.request(...) as response``: send ``method`` to ``url`` (sent
        as given: no normalisation, which signed URLs need), with ``params`` appended as
        its query string when given."""
        if params:
            url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
        return _Exchange(self, (method, url, data, headers, timeout))

    def post(
        self,
        url: str,
        *,
        data: bytes,
        headers: Mapping[str, str],
        timeout: Timeouts,
        params: Mapping[str, str] | None = None,
    ) -> _Exchange:
        """``POST`` ``data`` to ``url`` (see :meth:`request`)."""
        return self.request("POST", url, data=data, headers=headers, timeout=timeout, params=params)

    def get(self, url: str, *, headers: Mapping[str, str], timeout: Timeouts) -> _Exchange:
        """``GET`` ``url`` (see :meth:`request`)."""
        return _Exchange(self, ("GET", url, None, headers, timeout))

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close every connection; later calls fail."""
        self.closed = True
        for pool in self._pools.values():
            for connection in [*pool.open]:
                # An answer being read must not look complete (one ended by the close would).
                connection.fail(HttpClientError("the HTTP client was closed"))
            pool.idle.clear()
        self._pools.clear()
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)

    # -- the exchange ------------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        timeouts: Timeouts,
    ) -> tuple[_Connection, Response]:
        if self.closed:
            raise HttpClientError("the HTTP client is closed")
        pool, target = self._pool_of(url)
        head = _request_head(method, target, pool.host_header, headers, body)  # may refuse
        loop = pool.loop
        deadline = loop.time() + timeouts.total
        connection = pool.take_idle()
        while connection is None:
            if self.opened < self.limit:
                self.opened += 1
                try:
                    connection = await pool.connect(min(timeouts.connect, timeouts.total))
                except BaseException:
                    self.opened -= 1
                    self.wake_one()
                    raise
            elif not self._close_an_idle_connection():
                await self._wait_for_a_slot(deadline)
                connection = pool.take_idle()
        response = Response(connection)
        connection.send(head, body, response)
        first_byte = timeouts.first_byte
        timers = (
            loop.call_at(deadline, self._expire_total, connection, timeouts.total),
            loop.call_at(loop.time() + first_byte, self._expire_gap, connection, first_byte),
        )
        self._timers[connection] = timers
        try:
            await connection.started
        except BaseException:
            self._finish_exchange(connection)
            raise
        return connection, response

    def _finish_exchange(self, connection: _Connection) -> None:
        timers = self._timers.pop(connection, None)
        if timers is not None:
            timers[0].cancel()
            timers[1].cancel()
        connection.pool.release(connection)

    def _expire_total(self, connection: _Connection, total: float) -> None:
        connection.fail(TimeoutError(f"no complete answer within {total:g} s"))

    def _expire_gap(self, connection: _Connection, gap: float) -> None:
        response = connection.response
        if response is None or response._complete:
            return
        loop = connection.pool.loop
        now = loop.time()
        # While paused the reader is behind, not the server: no gap is counted.
        due = now + gap if connection._paused else connection.last_read + gap
        if due > now:  # data came meanwhile (or reading is paused): wait for the next gap
            self._timers[connection] = (
                self._timers[connection][0],
                loop.call_at(due, self._expire_gap, connection, gap),
            )
            return
        waited = "the first byte" if not response.status else "more of the answer"
        connection.fail(TimeoutError(f"no answer: waited {gap:g} s for {waited}"))

    async def _wait_for_a_slot(self, deadline: float) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            async with asyncio.timeout_at(deadline):
                await waiter
        except BaseException as error:
            if waiter.done() and not waiter.cancelled():
                self.wake_one()  # woken, but leaving (cancelled, timed out): pass it on
            else:
                waiter.cancel()
            if isinstance(error, TimeoutError):
                raise TimeoutError("no free upstream connection in time") from None
            raise
        if self.closed:
            raise HttpClientError("the HTTP client is closed")

    def _close_an_idle_connection(self) -> bool:
        """Make room under the limit by closing the longest idle connection of any origin."""
        idle = [pool.idle[0] for pool in self._pools.values() if pool.idle]
        if not idle:
            return False
        oldest = min(idle, key=lambda connection: connection.idle_since)
        oldest.pool.idle.remove(oldest)
        oldest.close()
        return True

    def wake_one(self) -> None:
        """A connection was released or closed: let one waiting caller try again."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _pool_of(self, url: str) -> tuple[_Pool, str]:
        scheme, sep, rest = url.partition("://")
        scheme = scheme.lower()
        if not sep or scheme not in ("http", "https"):
            raise ValueError("an upstream URL must start with http:// or https://")
        slash = rest.find("/")
        authority, target = (rest, "/") if slash < 0 else (rest[:slash], rest[slash:])
        if _UNSAFE_IN_URL.search(rest):
            raise ValueError("an upstream URL must not hold spaces or control characters")
        key = f"{scheme}://{authority}"
        pool = self._pools.get(key)
        if pool is None:
            host, port = _host_and_port(authority, 443 if scheme == "https" else 80)
            pool = self._pools[key] = _Pool(self, host, port, scheme == "https")
        return pool, target


def _host_and_port(authority: str, default: int) -> tuple[str, int]:
    if "@" in authority:
        raise ValueError("credentials in an upstream URL are not supported")
    if authority.startswith("["):  # [IPv6]:port
        host, _, rest = authority[1:].partition("]")
        port = rest.removeprefix(":")
    else:
        host, _, port = authority.partition(":")
    if not host:
        raise ValueError("an upstream URL needs a host")
    try:
        number = int(port) if port else default
    except ValueError:
        raise ValueError("an upstream URL's port must be a number") from None
    return host, number


def _request_head(
    method: str, target: str, host: str, headers: Mapping[str, str], body: bytes | None
) -> bytes:
    if method == "HEAD":  # its answer has a length but no body: the parser would wait for it
        raise ValueError("HEAD requests are not supported")
    lines = [f"{method} {target} HTTP/1.1\r\n"]
    given = set()
    for name, value in headers.items():
        if "\n" in value or "\r" in value or "\n" in name or "\r" in name:
            raise ValueError(f"the header {name.strip()!r} has a line break in it")
        lowered = name.lower()
        if lowered in _SET_BY_THE_CLIENT:
            continue  # the client's own values: a second one would make the request ambiguous
        lines.append(f"{name}: {value}\r\n")
        given.add(lowered)
    lines.append(f"Host: {host}\r\n")
    for name, value in _DEFAULT_HEADERS:
        if name.lower() not in given:
            lines.append(f"{name}: {value}\r\n")
    if body is not None:
        lines.append(f"Content-Length: {len(body)}\r\n")
    lines.append("\r\n")
    return "".join(lines).encode("utf-8")


_SET_BY_THE_CLIENT = frozenset({"host", "content-length", "transfer-encoding", "connection"})
"""Headers the client writes itself; a caller's are left out."""

_DEFAULT_HEADERS = (
    ("User-Agent", USER_AGENT),
    ("Accept", "*/*"),
    ("Accept-Encoding", "gzip, deflate"),
)
