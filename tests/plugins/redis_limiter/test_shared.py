"""Limits shared across processes, Redis failures in both fail modes, and recovery."""

from __future__ import annotations

import asyncio
import logging

import pytest
from redis.asyncio import Redis

from switchboard.interfaces import CapacityExhausted, CapacityUnavailable, Reservation
from switchboard.testing.limiter_contract import check
from switchboard_redis_limiter.script import SCRIPT_SHA
from tests.plugins.redis_limiter.conftest import MakeLimiter, RedisProxy

pytestmark = pytest.mark.redis


async def test_two_processes_admit_exactly_the_limit(make_limiter: MakeLimiter) -> None:
    first, second = make_limiter(), make_limiter()  # two pools, as two processes have
    limit = check("connection:shared", requests=100)
    results = await asyncio.gather(
        *(limiter.reserve([limit]) for _ in range(150) for limiter in (first, second)),
        return_exceptions=True,
    )
    admitted = [r for r in results if isinstance(r, Reservation)]
    assert len(admitted) == 100
    assert all(isinstance(r, CapacityExhausted) for r in results if r not in admitted)
    assert first.redis.failures == second.redis.failures == 0
    (usage,) = await second.usage([limit])
    assert usage.requests == 100


async def test_keys_share_one_hash_tag_and_expire(
    make_limiter: MakeLimiter, redis_url: str, prefix: str
) -> None:
    limiter = make_limiter()
    await limiter.reserve([check("k", requests=5, tokens=50, cost=7)])
    client = Redis.from_url(redis_url, decode_responses=True)
    try:
        keys = sorted(await client.keys(f"{{sb}}:{prefix}:*"))
        assert keys == [f"{{sb}}:{prefix}:minute:k:h", f"{{sb}}:{prefix}:minute:k:z"]
        for key in keys:
            assert 60_000 < await client.pttl(key) <= 61_000
    finally:
        await client.aclose()


async def test_the_script_is_reloaded_after_a_flush(
    make_limiter: MakeLimiter, redis_url: str
) -> None:
    limiter = make_limiter()
    one = check("flush", requests=1)
    await limiter.reserve([one])
    client = Redis.from_url(redis_url)
    try:
        await client.script_flush()
        with pytest.raises(CapacityExhausted):
            await limiter.reserve([one])
        assert (await client.script_exists(SCRIPT_SHA)) == [True]
    finally:
        await client.aclose()


async def test_fail_open_uses_process_limits_and_recovers(
    make_limiter: MakeLimiter, proxy: RedisProxy, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = make_limiter(proxy.url, fail_mode="open")
    two = check("open", requests=2)
    await limiter.reserve([two])
    await proxy.stop()
    with caplog.at_level(logging.WARNING):
        # Redis is down: per-process limits apply (a fresh count of 2 here).
        held = [await limiter.reserve([two]), await limiter.reserve([two])]
        with pytest.raises(CapacityExhausted):
            await limiter.reserve([two])
        await limiter.release(held[0])
        await limiter.reserve([two])
    unreachable = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(unreachable) == 1 and limiter.redis.outages == 1
    assert limiter.redis.failures == 4
    await proxy.start()
    # Back on Redis without a restart: its count (1) is the one that holds again.
    await limiter.reserve([two])
    with pytest.raises(CapacityExhausted):
        await limiter.reserve([two])
    assert not limiter.redis.down


async def test_fail_closed_names_redis_and_recovers(
    make_limiter: MakeLimiter, proxy: RedisProxy
) -> None:
    limiter = make_limiter(proxy.url, fail_mode="closed")
    one = check("closed", requests=1, tokens=100, cost=10)
    reservation = await limiter.reserve([one])
    await proxy.stop()
    with pytest.raises(CapacityUnavailable, match=rf"Redis at 127\.0\.0\.1:{proxy.listen_port}"):
        await limiter.reserve([one])
    with pytest.raises(CapacityUnavailable, match="Redis"):
        await limiter.usage([one])
    await limiter.reconcile(reservation, tokens=20)  # best effort: no error during an outage
    await proxy.start()
    (usage,) = await limiter.usage([one])
    assert (usage.requests, usage.tokens) == (1, 10)
    await limiter.release(reservation)
    await limiter.reserve([one])


async def test_an_unreachable_redis_fails_closed_at_once(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter("redis://127.0.0.1:1/0", fail_mode="closed")
    with pytest.raises(CapacityUnavailable, match=r"Redis at 127\.0\.0\.1:1 is unreachable"):
        await limiter.reserve([check("nowhere", requests=1)])


async def test_no_url_fails_per_mode(make_limiter: MakeLimiter) -> None:
    closed = make_limiter(fail_mode="closed")
    closed.redis.url = ""
    with pytest.raises(CapacityUnavailable, match="SWITCHBOARD_REDIS_URL"):
        await closed.reserve([check("unset", requests=1)])
    opened = closed.configured(closed.settings.__class__(fail_mode="open"))
    reservation = await opened.reserve([check("unset", requests=1)])
    assert reservation.token.startswith("mem:")
