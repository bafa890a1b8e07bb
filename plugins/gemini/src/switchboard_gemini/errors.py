"""Gemini's failures as the gateway's error classes.

Google's error body is ``{"error": {"code", "message", "status", "details"}}`` — as an HTTP
error answer, and as a raw object in the middle of a stream. The class comes from the HTTP
status (:func:`switchboard.upstream.error_class_for`), with two corrections for how Gemini
uses its statuses:

============================================  ==============  ================================
Gemini says                                   gateway class   why
============================================  ==============  ================================
400 with ``ErrorInfo.reason`` ``API_KEY_*``   ``auth``        a bad key is a 400 here, not 401
``RESOURCE_EXHAUSTED`` (429; 402 when the     ``rate_limit``  out of quota or credit: another
prepaid credit is used up)                                    model may still answer
anything else                                 by HTTP status  ``error_class_for``
============================================  ==============  ================================

``RetryInfo.retryDelay`` (``"38s"``) in ``details`` becomes ``retry_after``; Gemini sends no
``retry-after`` header, but one is honoured if present.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from typing import Any

import msgspec

from switchboard.interfaces.provider import ErrorClass, ProviderError
from switchboard.upstream import error_class_for, parse_duration, retry_after
from switchboard_gemini.native import ErrorEnvelope, GoogleError

__all__ = [
    "PROVIDER",
    "error_from_body",
    "error_from_response",
    "error_in_payload",
    "malformed",
    "scrub",
]

PROVIDER = "gemini"

_RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
_ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"


def scrub(text: str, secret: str | None) -> str:
    """``text`` with ``secret`` masked, should the upstream ever echo it back."""
    return text.replace(secret, "***") if secret else text


def malformed(what: str, detail: object = None) -> ProviderError:
    """A 200 whose body is not what Gemini promises: a server error (the gateway falls back)."""
    suffix = f": {detail}" if detail else ""
    return ProviderError("server_error", f"{PROVIDER} sent {what}{suffix}", status=200)


def _reason(error: GoogleError) -> str | None:
    for detail in error.details:
        if detail.get("@type") == _ERROR_INFO and isinstance(detail.get("reason"), str):
            return str(detail["reason"])
    return None


def _retry_delay(error: GoogleError) -> float | None:
    for detail in error.details:
        if detail.get("@type") == _RETRY_INFO:
            delay = detail.get("retryDelay")
            return parse_duration(delay) if isinstance(delay, str) else None
    return None


def _error_class(status: int, error: GoogleError, reason: str | None) -> ErrorClass:
    if reason is not None and reason.startswith("API_KEY_"):
        return "auth"
    if error.status == "RESOURCE_EXHAUSTED":
        return "rate_limit"
    return error_class_for(status)


def error_from_body(
    status: int | None,
    error: GoogleError,
    *,
    headers: Mapping[str, str] | None = None,
    secret: str | None = None,
    mid_stream: bool = False,
) -> ProviderError:
    """The :class:`ProviderError` for Google's error object; ``status`` is the HTTP status
    (``None`` mid-stream, where the object's own ``code`` says it)."""
    code = status if status is not None else (error.code or 500)
    reason = _reason(error)
    where = "failed mid-stream" if mid_stream else f"answered {code}"
    message = scrub(error.message or error.status or "no message", secret)
    wait = _retry_delay(error)
    if wait is None and headers is not None:
        wait = retry_after(headers)
    return ProviderError(
        _error_class(code, error, reason),
        f"{PROVIDER} {where}: {message}",
        status=code,
        retry_after=wait,
        error_type=error.status,
        code=reason,
    )


def error_from_response(
    status: int, raw: bytes, headers: Mapping[str, str], *, secret: str | None = None
) -> ProviderError:
    """The :class:`ProviderError` for an HTTP error answer, whatever its body."""
    error: GoogleError | None = None
    with suppress(msgspec.DecodeError):
        error = msgspec.json.decode(raw, type=ErrorEnvelope).error
    if error is None:
        # Not Google's envelope (a proxy's HTML page, say): keep the start of the body.
        error = GoogleError(message=raw[:500].decode("utf-8", "replace").strip())
    return error_from_body(status, error, headers=headers, secret=secret)


def error_in_payload(payload: Any) -> GoogleError | None:
    """The error object of a decoded stream payload, if it is one."""
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        try:
            return msgspec.convert(payload["error"], GoogleError)
        except msgspec.ValidationError:
            return GoogleError(message=str(payload["error"])[:500])
    return None
