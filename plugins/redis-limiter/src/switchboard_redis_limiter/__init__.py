"""Switchboard's Redis capacity limiter: exact limits shared by every gateway process."""

from switchboard_redis_limiter.config import RedisLimiterSettings
from switchboard_redis_limiter.limiter import RedisCapacityLimiter

__all__ = ["RedisCapacityLimiter", "RedisLimiterSettings"]
