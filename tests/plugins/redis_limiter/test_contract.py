"""The Redis limiter passes the shared limiter contract (clock moved by a script offset)."""

from __future__ import annotations

import pytest

from switchboard.interfaces import CapacityLimiter
from switchboard.testing.limiter_contract import Advance, LimiterContract
from switchboard_redis_limiter import RedisCapacityLimiter
from tests.plugins.redis_limiter.conftest import MakeLimiter

pytestmark = pytest.mark.redis


class TestRedisLimiter(LimiterContract):
    @pytest.fixture
    def redis_limiter(self, make_limiter: MakeLimiter) -> RedisCapacityLimiter:
        return make_limiter(fail_mode="closed")

    @pytest.fixture
    def limiter(self, redis_limiter: RedisCapacityLimiter) -> CapacityLimiter:
        return redis_limiter

    @pytest.fixture
    def advance(self, redis_limiter: RedisCapacityLimiter) -> Advance:
        def advance(seconds: float) -> None:
            redis_limiter.time_offset += seconds

        return advance
