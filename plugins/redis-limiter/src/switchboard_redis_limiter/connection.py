"""The Redis side of the limiter: one client, the script by SHA, auto-pipelining, outages.

**Concurrent calls share pipelines (auto-pipelining).** Every call is one ``EVALSHA``, one
round trip for its caller. When nothing else is on the way to Redis, a call is sent at once,
on its caller's task, as a plain ``EVALSHA``: alone, it waits for no one and costs what it
cost before (~0.4 µs more Python per call, measured against a fake client). Otherwise it is
queued, and everything queued during the same event-loop iteration is sent in one pipeline
(``transaction=False``) by a flush scheduled with ``loop.call_soon``: no timer, no waiting
for more. Each caller gets its own reply or its own exception: a script error for one call
fails that call only.

Why: an ``EVALSHA`` awaited on its own costs ~150-200 µs of the client's time (a write, a
wake-up and a parse per call), against ~66 µs each when 32 share a pipeline (``DESIGN.md``
§8), and a busy gateway makes its capacity checks in bursts. Measured here (uvloop, hiredis,
Redis on loopback, 2 shared cores, reservations over three checks in a loop; client CPU time
per call, medians of five runs): 1 task 152 µs one at a time vs 146 µs now (the same, within
noise); 32 tasks 103 vs 45 µs (wall time per call 359 vs 109 µs), batches of ~32; 128 tasks
114 vs 41 µs, batches of ~128.

At most ``max_connections`` sends are in flight: calls made while all of them are busy wait
in the queue and leave together, in one pipeline, when one finishes, so under load batches
grow instead of connections (sent one at a time, the 128 tasks above exhausted the pool of 64
within its 1 s wait on the busy machine). A pipeline holds at most ``max_batch`` calls.
:attr:`RedisScript.sent` and :attr:`RedisScript.pipelines` count what was written.

**NOSCRIPT.** A script is loaded the first time Redis answers ``NOSCRIPT`` (first use, or
after a restart or ``SCRIPT FLUSH``) and the calls that got it are sent again once (those of a
pipeline in one pipeline).

**Outages.** A connection failure marks Redis down and fails every call it touched with
:class:`RedisUnavailable`: the first failure of an outage is logged once (a warning), every
failed call is counted in :attr:`RedisScript.failures`, and for ``retry_interval`` seconds
calls fail at once without waiting on the network; after that the next call tries Redis
again, so the limiter recovers without a restart. The client does not retry on its own: a
retried pipeline could run a reservation twice.

**Redis Cluster** (``SWITCHBOARD_REDIS_CLUSTER=true``): the client is redis-py's
:class:`~redis.asyncio.cluster.RedisCluster`, found from the node in the URL. Every key has the
hash tag ``{sb}``, so each script runs on the one primary owning that slot and a batch is one
pipeline to that node (redis-py's cluster pipeline routes it and follows ``MOVED``); scripts
are loaded on that node only. After a failure the client forgets the cluster's layout and asks
for it again on the next try, which is how it finds a promoted replica; a cluster that cannot
be found, or a URL that names a Redis not in cluster mode, is an outage like any other.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any, Final
from urllib.parse import urlsplit

from redis import exceptions as redis_errors
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from switchboard_redis_limiter.script import SCRIPT, SCRIPT_SHA

__all__ = ["RedisScript", "RedisUnavailable"]

log = logging.getLogger(__name__)

_UNREACHABLE: tuple[type[BaseException], ...] = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.ReadOnlyError,
    OSError,
)
# A cluster with no primary serving the slot: nothing can be counted there either. (A cluster
# that cannot be found at all fails its discovery, which counts as an outage whatever the error:
# see ``RedisScript._discover``.)
_CLUSTER_UNREACHABLE: tuple[type[BaseException], ...] = (
    *_UNREACHABLE,
    redis_errors.ClusterDownError,
    redis_errors.SlotNotCoveredError,
)

_YOUR_TURN: Final = object()
"""Resolves a call that the flush found alone: its own task sends it, as a plain EVALSHA."""


class RedisUnavailable(Exception):
    """Redis could not be reached; the message says where and why."""


class _Call:
    """One queued script call and the future its caller awaits."""

    __slots__ = ("args", "future", "keys", "own_turn", "script", "sha")

    def __init__(
        self,
        script: str,
        sha: str,
        keys: Sequence[str | bytes],
        args: Sequence[str | bytes | int],
        future: asyncio.Future[Any],
    ) -> None:
        self.script = script
        self.sha = sha
        self.keys = keys
        self.args = args
        self.future = future
        self.own_turn = False
        """Whether it was sent alone, by its caller (who then holds a send slot)."""


class RedisScript:
    """Runs the limiter script on the Redis at ``url`` (``SWITCHBOARD_REDIS_URL``).

    ``cluster``: ``url`` names a node of a Redis Cluster (``SWITCHBOARD_REDIS_CLUSTER``).
    ``max_connections`` bounds the connections (per node, in a cluster) and the sends in
    flight; ``max_batch`` the calls of one pipeline.
    """

    def __init__(
        self,
        url: str,
        *,
        cluster: bool = False,
        retry_interval: float = 1.0,
        timeout: float = 1.0,
        max_connections: int = 64,
        max_batch: int = 256,
    ) -> None:
        self.url = url
        self.cluster = cluster
        self.retry_interval = retry_interval
        self.timeout = timeout
        self.max_connections = max_connections
        self.max_batch = max_batch
        self.failures = 0
        """Calls that could not reach Redis (fell back, or were refused when failing closed)."""
        self.outages = 0
        """Times Redis went from reachable to unreachable (each logged once)."""
        self.sent = 0
        """``EVALSHA`` calls written to Redis (sent again after ``NOSCRIPT``: counted twice)."""
        self.pipelines = 0
        """Pipelines written; with :attr:`sent`, how well calls were batched."""
        self._client: Redis | RedisCluster | None = None
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._reason = ""
        self._queue: deque[_Call] = deque()
        self._flush_scheduled = False
        self._sending = 0
        self._batches: set[asyncio.Task[None]] = set()
        self._unreachable = _CLUSTER_UNREACHABLE if cluster else _UNREACHABLE
        parts = urlsplit(url)
        self.where = f"{parts.hostname or '127.0.0.1'}:{parts.port or 6379}" if url else ""

    @property
    def down(self) -> bool:
        """Whether the last attempt to reach Redis failed."""
        return self._down_since is not None

    def _connection(self) -> Redis | RedisCluster:
        if self._client is None:
            no_retry = Retry(NoBackoff(), 0)
            if self.cluster:
                self._client = RedisCluster.from_url(
                    self.url,
                    max_connections=self.max_connections,
                    socket_timeout=self.timeout,
                    socket_connect_timeout=self.timeout,
                    retry=no_retry,
                )
            else:
                # Bounded like the sends in flight (each holds one connection at a time), so
                # the wait for a free one (up to ``timeout``) is a safety net.
                pool = BlockingConnectionPool.from_url(
                    self.url,
                    max_connections=self.max_connections,
                    timeout=self.timeout,
                    socket_timeout=self.timeout,
                    socket_connect_timeout=self.timeout,
                    retry=no_retry,
                )
                self._client = Redis(connection_pool=pool)
        return self._client

    # -- calls -------------------------------------------------------------------------------

    async def run(self, keys: Sequence[str | bytes], args: Sequence[str | bytes | int]) -> Any:
        """One ``EVALSHA`` of the limiter script; :class:`RedisUnavailable` when Redis is not
        there. The reply is Redis's; a script error is raised as redis-py's ``ResponseError``.
        """
        return await self.run_script(SCRIPT, SCRIPT_SHA, keys, args)

    async def run_script(
        self, script: str, sha: str, keys: Sequence[str | bytes], args: Sequence[str | bytes | int]
    ) -> Any:
        """One ``EVALSHA`` of ``script`` (``sha``: its SHA-1), e.g. sharing error-rate windows.

        It shares the queue, the pipelines, the outage tracking and the counters with the
        limiter script; on ``NOSCRIPT`` the script is loaded and the call sent again once.
        :class:`RedisUnavailable` when Redis is not there; a script error is raised as
        redis-py's ``ResponseError``.
        """
        if not self.url:
            self.failures += 1
            raise RedisUnavailable("Redis is not configured (SWITCHBOARD_REDIS_URL is empty)")
        if self._refusing():
            self.failures += 1
            raise RedisUnavailable(self._reason)
        if self._sending or self._queue:
            # Others are on the way: join the calls of this iteration, sent after it.
            loop = asyncio.get_running_loop()
            call = _Call(script, sha, keys, args, loop.create_future())
            self._queue.append(call)
            if not self._flush_scheduled:
                self._flush_scheduled = True
                loop.call_soon(self._flush)
            try:
                outcome = await call.future
            except asyncio.CancelledError:
                if call.own_turn:  # its turn came and was not taken: free the slot
                    self._sent()
                raise
            if outcome is not _YOUR_TURN:
                return outcome
        else:
            # Nothing in flight: no one to wait for, so it goes now (no extra loop turn).
            self._sending += 1
        try:
            return await self._send_one(script, sha, keys, args)
        finally:
            self._sent()

    def _refusing(self) -> bool:
        """Whether Redis failed less than ``retry_interval`` ago (calls then fail at once)."""
        return self._down_since is not None and time.monotonic() < self._retry_at

    def _flush(self) -> None:
        """Send what is queued: alone by its caller, else in pipelines of ``max_batch``."""
        self._flush_scheduled = False
        queue = self._queue
        while queue and self._sending < self.max_connections:
            batch: list[_Call] = []
            while queue and len(batch) < self.max_batch:
                call = queue.popleft()
                if not call.future.done():  # skip callers cancelled while queued
                    batch.append(call)
            if not batch:
                return
            self._sending += 1
            if len(batch) == 1:
                batch[0].own_turn = True
                batch[0].future.set_result(_YOUR_TURN)
            else:
                task = asyncio.get_running_loop().create_task(self._send_batch(batch))
                self._batches.add(task)
                task.add_done_callback(self._batches.discard)

    def _sent(self) -> None:
        """A send finished: its slot is free, so what queued meanwhile leaves now."""
        self._sending -= 1
        if self._queue and not self._flush_scheduled:
            self._flush()

    async def _send_batch(self, batch: list[_Call]) -> None:
        try:
            try:
                replies = await self._send_many(batch)
            except asyncio.CancelledError:
                for call in batch:
                    call.future.cancel()
                raise
            except Exception as exc:  # not Redis's answer: a bug; every caller sees it
                replies = [exc] * len(batch)
            for call, reply in zip(batch, replies, strict=True):
                if call.future.done():  # its caller was cancelled meanwhile
                    continue
                if isinstance(reply, BaseException):
                    call.future.set_exception(reply)
                else:
                    call.future.set_result(reply)
        finally:
            self._sent()

    async def _send_one(
        self, script: str, sha: str, keys: Sequence[str | bytes], args: Sequence[str | bytes | int]
    ) -> Any:
        """A call alone: a plain ``EVALSHA`` (no pipeline object), its errors raised."""
        if self._refusing():  # went down while it was queued
            self.failures += 1
            raise RedisUnavailable(self._reason)
        try:
            client = await self._discover() if self.cluster else self._connection()
            self.sent += 1
            try:
                reply = await client.evalsha(sha, len(keys), *keys, *args)
            except redis_errors.NoScriptError:
                await self._load(client, [(script, keys)])
                self.sent += 1
                reply = await client.evalsha(sha, len(keys), *keys, *args)
        except self._unreachable as exc:
            await self._went_down(exc, 1)
            raise self._unavailable(exc) from exc
        if self._down_since is not None:
            self._came_back()
        return reply

    async def _send_many(self, calls: Sequence[_Call]) -> list[Any]:
        """Each call's reply, or the exception for it (outages as :class:`RedisUnavailable`)."""
        if self._refusing():  # went down while these were queued
            self.failures += len(calls)
            return [RedisUnavailable(self._reason) for _ in calls]
        try:
            client = await self._discover() if self.cluster else self._connection()
            replies = await self._pipeline(client, calls)
            again = [i for i, r in enumerate(replies) if isinstance(r, redis_errors.NoScriptError)]
            if again:
                await self._load(client, [(calls[i].script, calls[i].keys) for i in again])
                retried = await self._pipeline(client, [calls[i] for i in again])
                for i, reply in zip(again, retried, strict=True):
                    replies[i] = reply
        except self._unreachable as exc:
            await self._went_down(exc, len(calls))
            return [self._unavailable(exc) for _ in calls]
        lost = [r for r in replies if isinstance(r, self._unreachable)]
        if lost:  # the connection broke part way through the pipeline
            await self._went_down(lost[0], len(lost))
            return [
                self._unavailable(r) if isinstance(r, self._unreachable) else r for r in replies
            ]
        if self._down_since is not None:
            self._came_back()
        return replies

    async def _pipeline(self, client: Redis | RedisCluster, calls: Sequence[_Call]) -> list[Any]:
        """One pipeline of an ``EVALSHA`` per call; errors in place of their replies."""
        self.sent += len(calls)
        self.pipelines += 1
        pipe = client.pipeline(transaction=False)
        for call in calls:
            # ``execute_command``: redis-py's cluster pipeline refuses ``pipe.evalsha`` because a
            # script's keys may span slots; ours share ``{sb}``, so each call has one slot (and
            # one node) and the pipeline routes it there, following ``MOVED``.
            pipe.execute_command("EVALSHA", call.sha, len(call.keys), *call.keys, *call.args)
        return await pipe.execute(raise_on_error=False)

    def _unavailable(self, cause: BaseException) -> RedisUnavailable:
        """A fresh exception per caller (one instance raised in many tasks mixes tracebacks)."""
        error = RedisUnavailable(self._reason)
        error.__cause__ = cause
        return error

    async def _load(
        self, client: Redis | RedisCluster, scripts: Iterable[tuple[str, Sequence[str | bytes]]]
    ) -> None:
        """Load each (script, keys of a call that ran it) where it runs: in a cluster, on the
        primary of the keys' slot only (``SCRIPT LOAD`` would go to every primary, and fail
        when any is down).
        """
        if not isinstance(client, RedisCluster):
            for script in {script for script, _ in scripts}:
                await client.script_load(script)
            return
        targets: dict[tuple[str, str], ClusterNode | None] = {}
        for script, keys in scripts:
            first = keys[0] if keys else None
            if isinstance(first, bytes):
                first = first.decode()
            node = client.get_node_from_key(first) if first is not None else None
            targets[(script, node.name if node else "")] = node
        for (script, _), node in targets.items():
            if node is None:
                await client.script_load(script)
            else:
                await client.execute_command("SCRIPT LOAD", script, target_nodes=node)

    async def _discover(self) -> Redis | RedisCluster:
        """The cluster client, which knows the cluster's layout (asked for on first use and
        after a failure). A cluster that cannot be found, that does not cover every slot, or
        a node that is not in cluster mode, is an outage: its reason is logged, and the calls
        fail per ``failMode`` instead of raising the client's error to the requests.
        """
        client = self._connection()
        if isinstance(client, RedisCluster):
            try:
                await client.initialize()  # at once when it knows the layout
            except redis_errors.RedisClusterException as exc:
                raise redis_errors.ConnectionError(str(exc)) from exc
        return client

    def _came_back(self) -> None:
        assert self._down_since is not None
        log.warning(
            "Redis at %s is reachable again after %.1fs; capacity limits are shared again",
            self.where,
            time.monotonic() - self._down_since,
        )
        self._down_since = None

    async def _went_down(self, exc: BaseException, calls: int) -> None:
        self.failures += calls
        self._retry_at = time.monotonic() + self.retry_interval
        self._reason = f"Redis at {self.where} is unreachable ({type(exc).__name__}: {exc})"
        if self._down_since is None:
            self._down_since = time.monotonic()
            self.outages += 1
            log.warning("%s; capacity limits follow each environment's failMode", self._reason)
        if isinstance(self._client, RedisCluster):
            # Forget the layout: the next try asks the cluster again (a failover moves the slot).
            await self._client.aclose()

    async def aclose(self) -> None:
        """Finish the calls queued and in flight (within ``timeout``), then disconnect."""
        deadline = time.monotonic() + self.timeout
        while (self._queue or self._sending) and time.monotonic() < deadline:
            self._flush()
            await asyncio.sleep(0.001)
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()
            if isinstance(client, Redis):
                await client.connection_pool.aclose()
