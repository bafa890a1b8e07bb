"""Switchboard's Groq provider: OpenAI's wire format at Groq, with Groq's differences."""

from switchboard_groq.provider import GroqProvider, GroqSettings

__all__ = ["GroqProvider", "GroqSettings"]
