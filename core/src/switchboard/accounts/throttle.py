"""Login brute-force protection: exponential backoff per account and per client address.

The first ``FREE_FAILURES`` failures within ``WINDOW_SECONDS`` cost nothing; each failure
after that locks the key for 2, 4, 8, ... seconds, at most ``MAX_LOCK_SECONDS``. A success
clears the account's count. Kept in Redis when configured (so every instance sees the same
counts), else in process memory.
"""

from __future__ import annotations

import abc
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["LoginThrottle", "MemoryLoginThrottle", "RedisLoginThrottle", "lock_seconds"]

FREE_FAILURES = 5
WINDOW_SECONDS = 15 * 60
MAX_LOCK_SECONDS = 15 * 60


def lock_seconds(failures: int) -> float:
    """How long a key is locked after its ``failures``-th failure in the window."""
    if failures <= FREE_FAILURES:
        return 0.0
    return float(min(2 ** (failures - FREE_FAILURES), MAX_LOCK_SECONDS))


class LoginThrottle(abc.ABC):
    """Counts failed logins per key (``account:<name>``, ``ip:<address>``)."""

    @abc.abstractmethod
    async def retry_after(self, keys: list[str]) -> float:
        """Seconds until every key may try again (0 when none is locked)."""

    @abc.abstractmethod
    async def failed(self, keys: list[str]) -> None:
        """Count a failed attempt against every key."""

    @abc.abstractmethod
    async def succeeded(self, key: str) -> None:
        """Forget the failures of ``key``."""


class MemoryLoginThrottle(LoginThrottle):
    """One process's counts (the embedded default)."""

    def __init__(self) -> None:
        self._failures: dict[str, tuple[int, float]] = {}
        self._locked_until: dict[str, float] = {}

    async def retry_after(self, keys: list[str]) -> float:
        now = time.monotonic()
        return max([0.0, *(self._locked_until.get(k, 0.0) - now for k in keys)])

    async def failed(self, keys: list[str]) -> None:
        now = time.monotonic()
        for key in keys:
            count, started = self._failures.get(key, (0, now))
            if now - started > WINDOW_SECONDS:
                count, started = 0, now
            count += 1
            self._failures[key] = (count, started)
            lock = lock_seconds(count)
            if lock:
                self._locked_until[key] = now + lock

    async def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)
        self._locked_until.pop(key, None)


class RedisLoginThrottle(LoginThrottle):
    """Counts shared by every instance through Redis (expiring keys, no cleanup job)."""

    def __init__(self, redis: Redis, prefix: str = "sb:login:") -> None:
        self._redis = redis
        self._prefix = prefix

    async def retry_after(self, keys: list[str]) -> float:
        if not keys:
            return 0.0
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            pipe.pttl(f"{self._prefix}lock:{key}")
        remaining: list[int] = await pipe.execute()
        return max(max(ms, 0) for ms in remaining) / 1000.0

    async def failed(self, keys: list[str]) -> None:
        for key in keys:
            count_key = f"{self._prefix}count:{key}"
            pipe = self._redis.pipeline(transaction=True)
            pipe.incr(count_key)
            pipe.expire(count_key, WINDOW_SECONDS, nx=True)
            count, _ = await pipe.execute()
            lock = lock_seconds(int(count))
            if lock:
                await self._redis.set(f"{self._prefix}lock:{key}", b"1", px=int(lock * 1000))

    async def succeeded(self, key: str) -> None:
        await self._redis.delete(f"{self._prefix}count:{key}", f"{self._prefix}lock:{key}")
