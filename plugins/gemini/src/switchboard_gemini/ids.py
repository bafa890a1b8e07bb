"""Tool-call ids: Gemini's calls carry none (usually) and a ``thoughtSignature`` OpenAI has no
slot for; both travel in the OpenAI tool-call id.

A call gets ``call_<n>`` (``n`` counts the answer's calls, so the id is stable between the
plain and the streamed form of the same answer) unless Gemini named it. Gemini 3 models sign
their function calls and refuse the next request when the signature is not sent back
(400 "Function call is missing a thought_signature"), so a signature rides along in the id,
``call_0_ts_<signature as base64url>``, and is split off again when the client sends the
history back. Ids stay within ``[A-Za-z0-9_-]``, which every provider accepts.
"""

from __future__ import annotations

__all__ = ["join_call_id", "split_call_id"]

_SEPARATOR = "_ts_"
_TO_URLSAFE = str.maketrans("+/", "-_")
_FROM_URLSAFE = str.maketrans("-_", "+/")


def join_call_id(position: int, gemini_id: str | None, signature: str | None) -> str:
    """The OpenAI id of the answer's ``position``-th function call."""
    base = gemini_id or f"call_{position}"
    if not signature:
        return base
    return base + _SEPARATOR + signature.translate(_TO_URLSAFE).rstrip("=")


def split_call_id(call_id: str) -> tuple[str, str | None]:
    """``(id, thought signature)`` of an OpenAI tool-call id made by :func:`join_call_id`
    (any other id comes back whole, without a signature)."""
    base, separator, encoded = call_id.partition(_SEPARATOR)
    if not separator or not base or not encoded:
        return call_id, None
    signature = encoded.translate(_FROM_URLSAFE)
    return base, signature + "=" * (-len(signature) % 4)
