"""What routing works with: model references, the facts of a request, the decision.

Routing rules themselves are evaluated by a plugin (``switchboard_route``); the core only
defines these shapes and falls back to the resource's primary model when no plugin decides.
"""

from __future__ import annotations

from typing import Any

import msgspec

from switchboard.context import Principal
from switchboard.dataplane.error_rates import ErrorRates
from switchboard.dataplane.openai_types import ChatCompletionRequest

__all__ = ["ModelRef", "RouteDecision", "RoutingInput"]


class ModelRef(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A provider's model, optionally pinned to one connection (by id or name)."""

    provider: str
    model: str
    connection: str | None = None


class RoutingInput(msgspec.Struct, frozen=True, kw_only=True):
    """The facts routing rules see for one request.

    ``variables`` starts with the core's fields (``requestTokens``, ``hasTools``,
    ``messagesCount``, ``stream``, ``maxTokens``, ``lastMessage``, ``systemPrompt``,
    ``apiKeyName``, ``apiKeyLabels``, ``metadata``, ``headers``, ``model``) and gains
    whatever ``switchboard_routing_variables`` implementations add. ``error_rates`` (the
    environment's) answers ``errorRate(window, status, provider, model, connection)`` from a
    recent snapshot of every process's counts plus this process's newest ones, without I/O.
    """

    environment_id: str
    resource_name: str
    primary: ModelRef
    request: ChatCompletionRequest
    principal: Principal
    routing: dict[str, Any] | None
    variables: dict[str, Any]
    error_rates: ErrorRates


class RouteDecision(msgspec.Struct, frozen=True, kw_only=True):
    """The model to call first, or a block with the message the caller gets (status 400).

    ``rule`` names what decided (``primary`` when nothing matched), for the
    ``x-switchboard-route`` header and the audit record; ``events`` explain the decision
    (which conditions were evaluated and how), for the dry run and the request record.
    """

    rule: str
    model: ModelRef | None = None
    blocked_message: str | None = None
    events: tuple[str, ...] = ()
