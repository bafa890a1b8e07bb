"""A well-formed plugin module found through a (faked) entry point."""

from __future__ import annotations

import msgspec

from switchboard.dataplane.openai_types import ChatCompletionRequest
from switchboard.hookspecs import hookimpl

ENABLED_BY_DEFAULT = True


class Settings(msgspec.Struct, forbid_unknown_fields=True, rename="camel"):
    """Settings of the good plugin."""

    tokens_per_char: float = 0.25


@hookimpl
def switchboard_count_tokens(request: ChatCompletionRequest, model: str) -> int:
    """Counts one token per message."""
    return len(request.messages)
