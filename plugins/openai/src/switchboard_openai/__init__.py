"""Switchboard's OpenAI provider: the gateway's own wire format, forwarded with care.

Other OpenAI-compatible providers (Groq) build on :class:`OpenAICompatibleProvider`.
"""

from switchboard_openai.config import OpenAICredentials, OpenAISettings
from switchboard_openai.provider import OpenAICompatibleProvider, OpenAIProvider

__all__ = ["OpenAICompatibleProvider", "OpenAICredentials", "OpenAIProvider", "OpenAISettings"]
