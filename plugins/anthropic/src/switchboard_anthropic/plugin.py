"""Anthropic: the Messages API behind the gateway's OpenAI-shaped chat completions."""

from __future__ import annotations

from collections.abc import Iterable

from switchboard.context import GatewayContext
from switchboard.hookspecs import hookimpl
from switchboard.interfaces import Provider
from switchboard_anthropic.provider import AnthropicProvider

__all__ = ["switchboard_register_providers"]


@hookimpl
def switchboard_register_providers(gateway: GatewayContext) -> Iterable[Provider]:
    """Register the Anthropic provider."""
    return [AnthropicProvider()]
