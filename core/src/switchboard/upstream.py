"""What every HTTP provider plugin needs to talk to its upstream the same way.

- :func:`error_class_for` and :func:`retry_after`: an HTTP failure as the gateway's class.
- :func:`translated_errors`: turns the HTTP client's and asyncio's exceptions into
  :class:`ProviderError` (timeouts and network failures), so fallback works the same for all.
- :func:`sse_events`: server-sent events from a streamed response.
- :func:`parse_duration`: ``"6m0s"``-style durations from rate-limit headers.

The shared client is :class:`switchboard.http_client.HttpClient` (one per process,
:attr:`GatewayContext.http`): measured here, aiohttp's client took a third of the event
loop's time and httpx's pool collapses under concurrency (see the README).
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import msgspec

from switchboard.http_client import ConnectFailed, Disconnected, HttpClientError
from switchboard.interfaces.provider import ErrorClass, ProviderError

if TYPE_CHECKING:
    from switchboard.http_client import Response

__all__ = [
    "SSEEvent",
    "error_class_for",
    "parse_duration",
    "response_lines",
    "retry_after",
    "sse_events",
    "translated_errors",
]


def error_class_for(status: int) -> ErrorClass:
    """The gateway's class for an HTTP error status from a provider."""
    if status in (401, 403):
        return "auth"
    if status == 404:
        return "not_found"
    if status == 408:
        return "timeout"
    if status == 429:
        return "rate_limit"
    if status >= 500 or status in (498, 499, 529):
        return "server_error"
    return "bad_request"


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait, from ``retry-after-ms``, or ``retry-after`` (seconds or HTTP date)."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return float(milliseconds) / 1000.0
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_DURATION_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(value: str | None) -> float | None:
    """``"1s"``, ``"6m0s"``, ``"20ms"``, ``"1h2m3.5s"`` in seconds; ``None`` if unreadable."""
    if not value:
        return None
    parts = _DURATION_PART.findall(value.strip())
    if not parts or "".join(n + u for n, u in parts) != value.strip():
        try:
            return float(value)
        except ValueError:
            return None
    return sum(float(number) * _DURATION_UNITS[unit] for number, unit in parts)


@contextmanager
def translated_errors(provider: str) -> Iterator[None]:
    """Turn transport failures into :class:`ProviderError` ``timeout`` or ``network``.

    The messages name the provider and the failure, never a URL with credentials.
    """
    try:
        yield
    except ProviderError:
        raise
    except TimeoutError as exc:
        raise ProviderError("timeout", f"{provider} did not answer in time ({exc})") from None
    except ConnectFailed as exc:
        # The reason only: the upstream's address is internal and reaches API callers.
        errno = exc.os_error.errno
        reason = os.strerror(errno) if errno else type(exc.os_error).__name__
        raise ProviderError("network", f"cannot connect to {provider}: {reason}") from None
    except Disconnected:
        raise ProviderError("network", f"{provider} closed the connection mid-answer") from None
    except HttpClientError as exc:
        raise ProviderError("network", f"{provider} request failed: {exc}") from None


class SSEEvent(msgspec.Struct, frozen=True):
    """One server-sent event: its ``event`` name (``message`` when unnamed) and ``data``."""

    event: str
    data: str


async def response_lines(response: Response) -> AsyncIterator[str]:
    """The lines of a streamed body, without their line ends, however long they are.

    Decodes leniently, so one invalid byte from a provider becomes U+FFFD for the JSON
    decoder to judge instead of escaping as an error.
    """
    pending = bytearray()
    async for block in response.content.iter_any():
        pending += block
        while (end := pending.find(b"\n")) >= 0:
            yield pending[:end].decode("utf-8", "replace").rstrip("\r")
            del pending[: end + 1]
    if pending:
        yield pending.decode("utf-8", "replace").rstrip("\r")


async def sse_events(response: Response) -> AsyncIterator[SSEEvent]:
    """The events of a ``text/event-stream`` body, as the HTML spec frames them."""
    event, data = "", list[str]()
    async for line in response_lines(response):
        if not line:
            if data:
                yield SSEEvent(event or "message", "\n".join(data))
            event, data = "", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
    if data:
        yield SSEEvent(event or "message", "\n".join(data))
