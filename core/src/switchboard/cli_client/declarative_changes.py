"""A plan is a list of changes; each change is one object created, updated or deleted, the
API calls that make it, and the lines that show it::

    + create connection acme/prod/openai-main
    ~ update resource acme/prod/chat: useFallback false → true
    - delete api key acme/prod/old-service
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from msgspec import UnsetType

from switchboard.cli_client.declarative_values import builtins, clean, differences, same

__all__ = ["Call", "Change", "FieldChange", "PlanError", "Updates", "Verb"]

Verb = Literal["create", "update", "delete"]
_SIGNS = {"create": "+", "update": "~", "delete": "-"}


class PlanError(Exception):
    """The file cannot be applied as it is; the message names the path in the file."""


@dataclass(frozen=True)
class Call:
    """One API call: ``method`` on ``path`` under ``/api/v1`` with a JSON ``body``.

    ``new_key`` names the API key whose secret the answer carries (``"key"``): shown once.
    """

    method: str
    path: str
    body: Any = None
    new_key: str | None = None


@dataclass(frozen=True)
class FieldChange:
    """One field of an update: its name and its old and new values, as shown."""

    name: str
    before: str
    after: str


@dataclass
class Change:
    """One object to create, update or delete, and how."""

    verb: Verb
    kind: str
    path: str
    calls: list[Call]
    fields: list[FieldChange] = field(default_factory=list)
    note: str = ""

    @property
    def title(self) -> str:
        """``create connection acme/prod/openai-main``: the object, for error messages."""
        return f"{self.verb} {self.kind} {self.path}"

    def lines(self) -> list[str]:
        """How the change is shown: one line, or one per field of an update."""
        sign = _SIGNS[self.verb]
        if self.verb == "update" and self.fields:
            return [f"{sign} {self.title}: {f.name} {f.before} → {f.after}" for f in self.fields]
        return [f"{sign} {self.title}{self.note}"]


class Updates:
    """The fields of one object that differ: the PATCH body and the field lines."""

    def __init__(self) -> None:
        self.body: dict[str, Any] = {}
        self.fields: list[FieldChange] = []

    def __bool__(self) -> bool:
        return bool(self.fields)

    def compare(
        self,
        name: str,
        wanted: Any,
        current: Any,
        *,
        equal: Callable[[Any, Any], bool] = same,
    ) -> None:
        """Add field ``name`` (camelCase) when the file sets it and it differs; a nested
        value shows one line per member that differs."""
        if isinstance(wanted, UnsetType) or equal(wanted, current):
            return
        body = builtins(wanted)
        self.body[name] = body
        changed = differences(name, clean(current), clean(body))
        self.fields.extend(FieldChange(*change) for change in changed)

    def add(self, name: str, body: Any, before: str, after: str) -> None:
        """Add field ``name`` as sent (``body``) and as shown (``before`` → ``after``)."""
        self.body[name] = body
        self.fields.append(FieldChange(name, before, after))
