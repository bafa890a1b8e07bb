"""Helpers shared by the Anthropic-format tests."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from switchboard.dataplane.anthropic_format import decode_request, to_openai
from switchboard.testing.openai_schema import validate


def translate(body: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``body`` (an Anthropic request) decoded and translated, as JSON values.

    The OpenAI request is checked against OpenAI's published schema on the way.
    """
    request, dropped = to_openai(decode_request(json.dumps(body).encode()))
    openai: dict[str, Any] = msgspec.to_builtins(request)
    validate("CreateChatCompletionRequest", openai)
    return openai, dropped


def request(*messages: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A minimal Anthropic request with ``messages`` and extra top-level ``fields``."""
    return {"model": "claude-x", "max_tokens": 100, "messages": list(messages), **fields}


def user(content: Any) -> dict[str, Any]:
    """A user turn."""
    return {"role": "user", "content": content}


def assistant(content: Any) -> dict[str, Any]:
    """An assistant turn."""
    return {"role": "assistant", "content": content}


def frames(raw: list[bytes]) -> list[tuple[str, dict[str, Any]]]:
    """SSE frames as ``(event name, data)``, checking each is framed as Anthropic does."""
    parsed = []
    for frame in raw:
        text = frame.decode()
        assert text.endswith("\n\n") and text.count("\n") == 3, text
        event_line, data_line = text[:-2].split("\n")
        assert event_line.startswith("event: ") and data_line.startswith("data: "), text
        name, data = (
            event_line.removeprefix("event: "),
            json.loads(data_line.removeprefix("data: ")),
        )
        assert data["type"] == name
        parsed.append((name, data))
    return parsed
