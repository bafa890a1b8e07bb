"""Helpers of the admin CLI tests: the run result, signing in over HTTP, a dead port."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass

import httpx

__all__ = ["ADMIN_PASSWORD", "Result", "Run", "free_port", "http_login"]

ADMIN_PASSWORD = "admin-pass-1"


@dataclass(frozen=True)
class Result:
    """What one run of the command printed, and its exit status."""

    code: int
    out: str
    err: str


Run = Callable[..., Result]


def http_login(url: str, username: str, password: str) -> httpx.Response:
    """Sign in over HTTP, as the UI does."""
    return httpx.post(f"{url}/api/v1/auth/login", json={"username": username, "password": password})


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
