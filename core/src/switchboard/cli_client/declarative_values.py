"""Comparing what the file says with what the gateway shows, and printing values briefly.

The gateway fills in what the file leaves out (a provider's default ``baseUrl``, ``null``
limits of a capacity entry), so values are compared after :func:`clean` (``null`` members
dropped) and, for provider settings, with the provider's defaults filled in first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
import yaml

__all__ = [
    "MASK",
    "builtins",
    "clean",
    "differences",
    "masked",
    "provider_defaults",
    "same",
    "show",
    "timestamp",
]

MASK = "***"
MAX_SHOWN = 300  # characters of a value in a diff line; longer ones are cut
ABSENT = "(none)"  # how a member missing on one side is shown
_MISSING: Any = object()


def builtins(value: Any) -> Any:
    """``value`` (Structs, datetimes) as JSON-like Python values, unset fields left out."""
    return msgspec.to_builtins(value)


def clean(value: Any) -> Any:
    """``value`` without ``null`` members of mappings, at every depth."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def same(wanted: Any, current: Any) -> bool:
    """Whether two JSON-like values are equal once :func:`clean`."""
    return bool(clean(builtins(wanted)) == clean(current))


def timestamp(value: Any) -> datetime | None:
    """An ISO 8601 string (or datetime) from the gateway as a datetime; None stays None."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def differences(name: str, before: Any, after: Any) -> list[tuple[str, str, str]]:
    """Where two JSON-like values differ, as ``(path, before, after)`` shown briefly: a
    mapping or a list of the same length is descended into, so a change deep in a routing
    rule reads ``routing.conditions[0].if[0].value 100 → 200``."""
    if before is _MISSING or after is _MISSING:
        return [(name, _shown(before), _shown(after))]
    if isinstance(before, dict) and isinstance(after, dict):
        found = []
        for key in [*before, *(k for k in after if k not in before)]:
            old, new = before.get(key, _MISSING), after.get(key, _MISSING)
            if old != new:
                found.extend(differences(f"{name}.{key}", old, new))
        return found
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        found = []
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            if old != new:
                found.extend(differences(f"{name}[{index}]", old, new))
        return found
    return [(name, show(before), show(after))]


def _shown(value: Any) -> str:
    return ABSENT if value is _MISSING else show(value)


def show(value: Any) -> str:
    """A short one-line rendering: ``false``, ``[gpt-4o, gpt-4o-mini]``, ``{period: minute}``."""
    rendered = yaml.safe_dump(
        clean(builtins(value)),
        default_flow_style=True,
        allow_unicode=True,
        sort_keys=False,
        width=10**9,
    ).strip()
    rendered = rendered.removesuffix("\n...").removesuffix("...").strip()
    if len(rendered) > MAX_SHOWN:
        rendered = rendered[: MAX_SHOWN - 1] + "…"
    return rendered or "''"


def masked(fields: set[str] | list[str]) -> str:
    """Credential fields with their values hidden: ``{apiKey: ***}``."""
    return "{" + ", ".join(f"{field}: {MASK}" for field in sorted(fields)) + "}"


def provider_defaults(settings_schema: dict[str, Any]) -> dict[str, Any]:
    """The defaults of a provider's settings, from the JSON Schema ``/providers`` shows."""
    schema = settings_schema
    reference = schema.get("$ref")
    if isinstance(reference, str):
        schema = schema.get("$defs", {}).get(reference.rsplit("/", 1)[-1], {})
    properties = schema.get("properties", {})
    return {
        name: prop["default"]
        for name, prop in properties.items()
        if isinstance(prop, dict) and "default" in prop
    }
