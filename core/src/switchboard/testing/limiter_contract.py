"""The contract every capacity limiter passes, whatever its backend.

A limiter plugin's test module subclasses :class:`LimiterContract` and supplies two fixtures:
``limiter`` (a fresh :class:`~switchboard.interfaces.CapacityLimiter`) and ``advance`` (a
callable moving that limiter's clock forward by a number of seconds)::

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

A backend whose clock is not its own (Redis's ``TIME``) moves it with a test-only offset;
real time still passes during such a test, so time checks allow a small margin (``SLACK``).

The suite checks exact admission under concurrency (300 concurrent reservations against a
limit of 100: exactly 100 admitted), all-or-nothing reservations across checks, the token
arithmetic of reserve, reconcile and release, sliding-window boundaries, ``retry_after`` and
``usage()``, and that routing's outcome counts are shared once per namespace.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable

import pytest

from switchboard.interfaces import (
    CapacityCheck,
    CapacityExhausted,
    CapacityLimiter,
    OutcomeCount,
    Reservation,
)
from switchboard.interfaces.limiter import Period

__all__ = ["SLACK", "Advance", "FakeClock", "LimiterContract", "check"]

Advance = Callable[[float], None]
"""Moves the limiter's clock forward by the given number of seconds."""

SLACK = 0.25
"""Seconds of real time a test against a remote clock may take between two steps."""


class FakeClock:
    """A monotonic clock that only moves when told (seconds, like ``time.monotonic``)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move forward by ``seconds``."""
        self.now += seconds


def check(
    key: str,
    *,
    period: Period = "minute",
    requests: int | None = None,
    tokens: int | None = None,
    cost: int = 0,
) -> CapacityCheck:
    """A connection-level check on ``key``."""
    return CapacityCheck(
        level="connection",
        key=key,
        period=period,
        requests=requests,
        tokens=tokens,
        cost_tokens=cost,
    )


def _key(name: str) -> str:
    return f"contract:{name}:{uuid.uuid4().hex}"


def _minute(count: OutcomeCount) -> int:
    return count.minute


async def _refusal(limiter: CapacityLimiter, *checks: CapacityCheck) -> CapacityExhausted:
    with pytest.raises(CapacityExhausted) as info:
        await limiter.reserve(checks)
    return info.value


class LimiterContract:
    """Tests every :class:`CapacityLimiter` passes; needs ``limiter`` and ``advance``."""

    async def test_exact_admission_under_concurrency(self, limiter: CapacityLimiter) -> None:
        limit = check(_key("concurrent"), requests=100)
        results = await asyncio.gather(
            *(limiter.reserve([limit]) for _ in range(300)), return_exceptions=True
        )
        admitted = [r for r in results if isinstance(r, Reservation)]
        refused = [r for r in results if isinstance(r, CapacityExhausted)]
        assert (len(admitted), len(refused)) == (100, 200)
        assert len({r.token for r in admitted}) == 100
        (usage,) = await limiter.usage([limit])
        assert usage.requests == 100 and usage.remaining_requests == 0

    async def test_all_or_nothing_across_checks(self, limiter: CapacityLimiter) -> None:
        wide = check(_key("wide"), requests=10, tokens=1000, cost=100)
        narrow = check(_key("narrow"), requests=1)
        await limiter.reserve([wide, narrow])
        refusal = await _refusal(limiter, wide, narrow)
        assert refusal.check == narrow and refusal.dimension == "requests"
        wide_usage, narrow_usage = await limiter.usage([wide, narrow])
        assert (wide_usage.requests, wide_usage.tokens) == (1, 100)
        assert narrow_usage.requests == 1
        # The first check failing reserves nothing on the later ones either.
        full = check(_key("full"), tokens=50, cost=60)
        other = check(_key("other"), requests=5, tokens=1000, cost=10)
        refusal = await _refusal(limiter, full, other)
        assert refusal.check == full and refusal.dimension == "tokens"
        (other_usage,) = await limiter.usage([other])
        assert (other_usage.requests, other_usage.tokens) == (0, 0)

    async def test_the_same_counter_twice_counts_twice(self, limiter: CapacityLimiter) -> None:
        one = check(_key("twice"), requests=1)
        await _refusal(limiter, one, one)
        (usage,) = await limiter.usage([one])
        assert usage.requests == 0

    async def test_tokens_reserve_reconcile_release(self, limiter: CapacityLimiter) -> None:
        key = _key("tokens")
        first = await limiter.reserve([check(key, tokens=1000, cost=600)])
        refusal = await _refusal(limiter, check(key, tokens=1000, cost=600))
        assert refusal.dimension == "tokens"
        await limiter.reconcile(first, tokens=200)
        second = await limiter.reserve([check(key, tokens=1000, cost=600)])
        (usage,) = await limiter.usage([check(key, tokens=1000)])
        assert (usage.requests, usage.tokens, usage.remaining_tokens) == (2, 800, 200)
        await limiter.release(second)
        (usage,) = await limiter.usage([check(key, tokens=1000)])
        assert (usage.requests, usage.tokens) == (1, 200)
        # Reconciling may go over the limit after the fact; nothing more fits until it leaves.
        third = await limiter.reserve([check(key, tokens=1000, cost=100)])
        await limiter.reconcile(third, tokens=1500)
        (usage,) = await limiter.usage([check(key, tokens=1000)])
        assert (usage.tokens, usage.remaining_tokens) == (1700, 0)
        refusal = await _refusal(limiter, check(key, tokens=1000, cost=0))
        assert refusal.dimension == "tokens"

    async def test_release_gives_the_request_back(self, limiter: CapacityLimiter) -> None:
        one = check(_key("release"), requests=1, tokens=10, cost=10)
        reservation = await limiter.reserve([one])
        await _refusal(limiter, one)
        await limiter.release(reservation)
        await limiter.reserve([one])

    async def test_release_after_reconcile_gives_back_all(self, limiter: CapacityLimiter) -> None:
        one = check(_key("reconciled"), requests=5, tokens=100, cost=10)
        reservation = await limiter.reserve([one])
        await limiter.reconcile(reservation, tokens=30)
        (usage,) = await limiter.usage([one])
        assert (usage.requests, usage.tokens) == (1, 30)
        await limiter.release(reservation)
        await limiter.release(reservation)  # twice: nothing more to give back
        (usage,) = await limiter.usage([one])
        assert (usage.requests, usage.tokens) == (0, 0)

    async def test_sliding_window_boundary(
        self, limiter: CapacityLimiter, advance: Advance
    ) -> None:
        two = check(_key("boundary"), requests=2)
        await limiter.reserve([two])
        advance(30)
        await limiter.reserve([two])
        refusal = await _refusal(limiter, two)
        assert 30 - SLACK <= refusal.retry_after <= 30
        advance(29.5)
        # A fixed window would have reset at some minute boundary by now; this one has not.
        await _refusal(limiter, two)
        advance(0.5 + SLACK)
        await limiter.reserve([two])
        refusal = await _refusal(limiter, two)
        assert 30 - 2 * SLACK <= refusal.retry_after <= 30

    async def test_no_window_holds_more_than_the_limit(
        self, limiter: CapacityLimiter, advance: Advance
    ) -> None:
        three = check(_key("burst"), requests=3)
        for _ in range(3):
            await limiter.reserve([three])
            advance(1)
        # The three stay in every window of a minute that contains them.
        advance(55)
        await _refusal(limiter, three)
        advance(2 + SLACK)
        await limiter.reserve([three])
        await _refusal(limiter, three)

    async def test_retry_after_is_when_it_fits(
        self, limiter: CapacityLimiter, advance: Advance
    ) -> None:
        key = _key("retry")
        await limiter.reserve([check(key, period="hour", tokens=100, cost=70)])
        advance(600)
        await limiter.reserve([check(key, period="hour", tokens=100, cost=20)])
        refusal = await _refusal(limiter, check(key, period="hour", tokens=100, cost=40))
        assert refusal.dimension == "tokens"
        # The first reservation must leave; the second is not enough on its own.
        assert 3000 - SLACK <= refusal.retry_after <= 3000
        advance(refusal.retry_after - 1)
        await _refusal(limiter, check(key, period="hour", tokens=100, cost=40))
        advance(1 + SLACK)
        await limiter.reserve([check(key, period="hour", tokens=100, cost=40)])

    async def test_a_cost_above_the_limit_never_fits(self, limiter: CapacityLimiter) -> None:
        refusal = await _refusal(limiter, check(_key("huge"), period="day", tokens=10, cost=11))
        assert refusal.dimension == "tokens" and refusal.retry_after == 86400

    async def test_periods_are_separate_windows(
        self, limiter: CapacityLimiter, advance: Advance
    ) -> None:
        key = _key("periods")
        minute, hour = check(key, requests=1), check(key, period="hour", requests=2)
        await limiter.reserve([minute, hour])
        advance(60 + SLACK)
        await limiter.reserve([minute, hour])
        advance(60 + SLACK)
        refusal = await _refusal(limiter, minute, hour)
        assert refusal.check == hour
        assert 3600 - 120 - 3 * SLACK <= refusal.retry_after <= 3600 - 120

    async def test_usage(self, limiter: CapacityLimiter, advance: Advance) -> None:
        key = _key("usage")
        day = check(key, period="day", requests=10, tokens=1000, cost=250)
        (empty,) = await limiter.usage([day])
        assert (empty.requests, empty.tokens, empty.reset_seconds) == (0, 0, 0.0)
        await limiter.reserve([day])
        advance(100)
        await limiter.reserve([day])
        (usage,) = await limiter.usage([day])
        assert usage.check == day
        assert (usage.requests, usage.tokens) == (2, 500)
        assert (usage.remaining_requests, usage.remaining_tokens) == (8, 500)
        assert 86400 - 100 - SLACK <= usage.reset_seconds <= 86400 - 100
        (unlimited,) = await limiter.usage([check(key, period="day")])
        assert unlimited.remaining_requests is None and unlimited.remaining_tokens is None
        advance(86400)
        (later,) = await limiter.usage([day])
        assert (later.requests, later.tokens) == (0, 0)

    async def test_a_reservation_reports_the_windows_after_it(
        self, limiter: CapacityLimiter, advance: Advance
    ) -> None:
        key = _key("after")
        minute = check(key, requests=3, tokens=100, cost=40)
        hour = check(key, period="hour", requests=10)
        first = await limiter.reserve([minute, hour])
        advance(10)
        second = await limiter.reserve([minute, hour])
        assert [u.check for u in first.usage] == [minute, hour]
        assert (first.usage[0].requests, first.usage[0].tokens) == (1, 40)
        after_minute, after_hour = second.usage
        assert (after_minute.remaining_requests, after_minute.remaining_tokens) == (1, 20)
        assert after_hour.remaining_requests == 8 and after_hour.remaining_tokens is None
        assert 50 - SLACK <= after_minute.reset_seconds <= 50

    async def test_outcome_counts_are_shared_once_per_namespace(
        self, limiter: CapacityLimiter
    ) -> None:
        now = int(time.time() // 60)
        namespace, since = _key("outcomes"), now - 59
        failed = OutcomeCount(now, "openai", "gpt:4o/x", "c-1", 500, 2)
        earlier = OutcomeCount(now - 1, "openai", "gpt:4o/x", "c-1", 200, 3)
        first = await limiter.share_outcomes(namespace, [failed, earlier], since_minute=since)
        assert sorted(first, key=_minute) == [earlier, failed]
        second = await limiter.share_outcomes(namespace, [failed], since_minute=since)
        assert sorted(second, key=_minute) == [
            earlier,
            OutcomeCount(now, "openai", "gpt:4o/x", "c-1", 500, 4),
        ]
        assert await limiter.share_outcomes(namespace, [], since_minute=now) == second[-1:]
        assert await limiter.share_outcomes(_key("other"), [], since_minute=since) == []

    async def test_month_is_thirty_days(self, limiter: CapacityLimiter, advance: Advance) -> None:
        month = check(_key("month"), period="month", requests=1)
        await limiter.reserve([month])
        advance(29 * 86400)
        refusal = await _refusal(limiter, month)
        assert 86400 - SLACK <= refusal.retry_after <= 86400
        advance(86400 + SLACK)
        await limiter.reserve([month])
