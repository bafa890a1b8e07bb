"""Building the facts routing sees, the way the core builds them for a real request."""

from __future__ import annotations

from typing import Any

import msgspec

from switchboard.context import Principal, RequestInfo
from switchboard.dataplane.error_rates import ErrorRates
from switchboard.dataplane.openai_types import ChatCompletionRequest
from switchboard.dataplane.planning import estimate_tokens, routing_variables
from switchboard.routing import ModelRef, RoutingInput

PRIMARY = ModelRef(provider="openai", model="gpt-4o")


class Named(msgspec.Struct, frozen=True):
    """A connection as error rates see one: its id and its name."""

    id: str
    name: str


CONNECTIONS: Any = (Named("c-main", "openai-main"), Named("c-backup", "openai-backup"))
"""Connections for :meth:`ErrorRates.know_connections`."""


def chat(text: str = "Hello", **fields: Any) -> dict[str, Any]:
    """A chat completion body with one user message and extra top-level ``fields``."""
    return {"model": "chat", "messages": [{"role": "user", "content": text}], **fields}


def facts(
    routing: dict[str, Any] | None,
    body: dict[str, Any] | None = None,
    *,
    labels: tuple[str, ...] = (),
    headers: dict[str, str] | None = None,
    error_rates: ErrorRates | None = None,
    extra: dict[str, Any] | None = None,
) -> RoutingInput:
    """The routing input of ``body`` sent by API key ``backend`` with ``labels``."""
    request = msgspec.convert(body or chat(), ChatCompletionRequest)
    principal = Principal(
        kind="api-key", id="key-1", name="backend", authenticator="api-key", labels=labels
    )
    info = RequestInfo(
        request_id="r-1", method="POST", path="/v1/chat/completions", headers=headers or {}
    )
    variables = routing_variables(request, principal, info, estimate_tokens(request))
    variables.update(extra or {})
    return RoutingInput(
        environment_id="env-1",
        resource_name="chat",
        primary=PRIMARY,
        request=request,
        principal=principal,
        routing=routing,
        variables=variables,
        error_rates=error_rates or ErrorRates(),
    )


def simple(*tests: dict[str, Any], any_of: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Routing with one simple condition sending matches to groq."""
    condition: dict[str, Any] = {"if": list(tests), "then": {"provider": "groq", "model": "llama"}}
    if any_of is not None:
        condition["any"] = any_of
    return {"enabled": True, "conditions": [condition]}


def advanced(expression: str, **then: Any) -> dict[str, Any]:
    """Routing with one advanced condition sending matches to groq."""
    target = {"provider": "groq", "model": "llama", **then}
    return {"mode": "advanced", "conditions": [{"expression": expression, "then": target}]}


def failing(
    rates: ErrorRates,
    provider: str,
    model: str,
    percent: int,
    status: int = 500,
    connection: str = "conn-1",
) -> None:
    """Record 100 outcomes of ``provider/model`` through ``connection`` (an id), ``percent``
    of them failing with ``status``."""
    for index in range(100):
        rates.record(provider, model, connection, status if index < percent else 200)
