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
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

    from switchboard.dataplane.pipeline import Pipeline
    from switchboard.dataplane.runtime import Runtime

__all__ = ["Gateway"]


@dataclass
class Gateway:
    """Everything one worker process shares between requests.

    ``engine``, ``sessions``, ``redis`` and ``registry`` are set during startup; handlers run
    only after startup, so they may rely on them.
    """

    settings: Settings
    plugins: PluginHost
    context: GatewayContext
    engine: AsyncEngine | None = None
    sessions: async_sessionmaker[AsyncSession] | None = None
    redis: Redis | None = None
    registry: Registry | None = field(default=None)
    login_throttle: LoginThrottle = field(default_factory=MemoryLoginThrottle)
    runtime: Runtime | None = None
    pipeline: Pipeline | None = None
