"""Exception handlers: every error becomes the JSON envelope, never HTML, never a traceback."""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from switchboard.errors import ErrorBody, ErrorEnvelope, GatewayError
from switchboard.interfaces.secrets import SecretBoxError
from switchboard.logs import current_request_id
from switchboard.naming import PATTERN_MEANINGS

__all__ = ["EXCEPTION_HANDLERS", "error_response"]

log = logging.getLogger(__name__)

_TYPES_BY_STATUS = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    409: "conflict_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    429: "rate_limit_error",
    503: "service_unavailable",
}


def error_response(
    status: int,
    message: str,
    *,
    error_type: str | None = None,
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response[ErrorEnvelope]:
    """A JSON error response in the one envelope the gateway uses."""
    body = ErrorEnvelope(
        error=ErrorBody(
            message=message,
            type=error_type or _TYPES_BY_STATUS.get(status, "server_error"),
            param=param,
            code=code,
        )
    )
    return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers)


def _gateway_error(_: Request[Any, Any, Any], exc: GatewayError) -> Response[ErrorEnvelope]:
    return error_response(
        exc.status_code,
        exc.message,
        error_type=exc.error_type,
        param=exc.param,
        code=exc.code,
        headers=exc.headers,
    )


def _validation_error(
    _: Request[Any, Any, Any], exc: ValidationException
) -> Response[ErrorEnvelope]:
    problems = exc.extra if isinstance(exc.extra, list) else []
    first = problems[0] if problems and isinstance(problems[0], dict) else {}
    param = first.get("key") or None
    message = _explain_pattern(str(first.get("message") or exc.detail))
    if param == "data":
        # A body-level problem (a missing or unknown field) is reported on the whole body;
        # the field it concerns is named inside msgspec's message.
        named = _BODY_FIELD.search(message)
        param = named.group(1) if named else None
        message = message.removeprefix("data: ")
    if param and param not in message:
        message = f"{param}: {message}"
    return error_response(400, message, param=param)


_BODY_FIELD = re.compile(r"(?:missing required|contains unknown) field `([^`]+)`")


def _explain_pattern(message: str) -> str:
    """Replace msgspec's quoted regex with what the pattern means."""
    if "matching regex" not in message:
        return message
    for pattern, meaning in PATTERN_MEANINGS.items():
        if repr(pattern) in message:
            return message.split("Expected", 1)[0] + meaning
    return message


def _http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[ErrorEnvelope]:
    headers = dict(exc.headers or {})
    return error_response(exc.status_code, str(exc.detail), headers=headers or None)


def _secret_box_error(_: Request[Any, Any, Any], exc: SecretBoxError) -> Response[ErrorEnvelope]:
    # Credentials that no longer open are the operator's to fix (a lost or rotated key);
    # the box's messages name the key id and the connection, never a secret.
    log.error("stored credentials did not open: %s", exc)
    return error_response(503, f"stored credentials cannot be opened: {exc}")


def _unexpected_error(_: Request[Any, Any, Any], exc: Exception) -> Response[ErrorEnvelope]:
    log.error("unhandled error", exc_info=exc)
    return error_response(
        HTTP_500_INTERNAL_SERVER_ERROR,
        f"internal error; quote request id {current_request_id() or '-'} to your operator",
    )


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    GatewayError: _gateway_error,
    ValidationException: _validation_error,
    HTTPException: _http_error,
    SecretBoxError: _secret_box_error,
    Exception: _unexpected_error,
}
