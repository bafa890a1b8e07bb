"""Evaluating compiled routing for one request, and the cache that keeps requests from ever
parsing rules.

Conditions are evaluated in order and the first that matches decides. A condition with
``traffic`` below 100 is taken by that share of the requests it matches (one random draw per
request); the others go on to the next condition. When nothing decides, the primary model is
used (rule ``primary``). Every step is told in ``events``, for the dry run and the record.

``errorRate`` reads the environment's recent outcomes (every process's). Without
``provider``, ``model`` and ``connection`` it is the rate of the resource's primary model
(through any connection); with only one of provider and model, every model of that provider
(or that model at any provider); ``provider='*'`` means every provider. ``connection`` (a
name or an id of one of the environment's connections) narrows the rate to the attempts
made through that connection; alone, it is every model called through it. A name that no
connection of the environment has matches no attempt (rate 0).
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import msgspec

from switchboard.routing import ModelRef, RouteDecision, RoutingInput
from switchboard_routing.errors import RoutingError
from switchboard_routing.fields import lookup
from switchboard_routing.operators import ErrorRateQuery, Test
from switchboard_routing.rules import CompiledRouting, Condition, compile_routing

__all__ = ["CACHE_SIZE", "compiled", "decide"]

CACHE_SIZE = 1024
_SHOWN = 40

_by_hash: OrderedDict[bytes, CompiledRouting | RoutingError] = OrderedDict()
# routing dicts seen, by id: the dict is kept, so its id cannot be reused while cached
_by_identity: OrderedDict[int, tuple[object, CompiledRouting | RoutingError]] = OrderedDict()
_lock = threading.Lock()


def _remember(cache: OrderedDict[Any, Any], key: Any, value: Any) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > CACHE_SIZE:
        cache.popitem(last=False)


def compiled(routing: Mapping[str, Any]) -> CompiledRouting | RoutingError:
    """``routing`` compiled, or why it cannot be: from the cache when the same object or
    the same JSON was compiled before."""
    seen = _by_identity.get(id(routing))
    if seen is not None and seen[0] is routing:
        return seen[1]
    key = hashlib.blake2b(msgspec.json.encode(routing, order="sorted"), digest_size=16).digest()
    with _lock:
        result = _by_hash.get(key)
        if result is None:
            try:
                result = compile_routing(routing)
            except RoutingError as exc:
                result = exc
            _remember(_by_hash, key, result)
        _remember(_by_identity, id(routing), (routing, result))
    return result


def _shown(value: Any) -> str:
    try:
        text = msgspec.json.encode(value).decode()
    except (TypeError, msgspec.EncodeError):
        text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


class _Request:
    """One request's view for evaluation: its variables and error rates."""

    def __init__(self, routing: RoutingInput) -> None:
        self.variables = routing.variables
        self._rates = routing.error_rates
        self._primary = routing.primary

    def error_rate(self, query: ErrorRateQuery) -> float:
        provider, model, connection = query.provider, query.model, query.connection
        if provider is None and model is None and connection is None:
            provider, model = self._primary.provider, self._primary.model
        if provider == "*":
            provider = None
        return self._rates.rate(query.window, query.status, provider, model, connection)

    def value(self, test: Test) -> Any:
        if test.error_rate is not None:
            return self.error_rate(test.error_rate)
        return lookup(self.variables, test.field)

    def check(self, test: Test) -> tuple[bool, str]:
        """Whether ``test`` holds, and how it read the request."""
        value = self.value(test)
        try:
            held = bool(test.predicate(value))
        except TimeoutError:
            return False, f"{test.text}: the pattern took too long ({test.field} not matched)"
        verdict = "true" if held else "false"
        return held, f"{test.text} is {verdict} ({test.field} = {_shown(value)})"


def _simple(condition: Condition, request: _Request) -> tuple[bool, str]:
    details: list[str] = []
    for test in condition.all:
        held, detail = request.check(test)
        details.append(detail)
        if not held:
            return False, "; ".join(details)
    if condition.any:
        tried: list[str] = []
        for test in condition.any:
            held, detail = request.check(test)
            tried.append(detail)
            if held:
                details.append(f"any: {detail}")
                break
        else:
            details.append("any: none held (" + "; ".join(tried) + ")")
            return False, "; ".join(details)
    return True, "; ".join(details) or "no tests: every request"


def _advanced(condition: Condition, request: _Request) -> tuple[bool, str]:
    expression = condition.expression
    assert expression is not None
    try:
        held = expression.evaluate(request.variables, request.error_rate)
    except Exception as exc:  # an expression failing at run time only fails to match
        return False, f"expression failed: {type(exc).__name__}: {exc}"
    return held, f"expression is {'true' if held else 'false'}"


def decide(
    routing: CompiledRouting, facts: RoutingInput, rng: random.Random | None = None
) -> RouteDecision:
    """The first condition that matches (and is picked by its traffic share) decides."""
    request = _Request(facts)
    draw = (rng or random).random
    events: list[str] = []
    for condition in routing.conditions:
        matched, detail = (_advanced if routing.advanced else _simple)(condition, request)
        if not matched:
            events.append(f"{condition.label}: not matched: {detail}")
            continue
        if condition.traffic < 100:
            picked = draw() * 100 < condition.traffic
            share = f"traffic {condition.traffic:g}%"
            if not picked:
                events.append(f"{condition.label}: matched ({detail}), not picked by {share}")
                continue
            detail = f"{detail}; picked by {share}"
        if condition.block_message is not None:
            events.append(f"{condition.label}: matched ({detail}): blocked")
            return RouteDecision(
                rule=condition.rule,
                blocked_message=condition.block_message,
                events=tuple(events),
            )
        assert condition.model is not None
        events.append(f"{condition.label}: matched ({detail}): {_model(condition.model)}")
        return RouteDecision(rule=condition.rule, model=condition.model, events=tuple(events))
    events.append(f"no condition decided: primary model {_model(facts.primary)}")
    return RouteDecision(rule="primary", model=facts.primary, events=tuple(events))


def _model(model: ModelRef) -> str:
    via = f" via {model.connection}" if model.connection else ""
    return f"{model.provider}/{model.model}{via}"
