"""Reaching the real Redis the tests use (PostgreSQL lives in ``databases``).

A service that does not answer makes its tests skip with the reason, unless
``SWITCHBOARD_REQUIRE_SERVICES=1`` (set by ``.ci/run``), which makes them fail instead:
CI must never pass by skipping.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

__all__ = ["require_service", "service_reachable"]


def service_reachable(url: str, default_port: int, timeout: float = 1.0) -> bool:
    """Whether something accepts TCP connections at ``url``'s host and port."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_service(name: str, url: str, default_port: int, variable: str) -> None:
    """Skip (or, when services are required, fail) unless ``url`` answers."""
    if service_reachable(url, default_port):
        return
    reason = f"{name} not reachable at {urlsplit(url).netloc or url} (set {variable})"
    if os.environ.get("SWITCHBOARD_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason}; SWITCHBOARD_REQUIRE_SERVICES=1 requires it")
    pytest.skip(reason)
