"""OpenAI's ``x-ratelimit-*`` headers as discovered capacity."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from switchboard.interfaces.provider import DiscoveredLimits
from switchboard.upstream import parse_duration

__all__ = ["read_rate_limits"]


def _int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def read_rate_limits(
    headers: Mapping[str, str],
    *,
    requests_period: Literal["minute", "day"] = "minute",
    tokens_period: Literal["minute", "day"] = "minute",
) -> DiscoveredLimits | None:
    """The limits the headers announce, or ``None`` when they announce none."""
    limits = DiscoveredLimits(
        requests_limit=_int(headers, "x-ratelimit-limit-requests"),
        requests_remaining=_int(headers, "x-ratelimit-remaining-requests"),
        requests_reset_seconds=parse_duration(headers.get("x-ratelimit-reset-requests")),
        requests_period=requests_period,
        tokens_limit=_int(headers, "x-ratelimit-limit-tokens"),
        tokens_remaining=_int(headers, "x-ratelimit-remaining-tokens"),
        tokens_reset_seconds=parse_duration(headers.get("x-ratelimit-reset-tokens")),
        tokens_period=tokens_period,
    )
    if limits.requests_limit is None and limits.tokens_limit is None:
        return None
    return limits
