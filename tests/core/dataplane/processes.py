"""Gateways as real processes (``python -m switchboard serve``), for multi-process tests."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.core.api.client import ADMIN_PASSWORD

__all__ = ["migrated_environment", "wait_until_up"]


def migrated_environment(postgres_url: str, redis_url: str, scratch: Path) -> dict[str, str]:
    """The environment variables of gateway processes sharing ``postgres_url`` (migrated
    here, with ``scratch`` as the migration's data dir) and ``redis_url``; the admin's
    password is the tests' own. The test's own ``SWITCHBOARD_*`` variables are left out."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    environment.update(
        SWITCHBOARD_DATABASE_URL=postgres_url,
        SWITCHBOARD_REDIS_URL=redis_url,
        SWITCHBOARD_ADMIN_PASSWORD=ADMIN_PASSWORD,
        SWITCHBOARD_ENCRYPTION_KEY=base64.b64encode(os.urandom(32)).decode(),
    )
    migrated = subprocess.run(
        [sys.executable, "-m", "switchboard", "migrate"],
        env={**environment, "SWITCHBOARD_DATA_DIR": str(scratch)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert migrated.returncode == 0, migrated.stderr
    return environment


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
