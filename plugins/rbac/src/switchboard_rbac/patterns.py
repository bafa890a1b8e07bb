"""Wildcard patterns and hierarchical resource names (DESIGN.md §6).

A pattern is matched against the *whole* candidate string: ``*`` is any run of characters
(``:`` and the empty run included), ``?`` exactly one character, every other character is
itself — ``.``, ``+``, ``(``, ``[``, ``\\`` and friends included. VM-X matched substrings,
so ``workspace:ac`` granted ``workspace:acme``; here it does not.

Resource names are ``kind:name`` pairs joined by ``:``
(``workspace:acme:environment:prod:ai-resource:chat``). A resource pattern matches a resource
when it matches one of the resource's *candidates*: every contiguous run of its pairs, i.e.
every ancestor-or-self (``workspace:acme``, ``workspace:acme:environment:prod``, ...) and
every suffix of those that leaves out leading ancestors (``environment:prod``,
``environment:prod:ai-resource:chat``, ``ai-resource:chat``). So ``environment:prod`` means
that environment in any workspace, with everything in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

__all__ = [
    "action_matches",
    "compile_pattern",
    "matches",
    "resource_candidates",
    "resource_matches",
]

# Bounds on the caches: roles are few and their patterns repeat across requests, so a few
# thousand entries hold every pattern of a deployment while keeping memory bounded.
_PATTERN_CACHE_SIZE = 4096
_CANDIDATE_CACHE_SIZE = 4096


@lru_cache(maxsize=_PATTERN_CACHE_SIZE)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a ``*``/``?`` pattern to a regex that must match a whole candidate.

    The pattern is split at its stars into fixed-length segments (literals and ``?``). The
    first segment is anchored at the start, the last at the end, and each one between is
    matched at its *leftmost* place inside an atomic group: with only ``*`` between segments,
    the leftmost place is always a right choice, so the regex never backtracks into an
    earlier segment. A naive ``.*a.*a.*a.*b`` backtracks polynomially on long names; this
    form stays linear in the pattern times the name.
    """
    segments = [_segment(part) for part in pattern.split("*")]
    if len(segments) == 1:
        return re.compile(segments[0], re.DOTALL)
    head, *middle, tail = segments
    body = "".join(f"(?>.*?{segment})" for segment in middle if segment)
    return re.compile(f"{head}{body}.*{tail}", re.DOTALL)


def _segment(text: str) -> str:
    """A star-free part of a pattern: ``?`` is any one character, the rest is literal."""
    return ".".join(re.escape(literal) for literal in text.split("?"))


def matches(pattern: str, candidate: str) -> bool:
    """Whether ``pattern`` matches the whole of ``candidate`` (never a substring)."""
    return compile_pattern(pattern).fullmatch(candidate) is not None


def action_matches(patterns: Iterable[str], action: str) -> bool:
    """Whether any of the action ``patterns`` matches ``action`` (``*:get``, ``*:*``, ``*``)."""
    return any(matches(pattern, action) for pattern in patterns)


@lru_cache(maxsize=_CANDIDATE_CACHE_SIZE)
def resource_candidates(resource: str) -> tuple[str, ...]:
    """Every name a resource pattern may match for ``resource``, the resource itself first.

    For ``workspace:a:environment:p``: ``workspace:a:environment:p``, ``workspace:a``,
    ``environment:p``. A malformed name (an odd number of parts, or an empty part) has only
    itself: guessing where its pairs are could grant more than the policy says.
    """
    parts = resource.split(":")
    if len(parts) % 2 or not all(parts):
        return (resource,)
    pairs = len(parts) // 2
    runs = {
        ":".join(parts[2 * start : 2 * end])
        for start in range(pairs)
        for end in range(start + 1, pairs + 1)
    }
    runs.discard(resource)
    # Sorted for a stable order (the answer does not depend on it; reproducing does).
    return (resource, *sorted(runs))


def resource_matches(patterns: Iterable[str], resource: str) -> bool:
    """Whether any resource pattern matches ``resource`` or one of its candidates."""
    candidates = resource_candidates(resource)
    return any(
        compile_pattern(pattern).fullmatch(candidate) is not None
        for pattern in patterns
        for candidate in candidates
    )
