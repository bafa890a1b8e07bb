"""Records of what happened: data-plane requests and management changes.

Both are handed to plugins (``switchboard_redact_record``, recorders,
``switchboard_management_event``) and written by the database recorder. Request records
are kept out of the garbage collector's walks (``gc=False``: they never form reference
cycles), since recorders hold thousands of them between batches.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

__all__ = ["AttemptRecord", "ManagementEvent", "RequestRecord"]


class AttemptRecord(msgspec.Struct, kw_only=True, gc=False):
    """One provider attempt of a request: which model, how it went, how long it took."""

    provider: str
    model: str
    connection_id: str | None
    outcome: str
    status: int | None = None
    error_class: str | None = None
    error_message: str | None = None
    latency_ms: float = 0.0
    connection_name: str | None = None
    started_ms: float = 0.0
    """When the provider call started, in ms since the request arrived (0 when never called)."""
    capacity_ms: float = 0.0
    """Time spent reserving capacity for this attempt (and waiting in line), in ms."""


class RequestRecord(msgspec.Struct, kw_only=True, gc=False):
    """Everything recorded about one data-plane request, rejected and failed ones included."""

    request_id: str
    created_at: datetime
    path: str
    status: int
    correlation_id: str | None = None
    traceparent: str | None = None
    """The caller's W3C ``traceparent`` header, when it sent one (tracing continues it)."""
    tracestate: str | None = None
    trace_id: str | None = None
    """The request's W3C trace id (32 hex digits): the caller's, or one made for it."""
    workspace_id: str | None = None
    workspace_name: str | None = None
    environment_id: str | None = None
    environment_name: str | None = None
    resource_id: str | None = None
    resource_name: str | None = None
    api_key_id: str | None = None
    api_key_name: str | None = None
    connection_id: str | None = None
    connection_name: str | None = None
    endpoint: str | None = None
    """The data-plane endpoint: ``chat/completions``, ``embeddings`` or ``messages``."""
    stream: bool = False
    provider: str | None = None
    model: str | None = None
    route: str | None = None
    routing_events: list[str] = msgspec.field(default_factory=list)
    """How the route was chosen, in order (the rules that did and did not match)."""
    routing_started_ms: float = 0.0
    """When routing started, in ms since the request arrived."""
    routing_ms: float = 0.0
    """Time spent choosing the route, in ms."""
    attempts: list[AttemptRecord] = msgspec.field(default_factory=list)
    error_class: str | None = None
    error_message: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    time_to_first_token_ms: float | None = None
    queue_wait_ms: float = 0.0
    latency_ms: float = 0.0
    gateway_latency_ms: float = 0.0
    tokens_per_second: float | None = None
    """Completion tokens per second of generation (after the first token when streamed)."""
    estimated_cost: float | None = None
    """USD, from the model's price (the connection's override, else the provider plugin's)."""
    client_ip: str | None = None
    user_agent: str | None = None
    payload: dict[str, Any] | None = None


class ManagementEvent(msgspec.Struct, kw_only=True):
    """One create, update or delete through the control plane; secrets already masked."""

    occurred_at: datetime
    actor_id: str | None
    actor_name: str
    action: str
    resource: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    request_id: str | None = None
