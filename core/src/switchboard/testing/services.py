"""Whether the real services the tests use (PostgreSQL, Redis) answer, and what to do if not.

A service that does not answer makes its tests skip with the reason, unless
``SWITCHBOARD_REQUIRE_SERVICES=1`` (set by ``.ci/run``), which makes them fail instead:
CI must never pass by skipping. A plain socket probe, so session-scoped fixtures need no
event loop.
"""

from __future__ import annotations

import os
import socket

import pytest

__all__ = ["REQUIRE_SERVICES_ENV", "require_reachable", "unreachable_reason"]

REQUIRE_SERVICES_ENV = "SWITCHBOARD_REQUIRE_SERVICES"
_PROBE_TIMEOUT_SECONDS = 2.0


def unreachable_reason(name: str, host: str, port: int, variable: str) -> str | None:
    """Why ``name`` at ``host:port`` cannot be reached, or ``None`` when it accepts TCP."""
    try:
        with socket.create_connection((host, port), timeout=_PROBE_TIMEOUT_SECONDS):
            return None
    except OSError as exc:
        return f"{name} is not reachable at {host}:{port} ({exc}); set {variable} to its URL"


def require_reachable(name: str, host: str, port: int, variable: str) -> None:
    """Skip the test (or fail it, when services are required) unless the service answers.

    Only host and port appear in the message, never a URL's credentials.
    """
    reason = unreachable_reason(name, host, port, variable)
    if reason is None:
        return
    if os.environ.get(REQUIRE_SERVICES_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_SERVICES_ENV}=1)", pytrace=False)
    pytest.skip(reason)
