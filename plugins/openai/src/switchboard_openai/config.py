"""A connection's settings and credentials for OpenAI."""

from __future__ import annotations

from typing import Annotated

import msgspec

__all__ = ["OpenAICredentials", "OpenAISettings"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"

BaseUrl = Annotated[
    str,
    msgspec.Meta(pattern=r"^https?://\S+$", description="The API's base URL, up to /v1."),
]


class OpenAISettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    """Where the connection sends its calls, and which organization and project pay."""

    base_url: BaseUrl = DEFAULT_BASE_URL
    organization: str | None = None
    project: str | None = None


class OpenAICredentials(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    """The API key (a secret: write-only, stored encrypted)."""

    api_key: Annotated[str, msgspec.Meta(min_length=1)]

    def __repr__(self) -> str:
        return "OpenAICredentials(api_key='***')"
