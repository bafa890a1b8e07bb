"""Which models a request will try, in order, and through which connections.

Routing decides the first model (the ``switchboard_route`` hook, which the ``routing``
plugin implements; the primary model when nothing matches); the resource's fallbacks follow
when fallback is on. Each model is served by the connection it names, or by one of
the connections of its provider whose allowed models admit it (the pipeline prefers the one
with the most capacity left). The same plan drives real
requests and the ``test-route`` dry run.
"""

from __future__ import annotations

from typing import Any

import msgspec

from switchboard.context import Principal, RequestInfo
from switchboard.dataplane.config import ConnectionConfig, EnvironmentRuntime, ResourceConfig
from switchboard.dataplane.error_rates import ErrorRateBook, ErrorRates
from switchboard.dataplane.openai_types import ChatCompletionRequest, EmbeddingRequest
from switchboard.routing import ModelRef, RouteDecision, RoutingInput

__all__ = [
    "PlannedAttempt",
    "RoutePlan",
    "count_prompt_tokens",
    "estimate_input_tokens",
    "estimate_tokens",
    "plan_attempt",
    "plan_route",
    "routing_variables",
]

# Headers routing may read; the credentials in the others must never reach an expression.
_HIDDEN_HEADERS = frozenset({"authorization", "x-api-key", "cookie", "proxy-authorization"})


class PlannedAttempt(msgspec.Struct, frozen=True, kw_only=True):
    """One model of the chain and the connection that would serve it (``None``: none can,
    and ``note`` says why).

    ``connections`` are every connection that may serve the model (several when the model
    names none and several connections of its provider admit it); the pipeline tries them
    in order of capacity left. ``connection`` is the first of them in name order.
    """

    model: ModelRef
    connection: ConnectionConfig | None
    note: str | None = None
    connections: tuple[ConnectionConfig, ...] = ()


class RoutePlan(msgspec.Struct, frozen=True, kw_only=True):
    """The rule that matched, the attempts in order, or the block message."""

    rule: str
    attempts: tuple[PlannedAttempt, ...]
    blocked_message: str | None = None
    events: tuple[str, ...] = ()
    prompt_tokens: int | None = None
    """The prompt's tokens when routing counted them (capacity reuses the count)."""


def estimate_tokens(request: ChatCompletionRequest) -> int:
    """Four characters per token over every text of the request (the core's fallback)."""
    characters = 0
    for message in request.messages:
        if isinstance(message.content, str):
            characters += len(message.content)
        elif isinstance(message.content, list):
            characters += sum(len(p.text) for p in message.content if isinstance(p.text, str))
    return max(1, characters // 4)


def count_prompt_tokens(
    environment: EnvironmentRuntime, request: ChatCompletionRequest, model: str
) -> int:
    """The prompt's tokens: a plugin's count (the ``tokenizer``), else the core's estimate."""
    counted = environment.plugins.hooks.count_tokens(request=request, model=model)
    return counted if counted is not None else estimate_tokens(request)


def estimate_input_tokens(request: EmbeddingRequest) -> int:
    """The tokens of an embeddings input: token arrays exactly, text at four characters each."""
    items = request.input if isinstance(request.input, list) else [request.input]
    tokens = characters = 0
    for item in items:
        if isinstance(item, str):
            characters += len(item)
        elif isinstance(item, list):
            tokens += len(item)
        else:
            tokens += 1  # one token array, given as its ids
    return max(1, tokens + characters // 4)


def routing_variables(
    request: ChatCompletionRequest, principal: Principal, info: RequestInfo, tokens: int
) -> dict[str, Any]:
    """The names routing conditions and expressions see for a request."""
    last = request.messages[-1] if request.messages else None
    system = [
        m.content
        for m in request.messages
        if m.role in ("system", "developer") and isinstance(m.content, str)
    ]
    metadata = request.metadata if isinstance(request.metadata, dict) else {}
    return {
        "requestTokens": tokens,
        "hasTools": bool(request.tools),
        "toolsCount": len(request.tools) if isinstance(request.tools, list) else 0,
        "messagesCount": len(request.messages),
        "stream": request.stream is True,
        "maxTokens": request.expected_completion_tokens,
        "lastMessage": last.content if last is not None and isinstance(last.content, str) else "",
        "lastMessageRole": last.role if last is not None else "",
        "systemPrompt": "\n".join(system),
        "model": request.model,
        "apiKeyName": principal.name,
        "apiKeyLabels": list(principal.labels),
        "metadata": dict(metadata),
        "headers": {k: v for k, v in info.headers.items() if k not in _HIDDEN_HEADERS},
    }


def _chain(resource: ResourceConfig, first: ModelRef) -> list[ModelRef]:
    fallbacks = list(resource.fallback_models) if resource.use_fallback else []
    chain: list[ModelRef] = []
    for model in [first, *fallbacks]:
        if model not in chain:
            chain.append(model)
    return chain


def plan_attempt(environment: EnvironmentRuntime, model: ModelRef) -> PlannedAttempt:
    """The connections that may serve ``model``, or a note saying why none can."""
    candidates = environment.connections_for(model)
    if candidates:
        return PlannedAttempt(model=model, connection=candidates[0], connections=tuple(candidates))
    if model.connection:
        note = (
            f"connection {model.connection!r} does not exist, is not a {model.provider} "
            f"connection or does not admit model {model.model!r}"
        )
    else:
        note = f"no connection of provider {model.provider!r} admits model {model.model!r}"
    return PlannedAttempt(model=model, connection=None, note=note)


def plan_route(
    environment: EnvironmentRuntime,
    resource: ResourceConfig,
    request: ChatCompletionRequest,
    principal: Principal,
    info: RequestInfo,
    error_rates: ErrorRateBook | ErrorRates,
) -> RoutePlan:
    """The attempts for ``request``: routed first model, then fallbacks. ``error_rates``:
    the process's book (routing reads the environment's) or given rates (the dry run's)."""
    decision = RouteDecision(rule="primary", model=resource.model)
    routing = resource.routing
    tokens: int | None = None
    if routing and routing.get("enabled", True) and routing.get("conditions"):
        hooks = environment.plugins.hooks
        tokens = count_prompt_tokens(environment, request, resource.model.model)
        variables = routing_variables(request, principal, info, tokens)
        variables.update(
            {
                k: v
                for k, v in hooks.routing_variables(
                    request=request, principal=principal, info=info
                ).items()
                if k not in variables
            }
        )
        decided = hooks.route(
            routing=RoutingInput(
                environment_id=environment.id,
                resource_name=resource.name,
                primary=resource.model,
                request=request,
                principal=principal,
                routing=routing,
                variables=variables,
                error_rates=error_rates.for_environment(environment.id, environment.connections)
                if isinstance(error_rates, ErrorRateBook)
                else error_rates,
            )
        )
        if decided is not None:
            decision = decided
    if decision.blocked_message is not None or decision.model is None:
        return RoutePlan(
            rule=decision.rule,
            attempts=(),
            blocked_message=decision.blocked_message or "blocked by routing",
            events=decision.events,
            prompt_tokens=tokens,
        )
    attempts = tuple(plan_attempt(environment, m) for m in _chain(resource, decision.model))
    return RoutePlan(
        rule=decision.rule, attempts=attempts, events=decision.events, prompt_tokens=tokens
    )
