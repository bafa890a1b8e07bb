"""Gateways as real processes (``python -m switchboard serve``), for multi-process tests."""

from __future__ import annotations

import subprocess
import time

import httpx

__all__ = ["wait_until_up"]


def wait_until_up(url: str, process: subprocess.Popen[str], within: float = 60.0) -> None:
    """Wait for ``/readyz`` to answer 200; fail with the process's errors if it exits."""
    deadline = time.monotonic() + within
    while True:
        if process.poll() is not None:
            stderr = process.stderr.read() if process.stderr else ""
            raise AssertionError(f"serve exited: {stderr}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"the gateway did not become ready in {within:.0f} s")
        time.sleep(0.05)
