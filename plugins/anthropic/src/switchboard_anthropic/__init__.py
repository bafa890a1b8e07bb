"""Switchboard's Anthropic provider: OpenAI-shaped calls translated to the Messages API."""

from switchboard_anthropic.config import AnthropicCredentials, AnthropicSettings
from switchboard_anthropic.provider import AnthropicProvider

__all__ = ["AnthropicCredentials", "AnthropicProvider", "AnthropicSettings"]
