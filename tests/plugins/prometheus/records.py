"""Request records made by hand for the aggregation's unit tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from switchboard.records import AttemptRecord, RequestRecord

__all__ = ["attempt", "request"]

NAMES = {
    "workspace_name": "acme",
    "environment_name": "prod",
    "resource_name": "chat",
    "provider": "openai",
    "model": "gpt-4o-mini",
    "connection_id": "c-main",
    "connection_name": "main",
    "endpoint": "chat/completions",
}


def attempt(outcome: str = "ok", connection: str = "main", **fields: Any) -> AttemptRecord:
    """An attempt of openai/gpt-4o-mini through ``connection``."""
    values: dict[str, Any] = {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "connection_id": f"c-{connection}",
        "connection_name": connection,
        "outcome": outcome,
        **fields,
    }
    return AttemptRecord(**values)


def request(status: int = 200, **fields: Any) -> RequestRecord:
    """A record of a chat completion on ``acme/prod/chat`` (``fields`` override)."""
    values: dict[str, Any] = {
        "request_id": "r",
        "created_at": datetime.now(UTC),
        "path": "/v1/chat/completions",
        "status": status,
        **NAMES,
        "attempts": [attempt()],
        **fields,
    }
    return RequestRecord(**values)
