"""Regular expressions for ``matches``: compiled once when a rule is saved, bounded in size
and in matching time (a pattern that backtracks catastrophically times out instead of
stalling the worker)."""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol, cast

import regex  # type: ignore[import-untyped]

__all__ = [
    "MATCH_TIMEOUT_SECONDS",
    "MAX_PATTERN_LENGTH",
    "Pattern",
    "PatternError",
    "compile_pattern",
]

MAX_PATTERN_LENGTH = 1000
MATCH_TIMEOUT_SECONDS = 0.02


class PatternError(ValueError):
    """A pattern that does not compile or is too long; ``position`` is 0-based when known."""

    def __init__(self, problem: str, position: int | None = None) -> None:
        self.problem = problem
        self.position = position
        super().__init__(problem)


class _Compiled(Protocol):
    def search(self, string: str, *, timeout: float) -> object | None: ...


class Pattern:
    """A compiled pattern whose :meth:`search` never runs longer than the timeout."""

    __slots__ = ("_compiled", "source")

    def __init__(self, source: str, compiled: _Compiled) -> None:
        self.source = source
        self._compiled = compiled

    def search(self, text: str) -> bool:
        """Whether the pattern occurs in ``text``; raises ``TimeoutError`` past the bound."""
        return self._compiled.search(text, timeout=MATCH_TIMEOUT_SECONDS) is not None


@lru_cache(maxsize=1024)
def compile_pattern(source: str) -> Pattern:
    """``source`` compiled (cached), or :class:`PatternError` saying why not."""
    if len(source) > MAX_PATTERN_LENGTH:
        raise PatternError(f"the pattern is longer than {MAX_PATTERN_LENGTH} characters")
    try:
        compiled = regex.compile(source)
    except regex.error as exc:
        position = getattr(exc, "pos", None)
        message = str(getattr(exc, "msg", exc))
        raise PatternError(f"invalid regular expression: {message}", position) from None
    return Pattern(source, cast("_Compiled", compiled))
