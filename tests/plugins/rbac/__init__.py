"""Tests of the rbac plugin, and the hypothesis strategies its test modules share."""

from __future__ import annotations

from hypothesis import strategies as st

__all__ = [
    "KINDS",
    "any_text",
    "names",
    "resources",
    "with_question_mark",
    "with_star_inserted",
]

KINDS = ("workspace", "environment", "ai-resource", "ai-connection", "api-key", "user", "role")

# Object names as the API admits them: no ':', '*', '?', '/' or control characters, but
# regex metacharacters, quotes, unicode and spaces are all fair game.
_NAME_CHARACTERS = st.one_of(
    st.sampled_from(list("ab.+()[]{}|\\^$-_'\"; é名🚀")),
    st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters=":*?/"),
)
names = st.text(alphabet=_NAME_CHARACTERS, min_size=1, max_size=12)

# Anything at all, wildcards and separators included.
any_text = st.text(max_size=40)


def resources(max_pairs: int = 4) -> st.SearchStrategy[str]:
    """Well-formed hierarchical names: 1 to ``max_pairs`` ``kind:name`` pairs."""
    pair = st.tuples(st.sampled_from(KINDS), names).map(":".join)
    return st.lists(pair, min_size=1, max_size=max_pairs).map(":".join)


def with_question_mark(text: str) -> st.SearchStrategy[str]:
    """``text`` with one of its characters replaced by ``?``."""
    return st.integers(0, len(text) - 1).map(lambda i: text[:i] + "?" + text[i + 1 :])


def with_star_inserted(text: str) -> st.SearchStrategy[str]:
    """``text`` with ``*`` inserted at any position, ends included."""
    return st.integers(0, len(text)).map(lambda i: text[:i] + "*" + text[i:])
