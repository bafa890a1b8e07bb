"""The Redis side of the limiter: one client, the script by SHA, and outage tracking.

Every call is one ``EVALSHA`` (one round trip). The script is loaded the first time Redis
answers ``NOSCRIPT`` (first use, or after a restart or ``SCRIPT FLUSH``) and the call is
retried once. A connection failure marks Redis down: the first failure of an outage is logged
once (a warning), every failed call is counted in :attr:`RedisScript.failures`, and for
``retry_interval`` seconds calls fail at once without waiting on the network; after that the
next call tries Redis again, so the limiter recovers without a restart.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlsplit

from redis import exceptions as redis_errors
from redis.asyncio import BlockingConnectionPool, Redis

from switchboard_redis_limiter.script import SCRIPT, SCRIPT_SHA

__all__ = ["RedisScript", "RedisUnavailable"]

log = logging.getLogger(__name__)

_UNREACHABLE = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.ReadOnlyError,
    OSError,
)


class RedisUnavailable(Exception):
    """Redis could not be reached; the message says where and why."""


class RedisScript:
    """Runs the limiter script on the Redis at ``url`` (``SWITCHBOARD_REDIS_URL``)."""

    def __init__(
        self,
        url: str,
        *,
        retry_interval: float = 1.0,
        timeout: float = 1.0,
        max_connections: int = 64,
    ) -> None:
        self.url = url
        self.retry_interval = retry_interval
        self.timeout = timeout
        self.max_connections = max_connections
        self.failures = 0
        """Calls that could not reach Redis (fell back, or were refused when failing closed)."""
        self.outages = 0
        """Times Redis went from reachable to unreachable (each logged once)."""
        self._client: Redis | None = None
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._reason = ""
        parts = urlsplit(url)
        self.where = f"{parts.hostname or '127.0.0.1'}:{parts.port or 6379}" if url else ""

    @property
    def down(self) -> bool:
        """Whether the last attempt to reach Redis failed."""
        return self._down_since is not None

    def _connection(self) -> Redis:
        if self._client is None:
            # Bounded: concurrent calls wait (up to ``timeout``) for one of the connections.
            pool = BlockingConnectionPool.from_url(
                self.url,
                max_connections=self.max_connections,
                timeout=self.timeout,
                socket_timeout=self.timeout,
                socket_connect_timeout=self.timeout,
            )
            self._client = Redis(connection_pool=pool)
        return self._client

    async def run(self, keys: list[str], args: list[str | int]) -> Any:
        """One ``EVALSHA`` of the script; :class:`RedisUnavailable` when Redis is not there."""
        if not self.url:
            self.failures += 1
            raise RedisUnavailable("Redis is not configured (SWITCHBOARD_REDIS_URL is empty)")
        if self._down_since is not None and time.monotonic() < self._retry_at:
            self.failures += 1
            raise RedisUnavailable(self._reason)
        client = self._connection()
        try:
            try:
                result = await client.evalsha(SCRIPT_SHA, len(keys), *keys, *args)
            except redis_errors.NoScriptError:
                await client.script_load(SCRIPT)
                result = await client.evalsha(SCRIPT_SHA, len(keys), *keys, *args)
        except _UNREACHABLE as exc:
            self._went_down(exc)
            raise RedisUnavailable(self._reason) from exc
        if self._down_since is not None:
            log.warning(
                "Redis at %s is reachable again after %.1fs; capacity limits are shared again",
                self.where,
                time.monotonic() - self._down_since,
            )
            self._down_since = None
        return result

    def _went_down(self, exc: BaseException) -> None:
        self.failures += 1
        self._retry_at = time.monotonic() + self.retry_interval
        self._reason = f"Redis at {self.where} is unreachable ({type(exc).__name__}: {exc})"
        if self._down_since is None:
            self._down_since = time.monotonic()
            self.outages += 1
            log.warning("%s; capacity limits follow each environment's failMode", self._reason)

    async def aclose(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()
            await client.connection_pool.aclose()
