"""Counts prompt tokens offline with OpenAI's BPE vocabularies (on by default).

Implements ``switchboard_count_tokens`` with ``trylast``, so a deployment's own counter (a
provider's counting endpoint, another tokenizer) answers first. An environment that switches
the plugin off (``plugins: {tokenizer: {enabled: false}}``) gets the core's estimate of four
characters per token. See :mod:`switchboard_tokenizer.counting` for what is counted and how
fast.
"""

from __future__ import annotations

from switchboard.dataplane.openai_types import ChatCompletionRequest
from switchboard.hookspecs import hookimpl
from switchboard_tokenizer.counting import count_prompt

__all__ = ["ENABLED_BY_DEFAULT", "switchboard_count_tokens"]

ENABLED_BY_DEFAULT = True


@hookimpl(trylast=True)
def switchboard_count_tokens(request: ChatCompletionRequest, model: str) -> int:
    """The prompt's tokens on ``model``: its messages, tools and images, as OpenAI bills them."""
    return count_prompt(request, model)
