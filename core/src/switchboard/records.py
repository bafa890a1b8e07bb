"""Records of what happened: data-plane requests and management changes.

Both are handed to plugins (``switchboard_redact_record``, recorders,
``switchboard_management_event``) and written by the database recorder.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

__all__ = ["AttemptRecord", "ManagementEvent", "RequestRecord"]


class AttemptRecord(msgspec.Struct, kw_only=True):
    """One provider attempt of a request: which model, how it went, how long it took."""

    provider: str
    model: str
    connection_id: str | None
    outcome: str
    status: int | None = None
    error_class: str | None = None
    error_message: str | None = None
    latency_ms: float = 0.0


class RequestRecord(msgspec.Struct, kw_only=True):
    """Everything recorded about one data-plane request, rejected and failed ones included."""

    request_id: str
    created_at: datetime
    path: str
    status: int
    correlation_id: str | None = None
    workspace_id: str | None = None
    environment_id: str | None = None
    resource_id: str | None = None
    resource_name: str | None = None
    api_key_id: str | None = None
    connection_id: str | None = None
    provider: str | None = None
    model: str | None = None
    route: str | None = None
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
