"""Capacity as admins configure it: limits per period on requests and tokens.

The same shape serves connections, resources and API keys (the seed's YAML)::

    capacity:
      - {period: minute, requests: 100, tokens: 100000}
      - {period: day, tokens: 5000000}
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

__all__ = ["CapacityEntry", "CapacityError", "validate_capacity"]

Period = Literal["minute", "hour", "day", "week", "month"]
PositiveInt = Annotated[int, msgspec.Meta(gt=0)]


class CapacityEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    """Limits for one period; ``requests`` and/or ``tokens``."""

    period: Period
    requests: PositiveInt | None = None
    tokens: PositiveInt | None = None


class CapacityError(ValueError):
    """A capacity list breaks a rule; ``param`` is the JSON path of the culprit."""

    def __init__(self, param: str, problem: str) -> None:
        self.param = param
        super().__init__(f"{param}: {problem}")


def validate_capacity(entries: list[CapacityEntry], field: str = "capacity") -> None:
    """One entry per period, each limiting requests, tokens or both."""
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        if entry.requests is None and entry.tokens is None:
            raise CapacityError(f"{field}[{index}]", "set requests, tokens or both")
        if entry.period in seen:
            raise CapacityError(
                f"{field}[{index}].period", f"a second entry for period {entry.period!r}"
            )
        seen.add(entry.period)
