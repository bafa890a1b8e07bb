"""The per-process state of a running gateway, kept on ``app.state.gateway``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from switchboard.accounts.throttle import LoginThrottle, MemoryLoginThrottle
from switchboard.context import GatewayContext
from switchboard.plugins.host import PluginHost
from switchboard.plugins.registry import Registry
from switchboard.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

    from switchboard.dataplane.pipeline import Pipeline
    from switchboard.dataplane.runtime import Runtime

__all__ = ["Gateway"]


@dataclass
class Gateway:
    """Everything one worker process shares between requests.

    ``engine``, ``sessions``, ``redis`` and ``registry`` are set during startup; handlers run
    only after startup, so they may rely on them (``redis`` and ``redis_cluster`` only when
    Redis is configured).
    """

    settings: Settings
    plugins: PluginHost
    context: GatewayContext
    engine: AsyncEngine | None = None
    sessions: async_sessionmaker[AsyncSession] | None = None
    redis: Redis | None = None
    """A plain client of the node in ``SWITCHBOARD_REDIS_URL``: cache invalidation (publish
    and subscribe) and the readiness ping. In a Redis Cluster too, where the node passes a
    PUBLISH on to every node, so subscribers anywhere get it; keyed commands do not go
    through it (in a cluster, a key's slot may be on another node), they use
    ``redis_cluster``."""
    redis_cluster: RedisCluster | None = None
    """The cluster client (found from the node in the URL) when ``SWITCHBOARD_REDIS_CLUSTER``
    is on, else ``None``: the login throttle's keys go through it."""
    registry: Registry | None = field(default=None)
    login_throttle: LoginThrottle = field(default_factory=MemoryLoginThrottle)
    runtime: Runtime | None = None
    pipeline: Pipeline | None = None
