"""Login brute-force protection: exponential backoff per account and per client address.

The first ``FREE_FAILURES`` failures within ``WINDOW_SECONDS`` cost nothing; each failure
after that locks the key for 2, 4, 8, ... seconds, at most ``MAX_LOCK_SECONDS``. A success
clears the account's count. Kept in Redis when configured (so every instance sees the same
counts; a Redis Cluster too), else in process memory.
"""

from __future__ import annotations

import abc
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster

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


# One failure against one key, atomically: count it and start the window with the first
# failure. A Lua script rather than MULTI/EXEC: it touches a single key, so it runs the same on
# a plain Redis and on a Redis Cluster (no transaction to route to one node; redis-py's cluster
# client sends it to the key's node and follows MOVED), in one round trip. ``SET key 0 EX
# window NX`` followed by ``INCR`` would do without a script, but the key can expire between the
# two, and the INCR then creates a count that never expires. "No TTL yet" rather than "count is
# 1" sets the expiry, so a count left without one (by hand, or by an older version) still gets
# it, like ``EXPIRE ... NX``.
_COUNT_FAILURE = """
local count = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
"""


class RedisLoginThrottle(LoginThrottle):
    """Counts shared by every instance through Redis (expiring keys, no cleanup job).

    ``redis`` is a plain client or a :class:`~redis.asyncio.cluster.RedisCluster`
    (``SWITCHBOARD_REDIS_CLUSTER``). Each throttle key has two Redis keys,
    ``<prefix>count:{<key>}`` and ``<prefix>lock:{<key>}``: the braces are a Redis Cluster hash
    tag, so a key's count and lock share a slot (``succeeded`` deletes both in one command)
    while different accounts and addresses spread over the cluster's nodes. Every command but
    that ``DEL`` names one key; none needs a transaction. (Keys start with their kind,
    ``account:`` or ``ip:``, so the tag is never empty; ``prefix`` must not contain braces.)
    """

    def __init__(self, redis: Redis | RedisCluster, prefix: str = "sb:login:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._count_failure = redis.register_script(_COUNT_FAILURE)

    def count_key(self, key: str) -> str:
        """The Redis key that counts ``key``'s failures in the window."""
        return f"{self._prefix}count:{{{key}}}"

    def lock_key(self, key: str) -> str:
        """The Redis key that exists while ``key`` is locked."""
        return f"{self._prefix}lock:{{{key}}}"

    async def retry_after(self, keys: list[str]) -> float:
        if not keys:
            return 0.0
        # Not a transaction: a cluster pipeline sends each PTTL to its key's node.
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            pipe.pttl(self.lock_key(key))
        remaining: list[int] = await pipe.execute()
        return max(max(ms, 0) for ms in remaining) / 1000.0

    async def failed(self, keys: list[str]) -> None:
        for key in keys:
            count = await self._count_failure(keys=[self.count_key(key)], args=[WINDOW_SECONDS])
            lock = lock_seconds(int(count))
            if lock:
                await self._redis.set(self.lock_key(key), b"1", px=int(lock * 1000))

    async def succeeded(self, key: str) -> None:
        await self._redis.delete(self.count_key(key), self.lock_key(key))
