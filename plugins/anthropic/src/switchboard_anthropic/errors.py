"""Anthropic's failures as :class:`ProviderError`.

Errors come as ``{"type": "error", "error": {"type", "message"}, "request_id"}``, in an
HTTP error body or, after a 200, as a stream's ``error`` event. An HTTP error is classed by
its status (:func:`switchboard.upstream.error_class_for`: 529 ``overloaded_error`` is a
``server_error``); a stream error by the status its ``error.type`` stands for.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from switchboard.interfaces.provider import ProviderError
from switchboard.upstream import error_class_for, retry_after
from switchboard_anthropic.wire import ErrorEnvelope, ErrorObject

__all__ = ["STATUS_OF_ERROR_TYPE", "http_error", "stream_error"]

#: The HTTP status Anthropic answers with each ``error.type`` (its "Errors" page).
STATUS_OF_ERROR_TYPE: dict[str, int] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "conflict_error": 409,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


def _decode(raw: bytes | str) -> ErrorObject | None:
    try:
        return msgspec.json.decode(raw, type=ErrorEnvelope).error
    except msgspec.DecodeError:
        return None


def _scrubbed(text: str, secret: str | None) -> str:
    # Anthropic does not echo keys, but a proxy in between might: never pass one on.
    return text.replace(secret, "***") if secret else text


def _code(error: ErrorObject) -> str | None:
    code = (error.details or {}).get("error_code")
    return code if isinstance(code, str) else None


def http_error(
    status: int, raw: bytes, headers: Mapping[str, str], *, secret: str | None = None
) -> ProviderError:
    """The failure an HTTP error answer stands for."""
    error = _decode(raw)
    if error is None:
        error = ErrorObject(message=raw[:500].decode("utf-8", "replace"))
    return ProviderError(
        error_class_for(status),
        _scrubbed(f"anthropic answered {status}: {error.message}", secret),
        status=status,
        retry_after=retry_after(headers),
        error_type=error.type,
        code=_code(error),
    )


def stream_error(data: str, *, secret: str | None = None) -> ProviderError:
    """The failure an ``error`` event of a stream stands for (unknown types: server errors)."""
    error = _decode(data) or ErrorObject(message=data[:500])
    status = STATUS_OF_ERROR_TYPE.get(error.type or "", 500)
    return ProviderError(
        error_class_for(status),
        _scrubbed(f"anthropic failed mid-stream ({error.type}): {error.message}", secret),
        status=status,
        error_type=error.type,
        code=_code(error),
    )
