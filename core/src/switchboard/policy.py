"""Policies as the control plane stores them: roles made of statements.

A statement is ``{effect: ALLOW|DENY, actions: [...], resources: [...]}`` (DESIGN.md §6).
This module owns the shape and its validation at save time; *evaluating* statements is the
``rbac`` plugin's job, behind the authorizer interface, so a deployment can replace it.

Action patterns are ``kind:verb`` with ``*`` (any run of characters) and ``?`` (exactly one)
wildcards, or ``*`` alone. Resource patterns are hierarchical names such as
``workspace:acme:environment:prod``, with the same wildcards.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

import msgspec

__all__ = [
    "ACTION_PATTERN",
    "PolicyError",
    "RoleGrant",
    "Statement",
    "StatementRef",
    "parse_statements",
]

Effect = Literal["ALLOW", "DENY"]

ACTION_PATTERN = re.compile(r"^(\*|[a-z*?][a-z0-9*?-]*:[a-z*?][a-z0-9*?-]*)$")
MAX_PATTERN_LENGTH = 1024
MAX_STATEMENTS = 100


class Statement(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One policy statement."""

    effect: Effect
    actions: tuple[str, ...]
    resources: tuple[str, ...]


class StatementRef(msgspec.Struct, frozen=True):
    """Which statement decided: the role, the statement's index in it, its effect."""

    role: str
    index: int
    effect: Effect


class RoleGrant(msgspec.Struct, frozen=True):
    """A role a user holds, with its statements, as loaded when the user authenticates."""

    role: str
    statements: tuple[Statement, ...]


class PolicyError(ValueError):
    """A statement is malformed. ``index`` and ``field`` say exactly which part."""

    def __init__(self, index: int | None, field: str | None, problem: str) -> None:
        self.index = index
        self.field = field
        self.problem = problem
        where = "statements" + (f"[{index}]" if index is not None else "")
        where += f".{field}" if field else ""
        super().__init__(f"{where}: {problem}")

    @property
    def param(self) -> str:
        """The JSON path of the bad part, for the error envelope's ``param``."""
        return str(self).split(":", 1)[0]


def parse_statements(raw: Any) -> tuple[Statement, ...]:
    """Validate raw JSON statements; raise :class:`PolicyError` naming index and field."""
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        raise PolicyError(None, None, "must be a list of statements")
    if len(raw) > MAX_STATEMENTS:
        raise PolicyError(None, None, f"at most {MAX_STATEMENTS} statements")
    return tuple(_parse_statement(index, item) for index, item in enumerate(raw))


def _parse_statement(index: int, item: Any) -> Statement:
    if not isinstance(item, dict):
        raise PolicyError(index, None, "must be an object with effect, actions and resources")
    for field in ("effect", "actions", "resources"):
        if field not in item:
            raise PolicyError(index, field, "is required")
    unknown = sorted(set(item) - {"effect", "actions", "resources"})
    if unknown:
        raise PolicyError(index, unknown[0], "unknown field")
    if item["effect"] not in ("ALLOW", "DENY"):
        raise PolicyError(index, "effect", f"must be ALLOW or DENY, not {item['effect']!r}")
    actions = _patterns(index, "actions", item["actions"])
    for position, action in enumerate(actions):
        if not ACTION_PATTERN.match(action):
            raise PolicyError(
                index,
                f"actions[{position}]",
                f"{action!r} is not an action pattern like 'workspace:create' or '*:get'",
            )
    resources = _patterns(index, "resources", item["resources"])
    return Statement(effect=item["effect"], actions=actions, resources=resources)


def _patterns(index: int, field: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise PolicyError(index, field, "must be a list of patterns")
    if not value:
        raise PolicyError(index, field, "must not be empty")
    for position, pattern in enumerate(value):
        where = f"{field}[{position}]"
        if not isinstance(pattern, str):
            raise PolicyError(index, where, "must be a string")
        if not pattern:
            raise PolicyError(index, where, "must not be empty")
        if len(pattern) > MAX_PATTERN_LENGTH:
            raise PolicyError(index, where, f"longer than {MAX_PATTERN_LENGTH} characters")
        if pattern != pattern.strip() or any(ch.isspace() or ord(ch) < 32 for ch in pattern):
            raise PolicyError(index, where, f"{pattern!r} contains whitespace")
        if "::" in pattern or pattern.startswith(":") or pattern.endswith(":"):
            raise PolicyError(index, where, f"{pattern!r} has an empty name segment")
    return tuple(value)
