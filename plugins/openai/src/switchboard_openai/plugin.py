"""OpenAI: chat completions, embeddings and the model list, with OpenAI's own wire format."""

from __future__ import annotations

from collections.abc import Iterable

from switchboard.context import GatewayContext
from switchboard.hookspecs import hookimpl
from switchboard.interfaces import Provider
from switchboard_openai.provider import OpenAIProvider

__all__ = ["switchboard_register_providers"]


@hookimpl
def switchboard_register_providers(gateway: GatewayContext) -> Iterable[Provider]:
    """Register the OpenAI provider."""
    return [OpenAIProvider()]
