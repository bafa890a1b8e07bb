"""Routing rules of AI resources: the seed's conditions (simple mode) and expressions
(advanced mode), checked when a resource is saved and evaluated for every request.

On by default. Implements ``switchboard_validate_routing`` (refuses a bad rule with the
JSON path of the culprit and, for an expression, the position of the error) and
``switchboard_route`` (``trylast``, so a deployment's own routing plugin decides first).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from switchboard.errors import BadRequest
from switchboard.hookspecs import hookimpl
from switchboard.routing import RouteDecision, RoutingInput
from switchboard_routing.engine import compiled, decide
from switchboard_routing.errors import RoutingError

__all__ = ["ENABLED_BY_DEFAULT", "switchboard_route", "switchboard_validate_routing"]

ENABLED_BY_DEFAULT = True

# Traffic shares are drawn per request; nothing here needs to be unpredictable.
_random = random.Random()


@hookimpl
def switchboard_validate_routing(routing: Mapping[str, Any]) -> None:
    """Refuse routing that cannot work (a 400 whose ``param`` names the culprit)."""
    result = compiled(routing)
    if isinstance(result, RoutingError):
        raise BadRequest(str(result), param=result.param)


@hookimpl(trylast=True)
def switchboard_route(routing: RoutingInput) -> RouteDecision | None:
    """Evaluate the resource's conditions in order; the first match decides."""
    if not routing.routing:
        return None
    result = compiled(routing.routing)
    if isinstance(result, RoutingError):
        # Saved before a rule became invalid (a declared variable gone): serve the primary.
        return RouteDecision(
            rule="primary",
            model=routing.primary,
            events=(f"routing is invalid and was skipped: {result}",),
        )
    if not result.enabled:
        return None
    return decide(result, routing, _random)
