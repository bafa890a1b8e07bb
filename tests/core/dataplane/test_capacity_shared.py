"""Limits hold exactly across processes: two ``switchboard serve`` processes share one
PostgreSQL database and one Redis, the environment uses the ``redis-limiter``, and 300
concurrent requests (150 to each process) meet a connection allowing 100 a minute.

Exactly 100 reach that connection; with a fallback the other 200 are answered by the backup
connection, without one they get 429s that name the limit.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from switchboard.testing.fakes.openai import OpenAIFake
from tests.core.api.client import ADMIN_PASSWORD, Transcript, expect, login
from tests.core.dataplane.conftest import ENV, UPSTREAM_KEY, closed_port
from tests.core.dataplane.processes import migrated_environment, wait_until_up

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

REQUESTS = 300
LIMIT = 100


@pytest.fixture
def two_gateways(postgres_url: str, redis_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two gateway processes on one migrated database and one Redis."""
    env = migrated_environment(postgres_url, redis_url, tmp_path / "migrate")
    processes: list[subprocess.Popen[str]] = []
    urls: list[str] = []
    try:
        for index in range(2):
            port = closed_port()
            process = subprocess.Popen(
                [sys.executable, "-m", "switchboard", "serve", "--port", str(port)],
                env={**env, "SWITCHBOARD_DATA_DIR": str(tmp_path / f"data-{index}")},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            processes.append(process)
            urls.append(f"http://127.0.0.1:{port}")
            wait_until_up(urls[-1], process)
        yield urls[0], urls[1]
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


async def _burst(urls: tuple[str, str], key: str, resource: str) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=REQUESTS)
    async with httpx.AsyncClient(timeout=60.0, limits=limits) as client:
        return await asyncio.gather(
            *(
                client.post(
                    urls[i % 2] + "/v1/chat/completions",
                    headers={"authorization": f"Bearer {key}"},
                    json={"model": resource, "messages": [{"role": "user", "content": "Hi"}]},
                )
                for i in range(REQUESTS)
            )
        )


def test_two_processes_let_exactly_the_limit_through(two_gateways: tuple[str, str]) -> None:
    first, _ = two_gateways
    admin = login(first, Transcript(), "admin", ADMIN_PASSWORD).as_token()
    expect(admin.post("/api/v1/workspaces", {"name": "acme"}), 201)
    expect(
        admin.post(
            "/api/v1/workspaces/acme/environments",
            {
                "name": "prod",
                "plugins": {"redis-limiter": {"settings": {"keyPrefix": f"t{uuid.uuid4().hex}"}}},
            },
        ),
        201,
    )
    limited = [{"period": "minute", "requests": LIMIT}]
    with (
        OpenAIFake(api_key=UPSTREAM_KEY) as main,
        OpenAIFake(api_key=UPSTREAM_KEY) as backup,
        OpenAIFake(api_key=UPSTREAM_KEY) as solo,
    ):
        for name, fake, capacity in (
            ("main", main, limited),
            ("backup", backup, []),
            ("solo", solo, limited),
        ):
            body = {
                "name": name,
                "provider": "openai",
                "settings": {"baseUrl": fake.url + "/v1"},
                "credentials": {"apiKey": UPSTREAM_KEY},
                "capacity": capacity,
            }
            expect(admin.post(f"{ENV}/connections", body), 201)
        on_main = {"provider": "openai", "model": "gpt-4o-mini", "connection": "main"}
        on_backup = {**on_main, "connection": "backup"}
        expect(
            admin.post(
                f"{ENV}/resources",
                {
                    "name": "spill",
                    "model": on_main,
                    "useFallback": True,
                    "fallbackModels": [on_backup],
                },
            ),
            201,
        )
        on_solo = {**on_main, "connection": "solo"}
        expect(admin.post(f"{ENV}/resources", {"name": "strict", "model": on_solo}), 201)
        key = expect(
            admin.post(f"{ENV}/api-keys", {"name": "load", "resources": ["spill", "strict"]}),
            201,
        )["key"]

        answers = asyncio.run(_burst(two_gateways, key, "spill"))
        assert [a.status_code for a in answers].count(200) == REQUESTS
        assert len(main.requests) == LIMIT
        assert len(backup.requests) == REQUESTS - LIMIT
        served_by = [a.headers["x-switchboard-connection"] for a in answers]
        assert served_by.count("main") == LIMIT

        # Without a fallback the rest are refused, by both processes alike.
        answers = asyncio.run(_burst(two_gateways, key, "strict"))
        statuses = [a.status_code for a in answers]
        assert (statuses.count(200), statuses.count(429)) == (LIMIT, REQUESTS - LIMIT)
        assert len(solo.requests) == LIMIT
        refused = [a for a in answers if a.status_code == 429]
        assert {a.request.url.port for a in refused} == {httpx.URL(u).port for u in two_gateways}
        message = refused[0].json()["error"]["message"]
        assert "connection 'solo' allows 100 requests per minute" in message
