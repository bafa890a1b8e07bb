"""Logging: one configuration for the whole process, text or JSON, with the request id.

The request id lives in a context variable set by the request-id middleware, so every log
line written while a request is handled carries it, whichever module logs.
"""

from __future__ import annotations

import logging
import sys
import time
from contextvars import ContextVar
from typing import Any, TextIO

import msgspec

from switchboard.settings import Settings

__all__ = ["JsonFormatter", "configure_logging", "current_request_id", "request_id_var"]

request_id_var: ContextVar[str | None] = ContextVar("switchboard_request_id", default=None)

# Attributes every LogRecord has; anything else was passed through ``extra=`` and is output.
_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)


def current_request_id() -> str | None:
    """The id of the request being handled in this task, if any."""
    return request_id_var.get()


class _RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and key != "request_id":
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return msgspec.json.encode(entry, enc_hook=str).decode()


_TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s"


def configure_logging(settings: Settings, stream: TextIO | None = None) -> None:
    """Send the process's logs to ``stream`` (stderr) in the configured format and level.

    Idempotent: calling it again replaces the handler instead of adding one.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(_RequestIdFilter())
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(_TEXT_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_switchboard", False)]:
        root.removeHandler(old)
    handler._switchboard = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    # uvicorn's own handlers would print a second, unformatted copy of each line.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    # Alembic narrates every migration step at INFO; operators need only failures.
    logging.getLogger("alembic").setLevel(logging.WARNING)
