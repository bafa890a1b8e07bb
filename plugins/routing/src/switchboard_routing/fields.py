"""The names routing rules may read, what kind of value each holds, and how to look one up.

The core gives every request the variables of :func:`switchboard.dataplane.planning.
routing_variables`; ``metadata.<key>`` and ``headers.<name>`` read the request's metadata
and (lower-cased) headers; ``errorRate`` is computed from recent outcomes. Plugins may add
variables with the ``switchboard_routing_variables`` hook: to use such a name in saved rules,
the plugin declares it with :func:`declare_variables` when it is imported (a name nobody
declared is refused when a rule is saved, so a typo never silently routes nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

__all__ = [
    "CORE_FIELDS",
    "ERROR_RATE",
    "FieldKind",
    "declare_variables",
    "declared_variables",
    "field_kind",
    "lookup",
]


class FieldKind(Enum):
    """What a field holds, so a rule comparing it wrongly is refused when saved."""

    NUMBER = "number"
    BOOLEAN = "boolean"
    TEXT = "text"
    TEXT_LIST = "list of text"
    MAPPING = "mapping"
    ANY = "any value"


ERROR_RATE = "errorRate"

CORE_FIELDS: Mapping[str, FieldKind] = {
    "requestTokens": FieldKind.NUMBER,
    "hasTools": FieldKind.BOOLEAN,
    "toolsCount": FieldKind.NUMBER,
    "messagesCount": FieldKind.NUMBER,
    "stream": FieldKind.BOOLEAN,
    "maxTokens": FieldKind.NUMBER,
    "lastMessage": FieldKind.TEXT,
    "lastMessageRole": FieldKind.TEXT,
    "systemPrompt": FieldKind.TEXT,
    "model": FieldKind.TEXT,
    "apiKeyName": FieldKind.TEXT,
    "apiKeyLabels": FieldKind.TEXT_LIST,
    "metadata": FieldKind.MAPPING,
    "headers": FieldKind.MAPPING,
}

_PREFIXED = ("metadata.", "headers.")
_declared: set[str] = set()


def declare_variables(*names: str) -> None:
    """Let saved rules use ``names``, variables a plugin adds through
    ``switchboard_routing_variables``. Call it at import time of the plugin module."""
    for name in names:
        if not name.isidentifier():
            raise ValueError(f"routing variable {name!r} is not an identifier")
        _declared.add(name)


def declared_variables() -> frozenset[str]:
    """The names plugins declared so far."""
    return frozenset(_declared)


def field_kind(name: str) -> FieldKind | None:
    """The kind of field ``name`` (simple mode), or ``None`` when no one knows the name."""
    if name == ERROR_RATE:
        return FieldKind.NUMBER
    if name.startswith(_PREFIXED) and len(name.partition(".")[2]) > 0:
        return FieldKind.TEXT
    kind = CORE_FIELDS.get(name)
    if kind is FieldKind.MAPPING:
        return None  # the mapping itself is only usable through ``metadata.<key>``
    if kind is not None:
        return kind
    return FieldKind.ANY if name in _declared else None


def lookup(variables: Mapping[str, Any], name: str) -> Any:
    """The value of field ``name`` for a request (``None`` when it has none)."""
    if name in variables:
        return variables[name]
    head, _, key = name.partition(".")
    if key and head in ("metadata", "headers"):
        mapping = variables.get(head)
        if isinstance(mapping, Mapping):
            return mapping.get(key.lower() if head == "headers" else key)
    return None
