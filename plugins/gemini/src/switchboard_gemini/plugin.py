"""Google Gemini: chat completions and embeddings on the Generative Language API."""

from __future__ import annotations

from collections.abc import Iterable

from switchboard.context import GatewayContext
from switchboard.hookspecs import hookimpl
from switchboard.interfaces import Provider
from switchboard_gemini.provider import GeminiProvider

__all__ = ["switchboard_register_providers"]


@hookimpl
def switchboard_register_providers(gateway: GatewayContext) -> Iterable[Provider]:
    """Register the Gemini provider."""
    return [GeminiProvider()]
