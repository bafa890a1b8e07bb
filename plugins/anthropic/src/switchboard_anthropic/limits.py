"""Anthropic's ``anthropic-ratelimit-*`` headers as discovered capacity.

``anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}`` count per minute; the
resets are RFC 3339 timestamps, turned into seconds from now. The ``tokens`` headers hold
the most restrictive token limit in force (the separate ``input-tokens``/``output-tokens``
headers have no place in :class:`DiscoveredLimits`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from switchboard.interfaces.provider import DiscoveredLimits

__all__ = ["read_rate_limits", "seconds_until"]

_PREFIX = "anthropic-ratelimit-"


def _int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(_PREFIX + name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def seconds_until(
    timestamp: str | None, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> float | None:
    """Seconds from now to an RFC 3339 ``timestamp`` (0 when past; ``None`` if unreadable)."""
    if not timestamp:
        return None
    try:
        when = datetime.fromisoformat(timestamp.strip())
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    return max((when - now()).total_seconds(), 0.0)


def read_rate_limits(
    headers: Mapping[str, str], now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> DiscoveredLimits | None:
    """The limits the headers announce, or ``None`` when they announce none."""
    limits = DiscoveredLimits(
        requests_limit=_int(headers, "requests-limit"),
        requests_remaining=_int(headers, "requests-remaining"),
        requests_reset_seconds=seconds_until(headers.get(_PREFIX + "requests-reset"), now),
        tokens_limit=_int(headers, "tokens-limit"),
        tokens_remaining=_int(headers, "tokens-remaining"),
        tokens_reset_seconds=seconds_until(headers.get(_PREFIX + "tokens-reset"), now),
    )
    if limits.requests_limit is None and limits.tokens_limit is None:
        return None
    return limits
