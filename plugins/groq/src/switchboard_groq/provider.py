"""Groq speaks OpenAI's chat completions under ``/openai/v1``; this adapts the OpenAI
provider to what Groq refuses and to how it counts its rate limits.

- ``logprobs``, ``top_logprobs``, ``logit_bias``, ``presence_penalty``, ``metadata``: not
  supported at Groq; dropped and reported.
- ``n`` greater than 1: refused by Groq; dropped and reported (one choice comes back).
- ``x-ratelimit-*-requests`` count per **day** at Groq (the tokens ones per minute).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import msgspec

from switchboard.interfaces.provider import DiscoveredLimits, ProviderCall
from switchboard_openai import OpenAICompatibleProvider, OpenAICredentials
from switchboard_openai.config import BaseUrl
from switchboard_openai.limits import read_rate_limits

__all__ = ["GroqProvider", "GroqSettings"]

DEFAULT_BASE_URL = "https://api.groq.com/openai/v1"
_UNSUPPORTED = ("logprobs", "top_logprobs", "logit_bias", "presence_penalty", "metadata")


class GroqSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    """Where the connection sends its calls."""

    base_url: BaseUrl = DEFAULT_BASE_URL


class GroqProvider(OpenAICompatibleProvider):
    """Groq: chat completions (plain and streamed), embeddings, the model list."""

    name: ClassVar[str] = "groq"
    display_name: ClassVar[str] = "Groq"
    settings_type = GroqSettings
    credentials_type = OpenAICredentials
    supports_embeddings = True
    known_models: ClassVar[tuple[str, ...]] = (
        "llama-3.3-70b-versatile",
        "llama-3.1-8b-instant",
        "openai/gpt-oss-120b",
        "openai/gpt-oss-20b",
    )

    def prepare(self, call: ProviderCall) -> dict[str, Any]:
        body = super().prepare(call)
        for field in _UNSUPPORTED:
            if body.pop(field, None) is not None:
                call.drop(field)
        if isinstance(body.get("n"), int) and body["n"] > 1:
            body.pop("n")
            call.drop("n")
        return body

    def read_limits(self, headers: Mapping[str, str]) -> DiscoveredLimits | None:
        return read_rate_limits(headers, requests_period="day", tokens_period="minute")
