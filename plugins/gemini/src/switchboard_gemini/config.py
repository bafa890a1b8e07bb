"""A connection's settings and credentials for Gemini (the Generative Language API)."""

from __future__ import annotations

from typing import Annotated

import msgspec

__all__ = ["DEFAULT_BASE_URL", "GeminiCredentials", "GeminiSettings"]

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/v1beta"

BaseUrl = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^https?://\S+$",
        description="The API's base URL, up to the version (/v1beta).",
    ),
]


class GeminiSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    """Where the connection sends its calls."""

    base_url: BaseUrl = DEFAULT_BASE_URL


class GeminiCredentials(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    """The Gemini API key (a secret: write-only, stored encrypted)."""

    api_key: Annotated[str, msgspec.Meta(min_length=1)]

    def __repr__(self) -> str:
        return "GeminiCredentials(api_key='***')"
