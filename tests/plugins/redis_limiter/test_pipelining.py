"""Auto-pipelining: concurrent calls share pipelines, each caller gets its own answer.

The proof that calls share pipelines is taken outside the client, at a :class:`RedisProxy`:
a client that sends one ``EVALSHA`` at a time (and waits for its reply before the next on
that connection) writes at least one chunk per call, so far fewer chunks than calls cannot
happen without pipelining. The client's own counters (``sent``, ``pipelines``) say how the
calls were grouped.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from redis import exceptions as redis_errors
from redis.asyncio import Redis

from switchboard.interfaces import CapacityExhausted, CapacityUnavailable, Reservation
from switchboard.testing.limiter_contract import check
from switchboard_redis_limiter import RedisCapacityLimiter
from switchboard_redis_limiter.connection import RedisUnavailable
from switchboard_redis_limiter.script import SCRIPT_SHA
from tests.plugins.redis_limiter.conftest import MakeLimiter, RedisProxy

pytestmark = pytest.mark.redis


async def _warm(limiter: RedisCapacityLimiter, connections: int = 2) -> None:
    """Open ``connections`` pooled connections (a lone call, then a pipeline, at once)."""
    warm = check("warm-up")
    await asyncio.gather(*(limiter.usage([warm]) for _ in range(connections)))


async def test_concurrent_calls_share_pipelines(
    make_limiter: MakeLimiter, proxy: RedisProxy
) -> None:
    limiter = make_limiter(proxy.url)
    await _warm(limiter)
    writes, sent, pipelines = proxy.writes, limiter.redis.sent, limiter.redis.pipelines
    limit = check("pipelined", requests=100)
    results = await asyncio.gather(
        *(limiter.reserve([limit]) for _ in range(300)), return_exceptions=True
    )
    admitted = [r for r in results if isinstance(r, Reservation)]
    refused = [r for r in results if isinstance(r, CapacityExhausted)]
    assert (len(admitted), len(refused)) == (100, 200)
    assert len({r.token for r in admitted}) == 100
    # One at a time would be 300 writes at least; the first call goes alone (nothing was in
    # flight), the other 299 in two pipelines of at most 256.
    assert proxy.writes - writes <= 10
    assert limiter.redis.sent - sent == 300
    assert limiter.redis.pipelines - pipelines == 2
    assert limiter.redis.failures == 0


async def test_a_lone_call_goes_alone(make_limiter: MakeLimiter, proxy: RedisProxy) -> None:
    limiter = make_limiter(proxy.url)
    one = check("lone", requests=5)
    for _ in range(3):
        await limiter.reserve([one])
    assert (limiter.redis.sent, limiter.redis.pipelines) == (3, 0)


async def test_calls_made_while_every_connection_is_busy_leave_together(
    make_limiter: MakeLimiter,
) -> None:
    limiter = make_limiter()
    limiter.redis.max_connections = 1
    limit = check("busy", requests=30)
    results = await asyncio.gather(
        *(limiter.reserve([limit]) for _ in range(50)), return_exceptions=True
    )
    assert sum(isinstance(r, Reservation) for r in results) == 30
    # The first went alone; the 49 made meanwhile waited for it, then left in one pipeline.
    assert (limiter.redis.sent, limiter.redis.pipelines) == (50, 1)


async def test_a_pipeline_holds_at_most_max_batch_calls(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter()
    limiter.redis.max_batch = 10
    limit = check("batches", requests=100)
    await asyncio.gather(*(limiter.reserve([limit]) for _ in range(51)))
    assert (limiter.redis.sent, limiter.redis.pipelines) == (51, 5)
    (usage,) = await limiter.usage([limit])
    assert usage.requests == 51


async def test_a_script_error_fails_its_call_only(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter()
    limit = check("isolated", requests=10)
    broken = limiter.redis.run(["{sb}:broken:z"], ["usage", "not-a-number", "", 0])
    results = await asyncio.gather(
        *(limiter.reserve([limit]) for _ in range(5)),
        broken,
        *(limiter.reserve([limit]) for _ in range(5)),
        return_exceptions=True,
    )
    assert limiter.redis.pipelines == 1  # the ten reservations and the broken call together
    assert isinstance(results[5], redis_errors.ResponseError)
    assert not isinstance(results[5], RedisUnavailable)
    assert all(isinstance(r, Reservation) for r in results[:5] + results[6:])
    assert limiter.redis.failures == 0 and not limiter.redis.down
    (usage,) = await limiter.usage([limit])
    assert usage.requests == 10


async def test_a_caller_cancelled_while_queued_is_not_sent(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter()
    limit = check("cancelled", requests=10)
    tasks = [asyncio.create_task(limiter.reserve([limit])) for _ in range(5)]
    await asyncio.sleep(0)  # all five have run: the first is sent, four are queued
    tasks[2].cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(results[2], asyncio.CancelledError)
    assert all(isinstance(r, Reservation) for i, r in enumerate(results) if i != 2)
    assert (limiter.redis.sent, limiter.redis.pipelines) == (4, 1)
    (usage,) = await limiter.usage([limit])
    assert usage.requests == 4


async def test_noscript_in_a_batch_loads_once_and_sends_again(
    make_limiter: MakeLimiter, proxy: RedisProxy, redis_url: str
) -> None:
    limiter = make_limiter(proxy.url)
    await _warm(limiter)
    client = Redis.from_url(redis_url)
    try:
        await client.script_flush()
        proxy.hold_replies()  # every call reaches Redis (and gets NOSCRIPT) before any load
        writes, sent, pipelines = proxy.writes, limiter.redis.sent, limiter.redis.pipelines
        limit = check("noscript", requests=10)
        calls = asyncio.gather(
            *(limiter.reserve([limit]) for _ in range(50)), return_exceptions=True
        )
        await proxy.wait_for_writes(writes + 2)  # the lone first call, and the pipeline
        proxy.release_replies()
        results = await calls
        assert sum(isinstance(r, Reservation) for r in results) == 10
        assert sum(isinstance(r, CapacityExhausted) for r in results) == 40
        # Every call was sent twice; the 49 of the pipeline were sent again in one pipeline.
        assert limiter.redis.sent - sent == 100
        assert limiter.redis.pipelines - pipelines == 2
        assert (await client.script_exists(SCRIPT_SHA)) == [True]
        assert limiter.redis.failures == 0
    finally:
        proxy.release_replies()
        await client.aclose()


async def test_redis_stopping_mid_batch_fails_every_caller_and_recovers(
    make_limiter: MakeLimiter, proxy: RedisProxy, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = make_limiter(proxy.url, fail_mode="closed")
    await _warm(limiter)
    limit = check("mid-batch", requests=100)
    proxy.hold_replies()
    writes = proxy.writes
    with caplog.at_level(logging.WARNING):
        calls = asyncio.gather(
            *(limiter.reserve([limit]) for _ in range(40)), return_exceptions=True
        )
        await proxy.wait_for_writes(writes + 2)  # in flight: sent, replies not back
        await proxy.stop()
        results = await calls
    refusals = [r for r in results if isinstance(r, CapacityUnavailable)]
    assert len(refusals) == 40, results
    assert all(isinstance(r.__cause__, RedisUnavailable) for r in refusals)
    assert len({id(r.__cause__) for r in refusals}) == 40  # each caller its own exception
    unreachable = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(unreachable) == 1
    assert (limiter.redis.failures, limiter.redis.outages) == (40, 1)
    assert limiter.redis.down
    proxy.release_replies()
    await proxy.start()
    with caplog.at_level(logging.WARNING):
        results = await asyncio.gather(*(limiter.reserve([limit]) for _ in range(10)))
    assert len(results) == 10 and not limiter.redis.down
    assert any("reachable again" in r.getMessage() for r in caplog.records)
    (usage,) = await limiter.usage([limit])
    assert usage.requests in range(10, 51)  # the 40 may or may not have run before the cut


async def test_fail_open_during_a_batch_outage(
    make_limiter: MakeLimiter, proxy: RedisProxy
) -> None:
    limiter = make_limiter(proxy.url, fail_mode="open")
    await _warm(limiter)
    await proxy.stop()
    limit = check("open-batch", requests=5)
    results = await asyncio.gather(
        *(limiter.reserve([limit]) for _ in range(8)), return_exceptions=True
    )
    # Per-process limits apply while Redis is away, exactly, batch or not.
    assert sum(isinstance(r, Reservation) for r in results) == 5
    assert all(r.token.startswith("mem:") for r in results if isinstance(r, Reservation))
    assert limiter.redis.failures == 8 and limiter.redis.outages == 1
