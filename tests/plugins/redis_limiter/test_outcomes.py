"""Routing's error-rate windows in Redis: two processes (two books, two connection pools)
see each other's counts after a sync, environments and key prefixes stay apart, the keys
expire, and an outage keeps the counts in the process (always failing open) until Redis is
back, when they are shared once."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import msgspec
import pytest
from redis.asyncio import Redis

from switchboard.dataplane.error_rates import ErrorRateBook
from switchboard.interfaces import CapacityLimiter, OutcomeCount
from switchboard_redis_limiter import RedisCapacityLimiter
from switchboard_redis_limiter.outcomes import outcome_key
from tests.plugins.redis_limiter.conftest import MakeLimiter, RedisProxy

pytestmark = pytest.mark.redis


class Environment(msgspec.Struct, frozen=True):
    """The parts of an environment snapshot the book reads."""

    id: str
    connections: Sequence[Any]
    limiter: CapacityLimiter | None


def book_on(limiter: RedisCapacityLimiter, *environment_ids: str) -> ErrorRateBook:
    """A book (one gateway process's) whose environments share through ``limiter``."""
    environments = {e: Environment(e, (), limiter) for e in environment_ids}

    async def environment_of(environment_id: str) -> Any:
        return environments[environment_id]

    book = ErrorRateBook(interval=3600.0)  # synced by hand
    book.start(environment_of)
    return book


def minute() -> int:
    return int(time.time() // 60)


async def test_two_processes_see_each_others_counts_after_a_sync(
    make_limiter: MakeLimiter,
) -> None:
    first, second = book_on(make_limiter(), "env-1", "env-2"), book_on(make_limiter(), "env-1")
    for _ in range(3):
        first.record("env-1", "openai", "gpt-4o", "c-main", 503)
    first.record("env-2", "openai", "gpt-4o", "c-main", 200)
    second.record("env-1", "openai", "gpt-4o", "c-backup", 200)
    assert second.for_environment("env-1").rate() == 0.0  # not shared yet
    await first.sync_all()
    await second.sync_all()
    await first.sync_all()
    for book in (first, second):
        rates = book.for_environment("env-1")
        assert rates.rate() == 75.0
        assert rates.rate(connection="c-main", status="5xx") == 100.0
        assert rates.rate(connection="c-backup") == 0.0
        assert not rates.unshared
    assert first.for_environment("env-2").rate() == 0.0
    await second.sync_all()  # nothing new: nothing added twice
    assert second.for_environment("env-1").rate() == 75.0
    for book in (first, second):
        await book.aclose()


async def test_keys_are_one_hash_per_environment_and_minute_and_expire(
    make_limiter: MakeLimiter, redis_url: str, prefix: str
) -> None:
    limiter = make_limiter()
    now = minute()
    counts = [
        OutcomeCount(now, "openai", "gpt:4o/x", "c-1", 500, 2),
        OutcomeCount(now - 1, "openai", "gpt:4o/x", "c-1", 200, 5),
    ]
    shared = await limiter.share_outcomes("env-1", counts, since_minute=now - 59)
    assert sorted(shared, key=lambda c: c.minute) == sorted(counts, key=lambda c: c.minute)
    assert await limiter.share_outcomes("env-1", [], since_minute=now) == counts[:1]
    other_prefix = limiter.configured(limiter.settings.__class__(key_prefix=prefix + "-other"))
    assert await other_prefix.share_outcomes("env-1", [], since_minute=now - 59) == []
    client = Redis.from_url(redis_url, decode_responses=True)
    try:
        keys = sorted(await client.keys(f"{{sb}}:{prefix}:outcomes:*"))
        assert keys == [outcome_key(prefix, "env-1", m) for m in (now - 1, now)]
        for key in keys:
            assert 3600 < await client.ttl(key) <= 3660
        fields = await client.hgetall(outcome_key(prefix, "env-1", now))
        assert fields == {'["openai","gpt:4o/x","c-1",500]': "2"}
    finally:
        await client.aclose()


async def test_an_outage_keeps_counts_in_the_process_and_shares_them_once_back(
    make_limiter: MakeLimiter, proxy: RedisProxy, caplog: pytest.LogCaptureFixture
) -> None:
    # failMode closed is for capacity: error-rate windows always fail open.
    behind_proxy = make_limiter(proxy.url, fail_mode="closed")
    other = book_on(make_limiter(), "env-1")
    book = book_on(behind_proxy, "env-1")
    book.record("env-1", "openai", "gpt-4o", "c-main", 200)
    other.record("env-1", "openai", "gpt-4o", "c-main", 200)
    await book.sync_all()
    await other.sync_all()
    await book.sync_all()
    await proxy.stop()
    with caplog.at_level(logging.WARNING):
        for _ in range(2):
            book.record("env-1", "openai", "gpt-4o", "c-main", 500)
            await book.sync_all()  # never raises
    rates = book.for_environment("env-1")
    assert not rates.unshared  # held by the limiter's backlog now
    assert rates.rate() == 50.0  # Redis's last answer (2 fine) + the 2 failures kept here
    kept = [r for r in caplog.records if "kept per process" in r.getMessage()]
    assert len(kept) == 1
    await other.sync_all()
    assert other.for_environment("env-1").rate() == 0.0  # not shared during the outage
    await proxy.start()
    await book.sync_all()
    await other.sync_all()
    assert other.for_environment("env-1").rate() == 50.0
    assert book.for_environment("env-1").rate() == 50.0  # counted once
    for each in (book, other):
        await each.aclose()
