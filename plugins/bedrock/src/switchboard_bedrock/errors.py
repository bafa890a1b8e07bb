"""Bedrock's failures as the gateway's error classes.

An HTTP error is ``{"message": ...}`` with the exception's name in ``x-amzn-ErrorType``
(botocore's reading: the header, else the body's ``code``/``Code``, else ``__type``; anything
after ``:`` and before ``#`` stripped). Inside a ConverseStream the same exceptions arrive as
event-stream messages with ``:message-type: exception`` and a camelCase ``:exception-type``
(or ``:message-type: error`` with ``:error-code``). The exception's name decides the class;
an unknown name falls back to the HTTP status (``switchboard.upstream.error_class_for``).

| exception                                   | status | class                       |
|---------------------------------------------|--------|-----------------------------|
| ValidationException, ConflictException      | 400    | bad_request                 |
| ServiceQuotaExceededException               | 400    | rate_limit (1)              |
| AccessDeniedException, signature and token  | 403    | auth                        |
| ResourceNotFoundException                   | 404    | not_found                   |
| ModelTimeoutException                       | 408    | timeout                     |
| ModelErrorException, ModelStreamError...    | 424    | server_error                |
| ThrottlingException                         | 429    | rate_limit                  |
| ModelNotReadyException                      | 429    | server_error (2)            |
| InternalServerException                     | 500    | server_error                |
| ServiceUnavailableException                 | 503    | server_error                |

(1) an account quota for this model: another model in the chain may have room.
(2) the model is still loading; not a quota, so it does not count as throttling.
Bedrock sends no ``retry-after``; one added by a proxy is honoured.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from switchboard.interfaces.provider import ErrorClass, ProviderError
from switchboard.upstream import error_class_for, retry_after
from switchboard_bedrock.native import ExceptionEvent

__all__ = [
    "PROVIDER",
    "bad_request",
    "error_type_of",
    "http_error",
    "stream_error",
    "stream_exception",
]

PROVIDER = "bedrock"

_EXCEPTIONS: dict[str, tuple[ErrorClass, int]] = {
    "ValidationException": ("bad_request", 400),
    "ConflictException": ("bad_request", 400),
    "ServiceQuotaExceededException": ("rate_limit", 400),
    "AccessDeniedException": ("auth", 403),
    "UnrecognizedClientException": ("auth", 403),
    "InvalidSignatureException": ("auth", 403),
    "IncompleteSignatureException": ("auth", 403),
    "MissingAuthenticationTokenException": ("auth", 403),
    "ExpiredTokenException": ("auth", 403),
    "ResourceNotFoundException": ("not_found", 404),
    "ModelTimeoutException": ("timeout", 408),
    "ModelErrorException": ("server_error", 424),
    "ModelStreamErrorException": ("server_error", 424),
    "ThrottlingException": ("rate_limit", 429),
    "ModelNotReadyException": ("server_error", 429),
    "InternalServerException": ("server_error", 500),
    "ServiceUnavailableException": ("server_error", 503),
}


class _ErrorBody(msgspec.Struct):
    message: str | None = None
    Message: str | None = None  # some AWS front ends capitalize it
    code: str | None = None
    Code: str | None = None
    type_: str | None = msgspec.field(default=None, name="__type")


def bad_request(message: str, param: str = "messages") -> ProviderError:
    """The caller's request cannot be sent as it is (found before any call to Bedrock)."""
    return ProviderError(
        "bad_request",
        f"{PROVIDER}: {message}",
        status=400,
        error_type="invalid_request_error",
        param=param,
    )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by its lowercase name, whatever the mapping's case handling."""
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _clean(name: str) -> str:
    """``ThrottlingException:http://...`` and ``com.amazon...#ThrottlingException`` → the name."""
    return name.split(":", 1)[0].rsplit("#", 1)[-1].strip()


def error_type_of(headers: Mapping[str, str], raw: bytes) -> tuple[str | None, str]:
    """The exception name and message of an HTTP error answer."""
    body = _ErrorBody()
    try:
        body = msgspec.json.decode(raw, type=_ErrorBody)
    except msgspec.DecodeError:
        message = raw[:500].decode("utf-8", "replace").strip()
    else:
        message = body.message or body.Message or ""
    name = _header(headers, "x-amzn-errortype") or body.code or body.Code or body.type_
    return (_clean(name) or None) if name else None, message


def http_error(status: int, raw: bytes, headers: Mapping[str, str]) -> ProviderError:
    """The :class:`ProviderError` for an HTTP error answer."""
    name, message = error_type_of(headers, raw)
    error_class = _EXCEPTIONS[name][0] if name in _EXCEPTIONS else error_class_for(status)
    return ProviderError(
        error_class,
        f"{PROVIDER} answered {status} {name or 'error'}: {message or '(no message)'}",
        status=status,
        retry_after=retry_after(headers),
        error_type=name,
    )


def stream_exception(exception_type: str, payload: bytes) -> ProviderError:
    """The :class:`ProviderError` for an exception message inside a ConverseStream.

    ``exception_type`` is the ``:exception-type`` header (``throttlingException``); the
    payload is ``{"message": ...}``, for model errors with the model's own status.
    """
    try:
        event = msgspec.json.decode(payload, type=ExceptionEvent)
    except msgspec.DecodeError:
        event = ExceptionEvent(message=payload[:500].decode("utf-8", "replace"))
    message = event.message or event.original_message or ""
    if event.original_status_code is not None:
        message += f" (the model answered {event.original_status_code})"
    return stream_error(exception_type, message)


def stream_error(name: str, message: str) -> ProviderError:
    """The :class:`ProviderError` for a failure named ``name`` after the 200."""
    name = _clean(name)
    name = name[:1].upper() + name[1:]
    error_class, status = _EXCEPTIONS.get(name, ("server_error", 500))
    return ProviderError(
        error_class,
        f"{PROVIDER} failed mid-stream with {name or 'an error'}: {message or '(no message)'}",
        status=status,
        error_type=name or None,
    )
