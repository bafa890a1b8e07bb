"""The gateway on a Redis Cluster (``SWITCHBOARD_REDIS_CLUSTER=true``): the login throttle's
keys follow their slots to any node, and a whole gateway signs in, locks, answers readiness
and passes cache invalidations on through the cluster.

The cluster is the session's own (the pytest plugin's ``redis_cluster``, three primaries).
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import MovedError

from switchboard.accounts.throttle import MAX_LOCK_SECONDS, WINDOW_SECONDS, RedisLoginThrottle
from switchboard.dataplane.runtime import INVALIDATION_CHANNEL
from switchboard.settings import Settings, load_settings
from switchboard.testing import RunningGateway
from switchboard.testing.redis_cluster import RedisClusterNodes
from tests.core.api.client import ADMIN_PASSWORD, Api, Transcript, expect, expect_error, login

pytestmark = pytest.mark.redis

PASSWORD = "cluster-Password-123"


def spread_keys(nodes: RedisClusterNodes, throttle: RedisLoginThrottle) -> dict[int, str]:
    """One throttle key (``account:<name>``) per node of the cluster, by the node's port."""
    found: dict[int, str] = {}
    for number in range(200):
        key = f"account:spread-{uuid.uuid4().hex[:8]}-{number}"
        found.setdefault(nodes.owner_of(throttle.count_key(key)), key)
        if len(found) == len(nodes.ports):
            return found
    raise AssertionError(f"no key found for every node: {found}")


@pytest.fixture(params=["plain", "cluster"])
async def client(
    request: pytest.FixtureRequest, redis_cluster_url: str
) -> AsyncIterator[Redis | RedisCluster]:
    """A plain client of the test Redis, or a cluster client of the session's cluster."""
    made: Redis | RedisCluster
    if request.param == "plain":
        made = Redis.from_url(request.getfixturevalue("redis_url"))
    else:
        made = RedisCluster.from_url(redis_cluster_url)
    try:
        yield made
    finally:
        await made.aclose()


@pytest.fixture
def throttle(client: Redis | RedisCluster) -> RedisLoginThrottle:
    return RedisLoginThrottle(client, prefix=f"test-{uuid.uuid4().hex}:login:")


async def test_the_throttle_locks_after_repeated_failures_and_a_success_clears(
    throttle: RedisLoginThrottle, client: Redis | RedisCluster
) -> None:
    account, address = "account:bob", "ip:192.0.2.7"
    keys = [account, address]
    for _ in range(5):  # free
        await throttle.failed(keys)
        assert await throttle.retry_after(keys) == 0.0
    assert 0 < await client.ttl(throttle.count_key(account)) <= WINDOW_SECONDS
    await throttle.failed(keys)
    assert 1.0 < await throttle.retry_after([account]) <= 2.0
    assert 1.0 < await throttle.retry_after([address]) <= 2.0
    await throttle.failed(keys)
    assert 2.0 < await throttle.retry_after(keys) <= 4.0
    # The window started with the first failure: later ones do not push it back.
    assert await client.ttl(throttle.count_key(account)) <= WINDOW_SECONDS

    await throttle.succeeded(account)
    assert await throttle.retry_after([account]) == 0.0
    assert await client.exists(throttle.count_key(account), throttle.lock_key(account)) == 0
    assert 2.0 < await throttle.retry_after([address]) <= 4.0  # the address stays locked
    await throttle.failed([account])  # counting starts again
    assert await throttle.retry_after([account]) == 0.0
    assert await client.get(throttle.count_key(account)) == b"1"


async def test_a_count_without_expiry_gets_the_window(
    throttle: RedisLoginThrottle, client: Redis | RedisCluster
) -> None:
    await client.set(throttle.count_key("ip:192.0.2.8"), 3)  # e.g. left by hand
    await throttle.failed(["ip:192.0.2.8"])
    assert await client.get(throttle.count_key("ip:192.0.2.8")) == b"4"
    assert 0 < await client.ttl(throttle.count_key("ip:192.0.2.8")) <= WINDOW_SECONDS


async def test_on_a_cluster_keys_on_every_node_work_and_each_keeps_its_pair_together(
    redis_cluster: RedisClusterNodes, redis_cluster_url: str
) -> None:
    cluster = RedisCluster.from_url(redis_cluster_url)
    plain = Redis.from_url(redis_cluster_url)
    try:
        throttle = RedisLoginThrottle(cluster, prefix=f"test-{uuid.uuid4().hex}:login:")
        by_node = spread_keys(redis_cluster, throttle)
        for port, key in by_node.items():
            assert redis_cluster.owner_of(throttle.lock_key(key)) == port  # the hash tag
            for _ in range(6):
                await throttle.failed([key, "ip:192.0.2.9"])
            assert 1.0 < await throttle.retry_after([key]) <= 2.0
            lock_ms = int(redis_cluster.cli(port, "pttl", throttle.lock_key(key)))
            assert 0 < lock_ms <= 2000  # on the node that serves it
            await throttle.succeeded(key)
            assert await throttle.retry_after([key]) == 0.0
        # The address failed with all three accounts (18 times): locked the longest.
        assert await cluster.get(throttle.count_key("ip:192.0.2.9")) == b"18"
        assert await throttle.retry_after(["ip:192.0.2.9"]) > MAX_LOCK_SECONDS - 5
        # What a plain client of the URL's node would get for a key elsewhere.
        elsewhere = next(k for p, k in by_node.items() if p != redis_cluster.ports[0])
        with pytest.raises(MovedError):
            await plain.incr(throttle.count_key(elsewhere))
    finally:
        await cluster.aclose()
        await plain.aclose()


# -- a whole gateway on the cluster ----------------------------------------------------------


@pytest.fixture
def switchboard_settings(tmp_path: Path, redis_cluster_url: str) -> Settings:
    """The plugin's settings with ``SWITCHBOARD_REDIS_URL`` a node of the session's cluster,
    ``SWITCHBOARD_REDIS_CLUSTER=true`` and a known admin password."""
    return load_settings(
        {},
        data_dir=str(tmp_path / "data"),
        redis_url=redis_cluster_url,
        redis_cluster=True,
        admin_password=ADMIN_PASSWORD,
    )


@pytest.fixture
def invalidations(redis_cluster: RedisClusterNodes) -> Iterator[list[bytes]]:
    """The invalidation messages a subscriber on the cluster's *second* node receives (the
    gateway is connected to the first)."""
    received: list[bytes] = []
    ready, stop = threading.Event(), threading.Event()

    async def listen() -> None:
        client = Redis(host="127.0.0.1", port=redis_cluster.ports[1])
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(INVALIDATION_CHANNEL)
            ready.set()
            while not stop.is_set():
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.05)
                if message is not None:
                    received.append(message["data"])
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
            await client.aclose()

    thread = threading.Thread(target=lambda: asyncio.run(listen()), daemon=True)
    thread.start()
    assert ready.wait(10), "the test subscriber did not subscribe"
    yield received
    stop.set()
    thread.join(10)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_a_gateway_on_the_cluster_signs_in_locks_is_ready_and_invalidates(
    gateway: RunningGateway,
    redis_cluster: RedisClusterNodes,
    invalidations: list[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state = gateway.state
    assert isinstance(state.redis_cluster, RedisCluster)
    throttle = state.login_throttle
    assert isinstance(throttle, RedisLoginThrottle)
    transcript = Transcript()
    admin = login(gateway.url, transcript, "admin", ADMIN_PASSWORD).as_token("admin-cli")

    # Readiness pings the URL's node.
    ready = expect(Api(gateway.url, transcript).get("/readyz"), 200)
    assert ready["checks"] == {"database": "ok", "redis": "ok"}

    # A change in the control plane reaches a subscriber on another node.
    admin.create_user("carol", "read-only", password=PASSWORD)
    wait_for(lambda: b"all" in invalidations, "the invalidation on another node")

    # And a change published through another node reaches the gateway's own listener.
    first = redis_cluster.ports[0]
    wait_for(
        lambda: (
            redis_cluster.cli(first, "pubsub", "numsub", INVALIDATION_CHANNEL).split()[1] != "0"
        ),
        "the gateway to subscribe",
    )
    runtime = state.runtime
    assert runtime is not None
    forgot = threading.Event()
    forget = runtime.forget

    def forget_and_tell() -> None:
        forget()
        forgot.set()

    monkeypatch.setattr(runtime, "forget", forget_and_tell)
    redis_cluster.cli(redis_cluster.ports[2], "publish", INVALIDATION_CHANNEL, "all")
    assert forgot.wait(10), "the gateway did not hear an invalidation published elsewhere"

    # Failed sign-ins lock the account and the address, in the cluster.
    anonymous = Api(gateway.url, transcript)

    for _ in range(6):
        expect_error(
            anonymous.post("/api/v1/auth/login", {"username": "carol", "password": "wrong"}),
            401,
            says="invalid username or password",
        )
    locked = anonymous.post("/api/v1/auth/login", {"username": "carol", "password": PASSWORD})
    expect_error(locked, 429, says="too many failed sign-ins")
    retry_after = int(locked.headers["retry-after"])
    assert 1 <= retry_after <= 2
    for key in ("account:carol", "ip:127.0.0.1"):
        lock = throttle.lock_key(key)
        assert int(redis_cluster.cli(redis_cluster.owner_of(lock), "pttl", lock)) > 0, key

    # Once the lock ends, the right password signs in and clears the account's count.
    time.sleep(retry_after + 0.2)
    login(gateway.url, transcript, "carol", PASSWORD)
    count = throttle.count_key("account:carol")
    assert redis_cluster.cli(redis_cluster.owner_of(count), "exists", count).strip() == "0"
    ip_count = throttle.count_key("ip:127.0.0.1")
    assert redis_cluster.cli(redis_cluster.owner_of(ip_count), "get", ip_count).strip() == "6"
