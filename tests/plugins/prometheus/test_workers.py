"""Totals across worker processes: a real ``switchboard serve --workers 2``.

A scrape reaches one worker, whichever the kernel hands the connection to; every scrape must
show the requests of both. Counts survive a worker that is killed (its replacement adds to
them) and do not survive into the next run of the server.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from switchboard.testing.fakes.openai import OpenAIFake
from switchboard_prometheus.aggregates import Aggregates
from switchboard_prometheus.sharing import ROOT_FOLDER, RunIdentity
from tests.core.api.client import ADMIN_PASSWORD, Transcript, expect, login
from tests.core.dataplane.conftest import ENV, UPSTREAM_KEY, closed_port
from tests.core.dataplane.processes import migrated_environment, wait_until_up
from tests.plugins.prometheus.support import scrape

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

REQUESTS = 200
MAX_BURSTS = 20
SCRAPES = 40
CONVERGE_SECONDS = 15.0
TOTAL = "switchboard_requests_total"


@dataclass
class Server:
    """A ``switchboard serve --workers 2`` process and where it keeps its data."""

    environment: dict[str, str]
    data_dir: Path
    process: subprocess.Popen[str] | None = None
    url: str = ""

    def start(self) -> None:
        port = closed_port()
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "switchboard", "serve", "--workers", "2", "--port", str(port)],
            env={**self.environment, "SWITCHBOARD_DATA_DIR": str(self.data_dir)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_until_up(self.url, self.process)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    @property
    def run_folders(self) -> list[Path]:
        return sorted((self.data_dir / ROOT_FOLDER).glob("run-*"))

    def worker_files(self) -> dict[int, Path]:
        """This run's worker files by worker pid."""
        assert self.process is not None
        folder = self.data_dir / ROOT_FOLDER / RunIdentity.of(self.process.pid).folder_name
        return {int(p.name.split("-")[1]): p for p in folder.glob("worker-*.msgpack")}


@pytest.fixture
def server(postgres_url: str, redis_url: str, tmp_path: Path) -> Iterator[Server]:
    """A two-worker server on a migrated PostgreSQL database and Redis (not started)."""
    environment = migrated_environment(postgres_url, redis_url, tmp_path / "migrate")
    running = Server(environment, tmp_path / "data")
    try:
        yield running
    finally:
        running.stop()


def configure(url: str, fake: OpenAIFake) -> str:
    """A workspace, environment, connection to ``fake``, the resource ``chat``; a key."""
    admin = login(url, Transcript(), "admin", ADMIN_PASSWORD).as_token()
    expect(admin.post("/api/v1/workspaces", {"name": "acme"}), 201)
    expect(admin.post("/api/v1/workspaces/acme/environments", {"name": "prod"}), 201)
    connection = {
        "name": "main",
        "provider": "openai",
        "settings": {"baseUrl": fake.url + "/v1"},
        "credentials": {"apiKey": UPSTREAM_KEY},
    }
    expect(admin.post(f"{ENV}/connections", connection), 201)
    model = {"provider": "openai", "model": "gpt-4o-mini", "connection": "main"}
    expect(admin.post(f"{ENV}/resources", {"name": "chat", "model": model}), 201)
    body = {"name": "load", "resources": ["chat"]}
    key: str = expect(admin.post(f"{ENV}/api-keys", body), 201)["key"]
    return key


async def _burst(url: str, key: str, count: int) -> list[int]:
    """``count`` concurrent requests, each on its own connection (so both workers serve)."""
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=60.0, limits=limits) as client:
        answers = await asyncio.gather(
            *(
                client.post(
                    f"{url}/v1/chat/completions",
                    headers={"authorization": f"Bearer {key}"},
                    json={"model": "chat", "messages": [{"role": "user", "content": "Hi"}]},
                )
                for _ in range(count)
            )
        )
    return [a.status_code for a in answers]


def converge(url: str, expected: int) -> None:
    """Wait until a scrape shows ``expected`` requests (workers publish every second).

    Never more: a scrape above the number sent would count something twice.
    """
    deadline = time.monotonic() + CONVERGE_SECONDS
    while True:
        seen = scrape(url).value(TOTAL)
        assert seen <= expected
        if seen == expected:
            return
        assert time.monotonic() < deadline, f"scrapes show {seen} of {expected} requests"
        time.sleep(0.1)


def every_scrape_shows(url: str, expected: int) -> None:
    """``SCRAPES`` scrapes, each on a new connection (any worker): all exactly ``expected``."""
    seen = [scrape(url).value(TOTAL) for _ in range(SCRAPES)]
    assert seen == [expected] * SCRAPES


def counted_by_worker(server: Server) -> dict[int, float]:
    """The requests each worker's file holds, by worker pid."""
    return {
        pid: sum(Aggregates.decode(path.read_bytes()).counters["requests_total"].values())
        for pid, path in server.worker_files().items()
    }


def load_both_workers(server: Server, key: str) -> int:
    """Bursts until both workers have served some (the second may still be starting when
    the first answers ``/readyz``); the number of requests sent."""
    sent = 0
    for _ in range(MAX_BURSTS):
        assert asyncio.run(_burst(server.url, key, REQUESTS)) == [200] * REQUESTS
        sent += REQUESTS
        # Once a scrape shows every request, every worker's file holds its share.
        converge(server.url, sent)
        counted = counted_by_worker(server)
        if len(counted) == 2 and all(counted.values()):
            assert sum(counted.values()) == sent
            return sent
        time.sleep(0.5)
    raise AssertionError(f"one worker served every request: {counted}")


def test_every_scrape_shows_both_workers(server: Server) -> None:
    with OpenAIFake(api_key=UPSTREAM_KEY) as fake:
        server.start()
        key = configure(server.url, fake)
        # Both workers serve part of the load: otherwise the scrapes would prove nothing.
        sent = load_both_workers(server, key)
        every_scrape_shows(server.url, sent)

        # A worker killed outright keeps what it counted; its replacement adds to it.
        killed = next(iter(counted_by_worker(server)))
        os.kill(killed, signal.SIGKILL)
        every_scrape_shows(server.url, sent)
        assert asyncio.run(_burst(server.url, key, REQUESTS)) == [200] * REQUESTS
        converge(server.url, sent + REQUESTS)
        every_scrape_shows(server.url, sent + REQUESTS)
        assert killed in server.worker_files()

        # The next run of the server starts from zero, and the last run's folder is gone.
        server.stop()
        server.start()
        every_scrape_shows(server.url, 0)
        assert asyncio.run(_burst(server.url, key, 10)) == [200] * 10
        converge(server.url, 10)
        assert len(server.run_folders) == 1
