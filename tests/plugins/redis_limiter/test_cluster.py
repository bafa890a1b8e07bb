"""The Redis limiter on a real Redis Cluster: the contract, one node per script, pipelines.

The cluster is this session's own (three primaries, the pytest plugin's ``redis_cluster``, see
:mod:`switchboard.testing.redis_cluster`), so its server-side counters (``INFO``) see only the
tests that use it; the limiter's keys are in the ``{sb}`` slot, where no other test writes.
"""

from __future__ import annotations

import asyncio

import pytest

from switchboard.interfaces import CapacityLimiter, CapacityUnavailable, Reservation
from switchboard.testing.limiter_contract import Advance, LimiterContract, check
from switchboard.testing.redis_cluster import RedisClusterNodes
from switchboard_redis_limiter import RedisCapacityLimiter
from switchboard_redis_limiter.script import SCRIPT_SHA
from tests.plugins.redis_limiter.conftest import MakeLimiter

pytestmark = pytest.mark.redis


@pytest.fixture
def cluster_limiter(
    make_limiter: MakeLimiter, redis_cluster: RedisClusterNodes
) -> RedisCapacityLimiter:
    return make_limiter(redis_cluster.url, fail_mode="closed", cluster=True)


class TestRedisClusterLimiter(LimiterContract):
    @pytest.fixture
    def limiter(self, cluster_limiter: RedisCapacityLimiter) -> CapacityLimiter:
        return cluster_limiter

    @pytest.fixture
    def advance(self, cluster_limiter: RedisCapacityLimiter) -> Advance:
        def advance(seconds: float) -> None:
            cluster_limiter.time_offset += seconds

        return advance


def _counts(nodes: RedisClusterNodes, port: int) -> tuple[int, int]:
    """EVALSHA calls and socket reads the node has served so far."""
    calls = nodes.info(port, "commandstats").get("cmdstat_evalsha", "calls=0").split(",")[0]
    reads = nodes.info(port, "stats")["total_reads_processed"]
    return int(calls.removeprefix("calls=")), int(reads)


async def test_scripts_run_on_the_node_of_the_sb_slot_in_pipelines(
    cluster_limiter: RedisCapacityLimiter, redis_cluster: RedisClusterNodes, prefix: str
) -> None:
    await cluster_limiter.usage([check("warm-up")])  # discovery, and the script loaded
    owner = redis_cluster.owner_of("{sb}")
    before = {port: _counts(redis_cluster, port) for port in redis_cluster.ports}
    limit = check("cluster-pipelined", requests=100)
    results = await asyncio.gather(
        *(cluster_limiter.reserve([limit]) for _ in range(300)), return_exceptions=True
    )
    assert sum(isinstance(r, Reservation) for r in results) == 100
    after = {port: _counts(redis_cluster, port) for port in redis_cluster.ports}
    for port in redis_cluster.ports:
        calls = after[port][0] - before[port][0]
        assert calls == (300 if port == owner else 0), (port, owner, calls)
    # Sent one at a time, 300 calls are 300 reads at least (INFO itself adds one per look).
    assert after[owner][1] - before[owner][1] <= 20
    assert cluster_limiter.redis.pipelines >= 1 and cluster_limiter.redis.failures == 0


async def test_noscript_on_the_cluster(
    cluster_limiter: RedisCapacityLimiter, redis_cluster: RedisClusterNodes
) -> None:
    limit = check("cluster-noscript", requests=10)
    await cluster_limiter.reserve([limit])
    owner = redis_cluster.owner_of("{sb}")
    redis_cluster.cli(owner, "script", "flush")
    sent = cluster_limiter.redis.sent
    results = await asyncio.gather(
        *(cluster_limiter.reserve([limit]) for _ in range(30)), return_exceptions=True
    )
    assert sum(isinstance(r, Reservation) for r in results) == 9
    assert cluster_limiter.redis.sent - sent > 30  # sent again after NOSCRIPT
    for port in redis_cluster.ports:  # loaded where it runs only
        loaded = redis_cluster.cli(port, "script", "exists", SCRIPT_SHA).strip()
        assert loaded == ("1" if port == owner else "0")
    assert cluster_limiter.redis.failures == 0


async def test_a_stopped_node_fails_closed_and_the_limiter_recovers(
    cluster_limiter: RedisCapacityLimiter, redis_cluster: RedisClusterNodes
) -> None:
    limit = check("cluster-outage", requests=50)
    await cluster_limiter.reserve([limit])
    owner = redis_cluster.owner_of("{sb}")
    redis_cluster.stop(owner)
    try:
        results = await asyncio.gather(
            *(cluster_limiter.reserve([limit]) for _ in range(5)), return_exceptions=True
        )
        assert all(isinstance(r, CapacityUnavailable) for r in results), results
        assert cluster_limiter.redis.outages == 1 and cluster_limiter.redis.down
    finally:
        redis_cluster.start(owner)  # same port and cluster config: it rejoins
        redis_cluster.wait_until_ok()
    # The node is back (without its data: it saves nothing): the limiter finds it again.
    await cluster_limiter.reserve([limit])
    assert not cluster_limiter.redis.down


@pytest.mark.parametrize("where", ["standalone", "nowhere"])
async def test_no_usable_cluster_is_an_outage(
    make_limiter: MakeLimiter, redis_url: str, where: str
) -> None:
    # A plain Redis is not a cluster; port 1 answers nothing: either way, fail per failMode.
    url = redis_url if where == "standalone" else "redis://127.0.0.1:1"
    closed = make_limiter(url, fail_mode="closed", cluster=True)
    with pytest.raises(CapacityUnavailable, match=r"Redis at .* is unreachable"):
        await closed.reserve([check("no-cluster", requests=1)])
    opened = closed.configured(closed.settings.__class__(fail_mode="open"))
    reservation = await opened.reserve([check("no-cluster", requests=1)])
    assert reservation.token.startswith("mem:")
    assert closed.redis.outages == 1 and closed.redis.failures == 2
