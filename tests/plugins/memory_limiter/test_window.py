"""Property tests of the sliding-log arithmetic: exact, never over, retry_after exact."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from switchboard_memory_limiter.window import SlidingLog

PERIOD = 1000

# Each step: how long after the previous one (µs), the tokens it asks for, whether it is
# released right away, and what a reconcile sets its tokens to (None: left as reserved).
steps = st.lists(
    st.tuples(
        st.integers(0, 400),
        st.integers(0, 40),
        st.booleans(),
        st.one_of(st.none(), st.integers(0, 60)),
    ),
    max_size=80,
)
limits = st.tuples(
    st.one_of(st.none(), st.integers(0, 8)), st.one_of(st.none(), st.integers(0, 100))
)


def in_window(events: list[tuple[int, int]], now: int) -> tuple[int, int]:
    """Requests and tokens of ``events`` (time, tokens) in the window ending at ``now``."""
    counted = [tokens for at, tokens in events if now - PERIOD < at <= now]
    return len(counted), sum(counted)


@settings(max_examples=300, deadline=None)
@given(steps=steps, limits=limits)
def test_admission_matches_a_true_sliding_window(
    steps: list[tuple[int, int, bool, int | None]], limits: tuple[int | None, int | None]
) -> None:
    requests, tokens = limits
    log = SlidingLog(PERIOD)
    kept: list[tuple[int, int]] = []  # what a true sliding window counts: (time, tokens)
    now = 0
    for gap, cost, release, actual in steps:
        now += gap
        log.prune(now)
        count, total = in_window(kept, now)
        assert (log.requests, log.tokens) == (count, total)
        fits = (requests is None or count + 1 <= requests) and (
            tokens is None or total + cost <= tokens
        )
        refusal = log.refusal(now, requests=requests, tokens=tokens, cost=cost)
        assert (refusal is None) == fits
        if refusal is not None:
            assert 0 < refusal.retry_us <= PERIOD
            # Exact: refused one microsecond earlier than retry_after, admitted at it.
            later = [(at, t) for at, t in kept if at + PERIOD > now + refusal.retry_us]
            earlier = [(at, t) for at, t in kept if at + PERIOD > now + refusal.retry_us - 1]
            never = (requests is not None and requests < 1) or (
                tokens is not None and cost > tokens
            )
            if not never:
                assert _fits(later, requests, tokens, cost)
                assert not _fits(earlier, requests, tokens, cost)
            continue
        entry = log.add(now, cost)
        if release:
            log.remove(entry)
        elif actual is not None:
            log.set_tokens(entry, actual)
            kept.append((now, actual))
        else:
            kept.append((now, cost))


@settings(max_examples=300, deadline=None)
@given(steps=steps, limits=limits)
def test_no_window_ever_holds_more_than_the_limit(
    steps: list[tuple[int, int, bool, int | None]], limits: tuple[int | None, int | None]
) -> None:
    requests, tokens = limits
    log = SlidingLog(PERIOD)
    admitted: list[tuple[int, int]] = []
    now = 0
    for gap, cost, _, _ in steps:
        now += gap
        log.prune(now)
        if log.refusal(now, requests=requests, tokens=tokens, cost=cost) is None:
            log.add(now, cost)
            admitted.append((now, cost))
    for end, _ in admitted:  # every window ending at an admission (the worst ones)
        count, total = in_window(admitted, end)
        assert requests is None or count <= requests
        assert tokens is None or total <= tokens


def _fits(
    events: list[tuple[int, int]], requests: int | None, tokens: int | None, cost: int
) -> bool:
    return (requests is None or len(events) + 1 <= requests) and (
        tokens is None or sum(t for _, t in events) + cost <= tokens
    )
