"""The memory limiter passes the shared limiter contract, with a clock the tests move."""

from __future__ import annotations

import pytest

from switchboard.interfaces import CapacityLimiter
from switchboard.testing.limiter_contract import Advance, FakeClock, LimiterContract
from switchboard_memory_limiter import MemoryCapacityLimiter


class TestMemoryLimiter(LimiterContract):
    @pytest.fixture
    def clock(self) -> FakeClock:
        return FakeClock()

    @pytest.fixture
    def limiter(self, clock: FakeClock) -> CapacityLimiter:
        return MemoryCapacityLimiter(clock=clock)

    @pytest.fixture
    def advance(self, clock: FakeClock) -> Advance:
        return clock.advance
