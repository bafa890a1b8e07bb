"""A gateway with fake providers for the recorder's end-to-end tests, and a client that
sends every kind of request and remembers what it got."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from switchboard.testing import RunningGateway
from switchboard.testing.fakes.base import RecordedRequest, Reply
from switchboard.testing.fakes.openai import OpenAIFake
from tests.core.api.client import ADMIN_PASSWORD, Api, Transcript, expect, login

__all__ = ["ENV", "Burst", "Sent", "gateway_world"]

ENV = "/api/v1/workspaces/acme/environments/prod"
UPSTREAM_KEY = "sk-upstream-openai"


class StreamingFake(OpenAIFake):
    """Answers every chat completion, streamed when asked (10 prompt, 5 completion tokens)."""

    def default_reply(self, request: RecordedRequest) -> Reply:
        if request.json.get("stream"):
            return self.stream(
                [
                    self.chunk({"role": "assistant", "content": "Hel"}),
                    self.chunk({"content": "lo"}, "stop"),
                    self.usage_chunk(10, 5),
                ]
            )
        return self.completion("Hello", prompt_tokens=10, completion_tokens=5)


class BrokenFake(OpenAIFake):
    """Fails every call with a 500."""

    def default_reply(self, request: RecordedRequest) -> Reply:
        return self.error(500, "the fake is broken", "server_error")


@dataclass(frozen=True)
class Sent:
    """One request sent: its kind, and the answer's request id and status."""

    kind: str
    request_id: str
    status: int


@dataclass
class Burst:
    """The world: resources ``chat`` (works), ``broken`` (provider 500, no fallback),
    ``scarce`` (one request a minute), ``secret`` (not assigned to the key); key ``key``."""

    gateway: RunningGateway
    admin: Api
    key: str
    sent: list[Sent] = field(default_factory=list)

    def send(self, kind: str) -> Sent:
        """Send one request of ``kind``; read a stream to its end."""
        model = {"unknown": "nope", "unassigned": "secret"}.get(kind, kind)
        body: Any = {"model": model, "messages": [{"role": "user", "content": "Hi"}]}
        if kind == "stream":
            body = {**body, "model": "chat", "stream": True}
        elif kind == "plain":
            body = {**body, "model": "chat"}
        content: bytes | str = json.dumps(body)
        if kind == "bad-json":
            content = b'{"model": "chat", "messages": ['  # cut short
        headers = {"authorization": f"Bearer {self.key}", "content-type": "application/json"}
        url = self.gateway.url + "/v1/chat/completions"
        with (
            httpx.Client(timeout=30.0) as client,
            client.stream("POST", url, content=content, headers=headers) as response,
        ):
            response.read()
        sent = Sent(kind, response.headers["x-request-id"], response.status_code)
        self.sent.append(sent)
        return sent

    def burst(self, kinds: list[str], workers: int = 8) -> list[Sent]:
        """Send ``kinds`` concurrently; the answers in the order of ``kinds``."""
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(self.send, kinds))


@contextmanager
def gateway_world(gateway: RunningGateway) -> Iterator[Burst]:
    """Set up the :class:`Burst` world on ``gateway``."""
    with (
        StreamingFake(api_key=UPSTREAM_KEY) as good,
        BrokenFake(api_key=UPSTREAM_KEY) as broken,
    ):
        admin = login(gateway.url, Transcript(), "admin", ADMIN_PASSWORD).as_token()
        expect(admin.post("/api/v1/workspaces", {"name": "acme"}), 201)
        expect(admin.post("/api/v1/workspaces/acme/environments", {"name": "prod"}), 201)
        for name, fake in (("openai-main", good), ("openai-broken", broken)):
            settings = {
                "name": name,
                "provider": "openai",
                "settings": {"baseUrl": fake.url + "/v1"},
                "credentials": {"apiKey": UPSTREAM_KEY},
            }
            expect(admin.post(f"{ENV}/connections", settings), 201)
        for name, connection, extra in (
            ("chat", "openai-main", {}),
            ("broken", "openai-broken", {"useFallback": False}),
            (
                "scarce",
                "openai-main",
                {"capacity": [{"period": "minute", "requests": 1}], "enforceCapacity": True},
            ),
            ("secret", "openai-main", {}),
        ):
            model = {"provider": "openai", "model": "gpt-4o-mini", "connection": connection}
            expect(admin.post(f"{ENV}/resources", {"name": name, "model": model, **extra}), 201)
        body = {"name": "backend", "resources": ["chat", "broken", "scarce"]}
        key: str = expect(admin.post(f"{ENV}/api-keys", body), 201)["key"]
        yield Burst(gateway, admin, key)
