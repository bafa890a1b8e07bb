"""Redis limiter fixtures: a fresh key prefix per test, and a proxy that can stop Redis (or
hold its replies). The session's Redis Cluster (``redis_cluster``) is the pytest plugin's, see
:mod:`switchboard.testing.redis_cluster`."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Literal, Protocol
from urllib.parse import urlsplit

import pytest

from switchboard_redis_limiter import RedisCapacityLimiter, RedisLimiterSettings


@pytest.fixture
def prefix() -> str:
    """A key prefix no other test uses."""
    return f"test-{uuid.uuid4().hex}"


class MakeLimiter(Protocol):
    """Builds a limiter on ``url`` (default: the test Redis) with the test's prefix."""

    def __call__(
        self,
        url: str | None = None,
        fail_mode: Literal["open", "closed"] = "open",
        *,
        cluster: bool = False,
    ) -> RedisCapacityLimiter: ...


@pytest.fixture
async def make_limiter(redis_url: str, prefix: str) -> AsyncIterator[MakeLimiter]:
    """Builds limiters on the test Redis (same prefix: they share counters); closes them."""
    made: list[RedisCapacityLimiter] = []

    def make(
        url: str | None = None,
        fail_mode: Literal["open", "closed"] = "open",
        *,
        cluster: bool = False,
    ) -> RedisCapacityLimiter:
        settings = RedisLimiterSettings(fail_mode=fail_mode, key_prefix=prefix)
        limiter = RedisCapacityLimiter(
            url or redis_url, settings, cluster=cluster, retry_interval=0.0, timeout=0.5
        )
        made.append(limiter)
        return limiter

    yield make
    for limiter in made:
        await limiter.aclose()


class RedisProxy:
    """A TCP proxy to Redis on a fixed local port that tests stop and start (Redis "down").

    :attr:`writes` counts the chunks read from clients: a client that sends commands one at a
    time, waiting for each reply, makes at least one per command; a pipeline makes one (or a
    few, when large). :meth:`hold_replies` keeps Redis's replies back until
    :meth:`release_replies`, so a test can act while calls are in flight.
    """

    def __init__(self, target: str) -> None:
        parts = urlsplit(target)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 6379
        self.path = parts.path
        self.listen_port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._replies = asyncio.Event()
        self._replies.set()
        self._wrote = asyncio.Condition()
        self.writes = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.listen_port}{self.path}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.listen_port)
        self.listen_port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Refuse new connections and cut the open ones, like a stopped server (replies held
        back are dropped)."""
        if self._server is not None:
            self._replies.set()  # lets the cut connections' pumps end
            self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            await self._server.wait_closed()
            self._server = None

    def hold_replies(self) -> None:
        """Keep Redis's replies back (commands still reach Redis)."""
        self._replies.clear()

    def release_replies(self) -> None:
        """Pass the held replies and the next ones on."""
        self._replies.set()

    async def wait_for_writes(self, count: int) -> None:
        """Wait (up to 5 s) until clients have written ``count`` chunks in all."""
        async with asyncio.timeout(5), self._wrote:
            await self._wrote.wait_for(lambda: self.writes >= count)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
        self._writers.update((writer, up_writer))

        async def to_redis() -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await reader.read(65536):
                    async with self._wrote:
                        self.writes += 1
                        self._wrote.notify_all()
                    up_writer.write(data)
                    await up_writer.drain()
            up_writer.transport.abort()

        async def to_client() -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await up_reader.read(65536):
                    await self._replies.wait()
                    writer.write(data)
                    await writer.drain()
            writer.transport.abort()

        await asyncio.gather(to_redis(), to_client())
        self._writers.difference_update((writer, up_writer))


@pytest.fixture
async def proxy(redis_url: str) -> AsyncIterator[RedisProxy]:
    """A running :class:`RedisProxy` to the test Redis."""
    running = RedisProxy(redis_url)
    await running.start()
    yield running
    await running.stop()
