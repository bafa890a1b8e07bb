"""Calls for the Gemini unit tests: a request in, no network unless ``http`` is given."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from switchboard.dataplane.openai_types import ChatCompletionRequest, ChatMessage
from switchboard.interfaces.provider import ProviderCall, Timeouts
from switchboard_gemini import GeminiCredentials, GeminiSettings
from switchboard_gemini.request import build_request
from tests.plugins.gemini.kit import API_KEY

__all__ = ["chat_call", "encoded", "native"]


def chat_call(
    *messages: ChatMessage,
    base_url: str = "https://generativelanguage.googleapis.com/v1beta",
    http: Any = None,
    model: str = "gemini-2.5-flash",
    **fields: Any,
) -> ProviderCall:
    """A chat call of ``messages`` (and request ``fields``) on a Gemini connection."""
    return ProviderCall(
        request_id="req-test",
        connection_id="conn-gemini",
        connection_name="gemini",
        model=model,
        request=ChatCompletionRequest(model="resource", messages=list(messages), **fields),
        settings=GeminiSettings(base_url=base_url),
        credentials=GeminiCredentials(api_key=API_KEY),
        timeouts=Timeouts(connect=2, first_byte=5, total=10),
        http=http,
    )


def encoded(value: msgspec.Struct) -> dict[str, Any]:
    """A struct as the JSON object it encodes to."""
    decoded: dict[str, Any] = json.loads(msgspec.json.encode(value))
    return decoded


def native(call: ProviderCall) -> dict[str, Any]:
    """The ``generateContent`` body the provider would send for ``call``."""
    return encoded(build_request(call))
