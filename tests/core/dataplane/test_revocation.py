"""A revoked or disabled key is refused within a second by every worker, not only by the one
that handled the revocation: ``switchboard serve --workers 2`` as a real subprocess, with
Redis (the invalidation is published: at once) and without (each worker's cache lives one
second).

Which worker answered is visible through routing: each worker keeps its own error rates,
and the resource ``probe`` routes on them. Its primary model failed once on one worker only,
so that worker answers through ``conditions[0]`` and the other through ``primary``: seeing
both routes proves both workers serve (and have cached) the key before it is revoked.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from switchboard.testing.fakes.openai import OpenAIFake
from switchboard.testing.openai_schema import validate
from switchboard.testing.services import require_reachable, unreachable_reason
from tests.core.api.client import ADMIN_PASSWORD, Api, Transcript, expect, login
from tests.core.dataplane.conftest import ENV, UPSTREAM_KEY, closed_port
from tests.core.dataplane.processes import wait_until_up

WITHIN_SECONDS = 1.0
Running = tuple[str, "subprocess.Popen[str]"]  # a gateway's URL and its process
PROBE_ROUTING = {
    "conditions": [
        {
            "description": "This worker saw gpt-4o fail",
            "if": [{"field": "errorRate", "operator": "greaterThan", "value": 0, "window": 10}],
            "then": {"provider": "openai", "model": "gpt-4o-mini", "connection": "main"},
        }
    ]
}


@dataclass
class Served:
    """A two-worker gateway, an admin client, and the fake behind its one connection."""

    url: str
    admin: Api
    fake: OpenAIFake
    redis: bool
    # A new connection per request, so the kernel spreads them over both workers.
    http: httpx.Client

    def ask(self, key: str) -> httpx.Response:
        return self.http.post(
            self.url + "/v1/chat/completions",
            headers={"authorization": f"Bearer {key}"},
            json={"model": "probe", "messages": [{"role": "user", "content": "Hi"}]},
        )

    def new_key(self, name: str) -> str:
        created = expect(
            self.admin.post(f"{ENV}/api-keys", {"name": name, "resources": ["probe"]}), 201
        )
        secret: str = created["key"]
        return secret


def _environment(data_dir: Path, redis_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    env["SWITCHBOARD_DATA_DIR"] = str(data_dir)
    env["SWITCHBOARD_ADMIN_PASSWORD"] = ADMIN_PASSWORD
    if redis_url:
        env["SWITCHBOARD_REDIS_URL"] = redis_url
    return env


def _redis_url() -> str:
    return os.environ.get("SWITCHBOARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_host_port() -> tuple[str, int]:
    parts = urlsplit(_redis_url())
    return parts.hostname or "127.0.0.1", parts.port or 6379


@pytest.fixture(scope="module")
def gateways(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Running]]:
    """Both gateways (with Redis when it answers, and without), started side by side: a
    two-worker start-up takes seconds."""
    variants: dict[str, str | None] = {"no redis": None}
    if unreachable_reason("Redis", *_redis_host_port(), "SWITCHBOARD_TEST_REDIS_URL") is None:
        variants["redis"] = _redis_url()
    started: dict[str, Running] = {}
    try:
        for variant, redis_url in variants.items():
            port = closed_port()
            command = [sys.executable, "-m", "switchboard", "serve", "--port", str(port)]
            process = subprocess.Popen(
                [*command, "--workers", "2"],
                env=_environment(tmp_path_factory.mktemp("revocation") / "data", redis_url),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            started[variant] = (f"http://127.0.0.1:{port}", process)
        yield started
    finally:
        for _, process in started.values():
            process.send_signal(signal.SIGTERM)
        for _, process in started.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


@pytest.fixture(
    scope="module",
    params=[pytest.param("redis", marks=pytest.mark.redis), pytest.param("no redis")],
)
def served(request: pytest.FixtureRequest, gateways: dict[str, Running]) -> Iterator[Served]:
    variant: str = request.param
    if variant == "redis":
        require_reachable("Redis", *_redis_host_port(), "SWITCHBOARD_TEST_REDIS_URL")
    url, process = gateways[variant]
    with (
        OpenAIFake(api_key=UPSTREAM_KEY) as fake,
        httpx.Client(timeout=10.0, limits=httpx.Limits(max_keepalive_connections=0)) as http,
    ):
        wait_until_up(url, process)
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
        resource = {
            "name": "probe",
            "model": {"provider": "openai", "model": "gpt-4o", "connection": "main"},
            "useFallback": True,
            "fallbackModels": [
                {"provider": "openai", "model": "gpt-4o-mini", "connection": "main"}
            ],
            "routing": PROBE_ROUTING,
        }
        expect(admin.post(f"{ENV}/resources", resource), 201)
        world = Served(url, admin, fake, redis=variant == "redis", http=http)
        # gpt-4o fails once, on whichever worker takes this request.
        fake.script(fake.error(500, "marks one worker", "server_error"))
        first = world.ask(world.new_key("marker"))
        assert first.status_code == 200, first.text
        assert first.headers["x-switchboard-attempts"] == "2"
        yield world
        admin.close()


def _warm(served: Served, key: str) -> None:
    """20+ answered requests with ``key``, until both workers have answered it."""
    routes = []
    for _ in range(200):
        response = served.ask(key)
        assert response.status_code == 200, response.text
        validate("CreateChatCompletionResponse", response.json())
        routes.append(response.headers["x-switchboard-route"])
        if len(routes) >= 20 and len(set(routes)) == 2:
            return
    raise AssertionError(f"one worker served every request: {set(routes)}")


def _refused_within_a_second(
    served: Served, key: str, revoke: Callable[[], None], says: str
) -> None:
    revoke()
    revoked = time.monotonic()
    sent: list[tuple[float, int]] = []
    late = 0
    while late < 20:
        at = time.monotonic() - revoked
        response = served.ask(key)
        sent.append((at, response.status_code))
        if response.status_code == 401:
            validate("ErrorResponse", response.json())
            assert says in response.json()["error"]["message"]
        else:
            assert response.status_code == 200, response.text
            validate("CreateChatCompletionResponse", response.json())
        if at >= WITHIN_SECONDS:
            late += 1
        elif served.redis and len(sent) >= 20:
            break
    answered = [(round(at, 3), status) for at, status in sent if status != 401]
    if served.redis:
        # Published at once: not one request after the revocation is served, on any worker.
        assert answered == [], answered
    else:
        assert all(at < WITHIN_SECONDS for at, _ in answered), answered
        assert [s for at, s in sent if at >= WITHIN_SECONDS] == [401] * 20
        # The worker that handled the revocation forgot the key at once.
        assert any(s == 401 for at, s in sent if at < WITHIN_SECONDS), sent


def test_a_deleted_key_is_refused_by_every_worker_within_a_second(served: Served) -> None:
    key = served.new_key("to-delete")
    _warm(served, key)
    _refused_within_a_second(
        served,
        key,
        lambda: expect(served.admin.delete(f"{ENV}/api-keys/to-delete"), 204),
        "invalid API key",
    )


def test_a_disabled_key_is_refused_by_every_worker_within_a_second(served: Served) -> None:
    key = served.new_key("to-disable")
    _warm(served, key)
    _refused_within_a_second(
        served,
        key,
        lambda: expect(served.admin.patch(f"{ENV}/api-keys/to-disable", {"enabled": False}), 200),
        "is disabled",
    )
