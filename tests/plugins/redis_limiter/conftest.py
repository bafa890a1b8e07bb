"""Redis limiter fixtures: a fresh key prefix per test, and a proxy that can stop Redis."""

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
        self, url: str | None = None, fail_mode: Literal["open", "closed"] = "open"
    ) -> RedisCapacityLimiter: ...


@pytest.fixture
async def make_limiter(redis_url: str, prefix: str) -> AsyncIterator[MakeLimiter]:
    """Builds limiters on the test Redis (same prefix: they share counters); closes them."""
    made: list[RedisCapacityLimiter] = []

    def make(
        url: str | None = None, fail_mode: Literal["open", "closed"] = "open"
    ) -> RedisCapacityLimiter:
        settings = RedisLimiterSettings(fail_mode=fail_mode, key_prefix=prefix)
        limiter = RedisCapacityLimiter(url or redis_url, settings, retry_interval=0.0, timeout=0.5)
        made.append(limiter)
        return limiter

    yield make
    for limiter in made:
        await limiter.aclose()


class RedisProxy:
    """A TCP proxy to Redis on a fixed local port that tests stop and start (Redis "down")."""

    def __init__(self, target: str) -> None:
        parts = urlsplit(target)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 6379
        self.path = parts.path
        self.listen_port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.listen_port}{self.path}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.listen_port)
        self.listen_port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Refuse new connections and cut the open ones, like a stopped server."""
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
        self._writers.update((writer, up_writer))

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))
        self._writers.difference_update((writer, up_writer))


@pytest.fixture
async def proxy(redis_url: str) -> AsyncIterator[RedisProxy]:
    """A running :class:`RedisProxy` to the test Redis."""
    running = RedisProxy(redis_url)
    await running.start()
    yield running
    await running.stop()
