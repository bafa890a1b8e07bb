"""The gateway's error classes and the one JSON error envelope every response uses.

Every error answer is ``{"error": {"message", "type", "param", "code"}}`` (OpenAI's envelope,
used on the control plane too so clients parse one shape), with the request id in the
``x-request-id`` header. No error answer is HTML, and no 500 leaks a traceback.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = [
    "BadRequest",
    "Conflict",
    "ErrorBody",
    "ErrorEnvelope",
    "Forbidden",
    "GatewayError",
    "NotFound",
    "RequestRejected",
    "ServiceUnavailable",
    "Unauthorized",
]


class ErrorBody(msgspec.Struct, kw_only=True):
    """The inside of the envelope: OpenAI's error object."""

    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorEnvelope(msgspec.Struct, kw_only=True):
    """``{"error": {...}}``."""

    error: ErrorBody


class GatewayError(Exception):
    """An error the caller should see as it is: a status, a type and a clear message."""

    status_code: int = 500
    error_type: str = "server_error"

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code
        self.headers = headers or {}

    def envelope(self) -> ErrorEnvelope:
        """This error as the JSON envelope."""
        return ErrorEnvelope(
            error=ErrorBody(
                message=self.message, type=self.error_type, param=self.param, code=self.code
            )
        )


class BadRequest(GatewayError):
    """400: the request is malformed; ``param`` names the field."""

    status_code = 400
    error_type = "invalid_request_error"


class Unauthorized(GatewayError):
    """401: no credentials, or credentials that are invalid, expired or disabled."""

    status_code = 401
    error_type = "authentication_error"


class Forbidden(GatewayError):
    """403: authenticated, but not allowed; the message names the action and resource."""

    status_code = 403
    error_type = "permission_error"


class NotFound(GatewayError):
    """404: the named object does not exist (or the caller may not know it does)."""

    status_code = 404
    error_type = "not_found_error"


class Conflict(GatewayError):
    """409: the change conflicts with what exists (a name already taken)."""

    status_code = 409
    error_type = "conflict_error"


class ServiceUnavailable(GatewayError):
    """503: a dependency the request needs is down; the message says which."""

    status_code = 503
    error_type = "service_unavailable"


class RequestRejected(GatewayError):
    """Raised by a plugin hook to refuse a request with a status of its choosing."""

    error_type = "request_rejected"

    def __init__(self, message: str, *, status_code: int = 400, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.status_code = status_code
