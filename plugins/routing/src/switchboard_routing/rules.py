"""A resource's ``routing`` value, checked and compiled once.

The shape (the seed's, camelCase)::

    routing:
      enabled: true                 # default true
      mode: simple                  # simple (default) | advanced
      conditions:                   # evaluated in order; the first that matches decides
        - description: Use Groq for small requests
          if:  [{field: requestTokens, operator: lessThan, value: 100}]   # all must hold
          any: [{field: hasTools, operator: equals, value: true}, ...]    # one must hold
          then: {provider: groq, model: llama-3.1-70b-versatile, connection: groq-main,
                 traffic: 50}                                             # or:
          # then: {action: block, message: "..."}

In ``mode: advanced`` a condition has ``expression:`` instead of ``if``/``any``. A simple
condition with neither ``if`` nor ``any`` matches every request (useful with ``traffic`` for
a canary). Everything is checked here, so a bad rule is refused when it is saved, with the
JSON path of the culprit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import msgspec

from switchboard.routing import ModelRef
from switchboard_routing.errors import RoutingError
from switchboard_routing.expressions import Expression, compile_expression
from switchboard_routing.operators import Test, build_test

__all__ = ["DEFAULT_BLOCK_MESSAGE", "CompiledRouting", "Condition", "compile_routing"]

MAX_CONDITIONS = 100
MAX_TESTS = 50
MAX_TEXT = 1000
DEFAULT_BLOCK_MESSAGE = "This request was blocked by a routing rule of the resource."

_ROUTING_KEYS: Final = frozenset({"enabled", "mode", "conditions"})
_CONDITION_KEYS: Final = frozenset({"description", "if", "any", "expression", "then"})
_MODEL_KEYS: Final = frozenset({"provider", "model", "connection", "traffic"})
_BLOCK_KEYS: Final = frozenset({"action", "message", "traffic"})


class Condition(msgspec.Struct, frozen=True, kw_only=True):
    """One compiled condition and what it does when it matches.

    ``rule`` is what the decision reports (``conditions[2]``); ``label`` adds the
    description for events. Exactly one of ``model`` and ``block_message`` is set.
    """

    rule: str
    label: str
    all: tuple[Test, ...] = ()
    any: tuple[Test, ...] = ()
    expression: Expression | None = None
    model: ModelRef | None = None
    block_message: str | None = None
    traffic: float = 100.0


class CompiledRouting(msgspec.Struct, frozen=True, kw_only=True):
    """A resource's routing, ready to evaluate."""

    enabled: bool
    advanced: bool
    conditions: tuple[Condition, ...]


def _unknown_key(raw: Mapping[str, Any], allowed: frozenset[str], where: str, hint: str) -> None:
    unknown = sorted(str(key) for key in raw if key not in allowed)
    if unknown:
        raise RoutingError(f"{where}.{unknown[0]}", f"unknown key ({hint})")


def _text(raw: Mapping[str, Any], key: str, where: str, *, required: bool) -> str | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise RoutingError(f"{where}.{key}", "give a non-empty text")
    if len(value) > MAX_TEXT:
        raise RoutingError(f"{where}.{key}", f"longer than {MAX_TEXT} characters")
    return value


def _tests(raw: object, where: str) -> tuple[Test, ...]:
    if not isinstance(raw, list):
        raise RoutingError(where, "a list of tests {field, operator, value}")
    if len(raw) > MAX_TESTS:
        raise RoutingError(where, f"at most {MAX_TESTS} tests")
    return tuple(build_test(item, f"{where}[{index}]") for index, item in enumerate(raw))


def _traffic(raw: Mapping[str, Any], where: str) -> float:
    traffic = raw.get("traffic", 100)
    if isinstance(traffic, bool) or not isinstance(traffic, int | float) or not 0 <= traffic <= 100:
        raise RoutingError(f"{where}.traffic", "a percentage from 0 to 100")
    return float(traffic)


def _then(raw: object, where: str) -> tuple[ModelRef | None, str | None, float]:
    if not isinstance(raw, Mapping):
        raise RoutingError(
            where, "give {provider, model, connection?, traffic?} or {action: block, message}"
        )
    action = raw.get("action")
    if action is not None:
        if action != "block":
            raise RoutingError(f"{where}.action", "the only action is block")
        _unknown_key(raw, _BLOCK_KEYS, where, "a block has action, message, traffic")
        message = _text(raw, "message", where, required=False)
        return None, message or DEFAULT_BLOCK_MESSAGE, _traffic(raw, where)
    _unknown_key(raw, _MODEL_KEYS, where, "then has provider, model, connection, traffic")
    provider = _text(raw, "provider", where, required=True)
    model = _text(raw, "model", where, required=True)
    connection = _text(raw, "connection", where, required=False)
    assert provider is not None and model is not None
    return (
        ModelRef(provider=provider, model=model, connection=connection),
        None,
        _traffic(raw, where),
    )


def _condition(raw: object, index: int, advanced: bool, where: str) -> Condition:
    if not isinstance(raw, Mapping):
        raise RoutingError(where, "a condition is {description?, if/any or expression, then}")
    _unknown_key(
        raw, _CONDITION_KEYS, where, "a condition has description, if, any, expression, then"
    )
    description = _text(raw, "description", where, required=False)
    if "then" not in raw:
        raise RoutingError(f"{where}.then", "say what to do when the condition matches")
    model, block, traffic = _then(raw["then"], f"{where}.then")
    rule = f"conditions[{index}]"
    label = f"{rule} ({description})" if description else rule
    if advanced:
        for key in ("if", "any"):
            if key in raw:
                raise RoutingError(f"{where}.{key}", "advanced conditions use expression")
        expression = compile_expression(raw.get("expression"), f"{where}.expression")
        return Condition(
            rule=rule,
            label=label,
            expression=expression,
            model=model,
            block_message=block,
            traffic=traffic,
        )
    if "expression" in raw:
        raise RoutingError(f"{where}.expression", "expressions need mode: advanced")
    all_tests = _tests(raw["if"], f"{where}.if") if "if" in raw else ()
    any_tests = _tests(raw["any"], f"{where}.any") if "any" in raw else ()
    if "any" in raw and not any_tests:
        raise RoutingError(f"{where}.any", "an empty any group never matches; remove it")
    return Condition(
        rule=rule,
        label=label,
        all=all_tests,
        any=any_tests,
        model=model,
        block_message=block,
        traffic=traffic,
    )


def compile_routing(routing: object, where: str = "routing") -> CompiledRouting:
    """Check ``routing`` and compile it; :class:`RoutingError` names the first problem."""
    if not isinstance(routing, Mapping):
        raise RoutingError(where, "routing is {enabled, mode?, conditions}")
    _unknown_key(routing, _ROUTING_KEYS, where, "routing has enabled, mode, conditions")
    enabled = routing.get("enabled", True)
    if not isinstance(enabled, bool):
        raise RoutingError(f"{where}.enabled", "true or false")
    mode = routing.get("mode", "simple")
    if mode not in ("simple", "advanced"):
        raise RoutingError(f"{where}.mode", "simple or advanced")
    conditions = routing.get("conditions", [])
    if not isinstance(conditions, list):
        raise RoutingError(f"{where}.conditions", "a list of conditions")
    if len(conditions) > MAX_CONDITIONS:
        raise RoutingError(f"{where}.conditions", f"at most {MAX_CONDITIONS} conditions")
    return CompiledRouting(
        enabled=enabled,
        advanced=mode == "advanced",
        conditions=tuple(
            _condition(raw, index, mode == "advanced", f"{where}.conditions[{index}]")
            for index, raw in enumerate(conditions)
        ),
    )
