"""The world the data plane's end-to-end tests run in: a real gateway, fake providers
speaking their real wire formats, connections to them, a resource and a key."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import openai
import pytest

from switchboard.settings import Settings, load_settings
from switchboard.testing import RunningGateway
from switchboard.testing.fakes.anthropic import AnthropicFake
from switchboard.testing.fakes.base import FakeServer
from switchboard.testing.fakes.openai import OpenAIFake
from tests.core.api.client import ADMIN_PASSWORD, Api, Transcript, expect, login

__all__ = ["ANTHROPIC_KEY", "ENV", "UPSTREAM_KEY", "World", "closed_port"]

ENV = "/api/v1/workspaces/acme/environments/prod"
UPSTREAM_KEY = "sk-upstream-openai"
ANTHROPIC_KEY = "sk-ant-upstream"

F = TypeVar("F", bound=FakeServer)


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def switchboard_settings(tmp_path: Path) -> Settings:
    return load_settings({}, data_dir=str(tmp_path / "data"), admin_password=ADMIN_PASSWORD)


@dataclass
class World:
    """A gateway with a workspace, an environment, connections to two fakes, and a key.

    Connections: ``openai-main`` (→ ``openai_fake``), ``openai-backup`` (→ ``backup_fake``),
    ``claude`` (→ ``anthropic_fake``); the resource ``chat`` (openai/gpt-4o-mini through
    ``openai-main``); the key ``backend`` (``key``), assigned to ``chat``.
    """

    gateway: RunningGateway
    admin: Api
    openai_fake: OpenAIFake
    backup_fake: OpenAIFake
    anthropic_fake: AnthropicFake
    key: str
    stack: ExitStack = field(default_factory=ExitStack)
    # A connection per request: on a kept-alive connection the test server's separate header
    # and body writes wait for delayed ACKs (some 40 ms a request).
    http: httpx.Client = field(
        default_factory=lambda: httpx.Client(
            timeout=30.0, limits=httpx.Limits(max_keepalive_connections=0)
        )
    )

    def client(self, key: str | None = None, base: str = "/v1") -> openai.OpenAI:
        return openai.OpenAI(
            api_key=key or self.key, base_url=self.gateway.url + base, max_retries=0
        )

    def resource(self, name: str, **fields: Any) -> dict[str, Any]:
        body = {"name": name, "model": {"provider": "openai", "model": "gpt-4o-mini"}, **fields}
        created: dict[str, Any] = expect(self.admin.post(f"{ENV}/resources", body), 201)
        return created

    def assign(self, key_name: str, *resources: str) -> None:
        expect(self.admin.patch(f"{ENV}/api-keys/{key_name}", {"resources": list(resources)}), 200)

    def start(self, fake: F) -> F:
        """``fake`` started now and stopped with the world."""
        self.stack.enter_context(fake)
        return fake

    def connection(
        self,
        name: str,
        provider: str,
        base_url: str,
        *,
        api_key: str = UPSTREAM_KEY,
        **fields: Any,
    ) -> dict[str, Any]:
        """A connection of ``provider`` at ``base_url`` (``fields``: timeouts, ...)."""
        body = {
            "name": name,
            "provider": provider,
            "settings": {"baseUrl": base_url},
            "credentials": {"apiKey": api_key},
            **fields,
        }
        created: dict[str, Any] = expect(self.admin.post(f"{ENV}/connections", body), 201)
        return created

    def create_key(self, name: str, *resources: str, **fields: Any) -> str:
        """A new API key of the environment, assigned to ``resources``; its secret."""
        body = {"name": name, "resources": list(resources), **fields}
        created = expect(self.admin.post(f"{ENV}/api-keys", body), 201)
        secret: str = created["key"]
        return secret

    def chat(
        self,
        model: str,
        content: str = "Hi",
        *,
        key: str | None = None,
        headers: dict[str, str] | None = None,
        **fields: Any,
    ) -> httpx.Response:
        """``POST /v1/chat/completions`` with one user message, straight over HTTP."""
        return self.http.post(
            self.gateway.url + "/v1/chat/completions",
            headers={"authorization": f"Bearer {key or self.key}", **(headers or {})},
            json={"model": model, "messages": [{"role": "user", "content": content}], **fields},
        )


@pytest.fixture
def world(gateway: RunningGateway) -> Iterator[World]:
    with (
        OpenAIFake(api_key=UPSTREAM_KEY) as primary,
        OpenAIFake(api_key=UPSTREAM_KEY) as backup,
        AnthropicFake(api_key=ANTHROPIC_KEY) as claude,
    ):
        admin = login(gateway.url, Transcript(), "admin", ADMIN_PASSWORD).as_token()
        expect(admin.post("/api/v1/workspaces", {"name": "acme"}), 201)
        expect(admin.post("/api/v1/workspaces/acme/environments", {"name": "prod"}), 201)
        world = World(gateway, admin, primary, backup, claude, key="")
        with world.stack, world.http:
            world.connection("openai-main", "openai", primary.url + "/v1")
            world.connection("openai-backup", "openai", backup.url + "/v1")
            world.connection("claude", "anthropic", claude.url, api_key=ANTHROPIC_KEY)
            world.resource(
                "chat",
                model={"provider": "openai", "model": "gpt-4o-mini", "connection": "openai-main"},
            )
            world.key = world.create_key("backend", "chat")
            yield world
