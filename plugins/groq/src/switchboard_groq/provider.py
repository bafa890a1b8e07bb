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

from switchboard.dataplane.openai_types import ChatCompletionRequest
from switchboard.interfaces.provider import DiscoveredLimits, ProviderCall
from switchboard.pricing import PriceTable, load_price_table
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
    # List prices per model (USD per million tokens), read once at import; a
    # connection's ``pricing`` overrides them.
    prices: ClassVar[PriceTable] = load_price_table("switchboard_groq")

    def prepare(self, call: ProviderCall, *, stream: bool) -> ChatCompletionRequest:
        request = super().prepare(call, stream=stream)
        refused: dict[str, Any] = {
            field: msgspec.UNSET
            for field in _UNSUPPORTED
            if getattr(request, field) not in (None, msgspec.UNSET)
        }
        if isinstance(request.n, int) and request.n > 1:
            refused["n"] = msgspec.UNSET
        if not refused:
            return request
        call.drop(*refused)
        return msgspec.structs.replace(request, **refused)

    def read_limits(self, headers: Mapping[str, str]) -> DiscoveredLimits | None:
        return read_rate_limits(headers, requests_period="day", tokens_period="minute")
