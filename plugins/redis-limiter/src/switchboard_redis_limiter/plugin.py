"""Registers the Redis capacity limiter (off unless an environment switches it on)."""

from __future__ import annotations

from collections.abc import Iterable

from switchboard.context import GatewayContext
from switchboard.hookspecs import hookimpl
from switchboard.interfaces import CapacityLimiter
from switchboard_redis_limiter.config import RedisLimiterSettings
from switchboard_redis_limiter.limiter import RedisCapacityLimiter

__all__ = ["ENABLED_BY_DEFAULT", "Settings", "switchboard_register_capacity_limiters"]

Settings = RedisLimiterSettings

# One process needs no Redis: environments that run several processes switch this on.
ENABLED_BY_DEFAULT = False


@hookimpl
def switchboard_register_capacity_limiters(gateway: GatewayContext) -> Iterable[CapacityLimiter]:
    """Register the Redis limiter on ``SWITCHBOARD_REDIS_URL`` (connects on first use; a
    cluster client when ``SWITCHBOARD_REDIS_CLUSTER`` is on).

    Its priority is above the memory limiter's, so an environment that switches this plugin on
    uses it; :meth:`~RedisCapacityLimiter.for_environment` applies the environment's settings.
    """
    settings = gateway.settings
    return [RedisCapacityLimiter(settings.redis_url, cluster=settings.redis_cluster)]
