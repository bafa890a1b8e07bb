"""The memory limiter keeps routing's error-rate windows with the interface's default: in the
instance, per namespace, bounded to the last hour."""

from __future__ import annotations

from switchboard.interfaces import OutcomeCount
from switchboard_memory_limiter import MemoryCapacityLimiter


def count(minute: int, status: int = 500, count: int = 1, connection: str = "c-1") -> OutcomeCount:
    return OutcomeCount(minute, "openai", "gpt-4o", connection, status, count)


async def test_counts_add_up_per_namespace_and_minute() -> None:
    limiter = MemoryCapacityLimiter()
    first = await limiter.share_outcomes("env-1", [count(100), count(101)], since_minute=41)
    assert first == [count(100), count(101)]
    second = await limiter.share_outcomes(
        "env-1", [count(101, count=2), count(101, status=200)], since_minute=42
    )
    assert second == [count(100), count(101, count=3), count(101, status=200)]
    assert await limiter.share_outcomes("env-2", [], since_minute=42) == []
    assert await limiter.share_outcomes("env-1", [], since_minute=101) == second[1:]


async def test_windows_keep_the_last_hour_only() -> None:
    limiter = MemoryCapacityLimiter()
    await limiter.share_outcomes("env-1", [count(minute) for minute in range(500)], since_minute=0)
    kept = await limiter.share_outcomes("env-1", [], since_minute=0)
    assert [c.minute for c in kept] == list(range(439, 500))
