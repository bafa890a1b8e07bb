"""A short-lived cache of unwrapped data keys, so KMS is asked once per connection per window.

Entries are keyed by the wrapped data key *and* the context it was sealed for. Keying by the
wrapped key alone would let a ciphertext copied to another connection open from the cache
without KMS ever checking the encryption context; with the context in the key, a copy
misses the cache and KMS refuses it.

Concurrent misses for the same entry share one KMS call: a burst of requests on a
connection whose key just expired costs one Decrypt, not one per request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

__all__ = ["DataKeyCache"]

CacheKey = tuple[bytes, str]


@dataclass(frozen=True)
class _Entry:
    value: bytes
    expires: float


class DataKeyCache:
    """Plaintext data keys by ``(wrapped key, context)``, each kept for a TTL.

    ``max_entries`` bounds memory; past it the oldest entries go first. Expired entries are
    dropped when looked up and whenever a new entry is stored, so plaintext keys do not
    outlive their window by much.
    """

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, max_entries: int = 10_000
    ) -> None:
        self._clock = clock
        self._max_entries = max_entries
        self._entries: dict[CacheKey, _Entry] = {}
        self._pending: dict[CacheKey, asyncio.Future[bytes]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"DataKeyCache({len(self._entries)} entries)"

    async def get(self, key: CacheKey, ttl: float, load: Callable[[], Awaitable[bytes]]) -> bytes:
        """The cached value of ``key``, else what ``load()`` returns (cached for ``ttl`` s)."""
        if ttl <= 0:
            return await load()
        entry = self._entries.get(key)
        if entry is not None:
            if entry.expires > self._clock():
                return entry.value
            del self._entries[key]
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(load())
            self._pending[key] = pending
            pending.add_done_callback(lambda done: self._settle(key, done, ttl))
        # Shielded: a caller that gives up (a cancelled request) must not cancel the load
        # that other callers are waiting for.
        return await asyncio.shield(pending)

    def clear(self) -> None:
        """Forget every cached key."""
        self._entries.clear()

    def _settle(self, key: CacheKey, done: asyncio.Future[bytes], ttl: float) -> None:
        self._pending.pop(key, None)
        # exception() also marks a failure as retrieved, so a load nobody awaits any more
        # does not log "exception was never retrieved".
        if done.cancelled() or done.exception() is not None:
            return
        now = self._clock()
        self._entries = {k: e for k, e in self._entries.items() if e.expires > now}
        while len(self._entries) >= self._max_entries:
            del self._entries[next(iter(self._entries))]
        self._entries[key] = _Entry(done.result(), now + ttl)
