"""A connection's settings and credentials for Anthropic."""

from __future__ import annotations

from typing import Annotated

import msgspec

__all__ = [
    "DEFAULT_API_VERSION",
    "DEFAULT_BASE_URL",
    "AnthropicCredentials",
    "AnthropicSettings",
]

DEFAULT_BASE_URL = "https://api.anthropic.com"
#: The version every SDK major released since 2026-10-21 sends (anthropic-python 2.x).
DEFAULT_API_VERSION = "2026-10-21"

BaseUrl = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^https?://\S+$",
        description="The API's base URL, without /v1 (the calls add /v1/messages).",
    ),
]
ApiVersion = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        description="The anthropic-version header; 2023-06-01 still accepts sampling parameters.",
    ),
]
# One flag per item: the header joins them with commas, so a flag may not contain one.
BetaFlag = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9._-]+$")]
MaxTokens = Annotated[
    int,
    msgspec.Meta(
        ge=1,
        description="max_tokens when the caller sets neither max_completion_tokens nor max_tokens "
        "(Anthropic requires one).",
    ),
]


class AnthropicSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    """Where the connection sends its calls, with which API version and beta features."""

    base_url: BaseUrl = DEFAULT_BASE_URL
    api_version: ApiVersion = DEFAULT_API_VERSION
    beta: list[BetaFlag] = []
    default_max_tokens: MaxTokens = 4096


class AnthropicCredentials(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    """The API key (a secret: write-only, stored encrypted)."""

    api_key: Annotated[str, msgspec.Meta(min_length=1)]

    def __repr__(self) -> str:
        return "AnthropicCredentials(api_key='***')"
