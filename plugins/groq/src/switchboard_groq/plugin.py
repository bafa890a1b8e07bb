"""Groq: OpenAI-compatible chat completions and embeddings at Groq's endpoint."""

from __future__ import annotations

from collections.abc import Iterable

from switchboard.context import GatewayContext
from switchboard.hookspecs import hookimpl
from switchboard.interfaces import Provider
from switchboard_groq.provider import GroqProvider

__all__ = ["switchboard_register_providers"]


@hookimpl
def switchboard_register_providers(gateway: GatewayContext) -> Iterable[Provider]:
    """Register the Groq provider."""
    return [GroqProvider()]
