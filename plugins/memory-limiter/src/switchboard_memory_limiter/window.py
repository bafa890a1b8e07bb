"""The window arithmetic: an exact sliding log of reservations.

Algorithm
---------
Each (counter key, period) keeps a log of the reservations made in the last period, oldest
first: when each was made (integer microseconds) and how many tokens it holds. A reservation
made at ``at`` counts at time ``now`` while ``now - period < at <= now``. A new reservation is
admitted when, after dropping the entries that left the window, ``count + 1 <= requests`` and
``tokens + cost <= tokens limit``.

Worst-case error against a true sliding window: none, at microsecond resolution. Proof: take
any window ``(t - period, t]`` and the last reservation admitted in it, at ``a <= t``. Every
earlier reservation of that window lies in ``(a - period, a]``, so it was still in the log when
``a`` was admitted, and the admission check bounded their sum (plus ``a``'s own) by the
limit. So no window of the period's length ever holds more than the limit at admission; and
every refusal is exact, since the refused reservation would have gone over in the window
ending at the refusal. (Fixed windows let twice the limit through across a boundary; the
two-bucket weighted approximation can be off by a bucket's worth; this has neither error.)

The only way over a token limit is after the fact: :meth:`SlidingLog.set_tokens` (reconcile)
replaces a reservation's tokens with what the provider reported, which may be more than was
reserved. That excess is counted, so later reservations wait until it leaves the window.

Cost: memory is one entry per reservation still in the window (a limit of 100 000 requests
per month keeps up to 100 000 entries); admission is amortised O(1), and computing
``retry_after`` on a refusal walks the oldest entries.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

__all__ = ["Entry", "Refusal", "SlidingLog"]


@dataclass(slots=True)
class Entry:
    """One reservation in a log: when (microseconds), how many tokens, still counted."""

    at: int
    tokens: int
    live: bool = True


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a reservation does not fit: the ``dimension`` and microseconds until it would."""

    dimension: str
    retry_us: int


class SlidingLog:
    """The reservations of one counter over one period; times are integer microseconds."""

    __slots__ = ("_entries", "period_us", "requests", "tokens")

    def __init__(self, period_us: int) -> None:
        self.period_us = period_us
        self._entries: deque[Entry] = deque()
        self.requests = 0
        self.tokens = 0

    def prune(self, now: int) -> None:
        """Drop the entries that have left the window ending at ``now``."""
        entries = self._entries
        while entries and entries[0].at + self.period_us <= now:
            self.remove(entries.popleft())

    def refusal(
        self, now: int, *, requests: int | None, tokens: int | None, cost: int
    ) -> Refusal | None:
        """Why one more reservation of ``cost`` tokens would go over, or ``None`` if it fits.

        Call :meth:`prune` first. ``dimension`` is ``requests`` when the request limit is
        hit, else ``tokens``; ``retry_us`` is exact for this log as it stands: the time until
        enough of the oldest entries leave for both limits to fit. A reservation that can
        never fit (a request limit below one, or a cost above the token limit) gets a whole
        period.
        """
        over_requests = requests is not None and self.requests + 1 > requests
        over_tokens = tokens is not None and self.tokens + cost > tokens
        if not (over_requests or over_tokens):
            return None
        dimension = "requests" if over_requests else "tokens"
        if (requests is not None and requests < 1) or (tokens is not None and cost > tokens):
            return Refusal(dimension, self.period_us)
        need_requests = self.requests + 1 - requests if requests is not None else 0
        need_tokens = self.tokens + cost - tokens if tokens is not None else 0
        return Refusal(dimension, self._retry(now, need_requests, need_tokens))

    def _retry(self, now: int, requests: int, tokens: int) -> int:
        """Microseconds until ``requests`` entries and ``tokens`` tokens have left."""
        freed_requests = freed_tokens = 0
        for entry in self._entries:
            if not entry.live:
                continue
            freed_requests += 1
            freed_tokens += entry.tokens
            if freed_requests >= requests and freed_tokens >= tokens:
                return max(entry.at + self.period_us - now, 1)
        return self.period_us

    def add(self, now: int, tokens: int) -> Entry:
        """Log a reservation made at ``now`` (never earlier than the last one)."""
        if self._entries:
            now = max(now, self._entries[-1].at)
        entry = Entry(now, max(tokens, 0))
        self._entries.append(entry)
        self.requests += 1
        self.tokens += entry.tokens
        return entry

    def remove(self, entry: Entry) -> None:
        """Stop counting ``entry`` (released, or out of the window)."""
        if entry.live:
            entry.live = False
            self.requests -= 1
            self.tokens -= entry.tokens

    def set_tokens(self, entry: Entry, tokens: int) -> None:
        """Replace the tokens ``entry`` holds (a no-op once it has left the window)."""
        if entry.live:
            tokens = max(tokens, 0)
            self.tokens += tokens - entry.tokens
            entry.tokens = tokens

    def reset_us(self, now: int) -> int:
        """Microseconds until the oldest counted entry leaves (0 when empty)."""
        for entry in self._entries:
            if entry.live:
                return max(entry.at + self.period_us - now, 0)
        return 0

    def __len__(self) -> int:
        return len(self._entries)
