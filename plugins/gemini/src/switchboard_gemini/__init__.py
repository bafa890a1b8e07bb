"""Switchboard's Gemini provider: OpenAI-shaped calls translated to Google's Generative
Language API (``generateContent``, ``streamGenerateContent``, ``batchEmbedContents``) and back."""

from switchboard_gemini.config import GeminiCredentials, GeminiSettings
from switchboard_gemini.provider import GeminiProvider

__all__ = ["GeminiCredentials", "GeminiProvider", "GeminiSettings"]
