"""Real traffic for the usage and audit pages' browser tests: an environment with a
connection to a fake OpenAI server, a resource and an API key (made through the REST API),
and chat requests sent through the gateway's data plane, waited for until the database
recorder has stored every one of them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from switchboard.testing import RunningGateway
from switchboard.testing.fakes.openai import OpenAIFake
from tests.core.api.client import Api, expect, seg

__all__ = ["UPSTREAM_KEY", "Sent", "Traffic", "open_environment"]

UPSTREAM_KEY = "sk-upstream-ui-tests"
RESOURCE = "chat"
CONNECTION = "openai-main"


@dataclass(frozen=True)
class Sent:
    """One request as the client saw it."""

    request_id: str
    status: int
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass
class Traffic:
    """An environment that answers chats through ``fake``; :meth:`chat` sends one."""

    gateway: RunningGateway
    admin: Api
    fake: OpenAIFake
    workspace: str
    environment: str
    key: str
    sent: list[Sent] = field(default_factory=list)

    @property
    def env_path(self) -> str:
        """The environment's REST path."""
        return f"/api/v1/workspaces/{seg(self.workspace)}/environments/{seg(self.environment)}"

    @property
    def ui_path(self) -> str:
        """The environment's UI path."""
        return f"/ui/w/{seg(self.workspace)}/e/{seg(self.environment)}"

    def chat(
        self,
        *,
        prompt_tokens: int = 10,
        completion_tokens: int = 5,
        fail: bool = False,
        model: str = RESOURCE,
    ) -> Sent:
        """One chat through the gateway: the fake answers with these token counts, or
        fails with a 500 (the gateway then answers 502)."""
        if model == RESOURCE:
            self.fake.script(
                self.fake.error(500, "the fake is down", "server_error")
                if fail
                else self.fake.completion(
                    "Hello", prompt_tokens=prompt_tokens, completion_tokens=completion_tokens
                )
            )
        response = httpx.post(
            f"{self.gateway.url}/v1/chat/completions",
            headers={"authorization": f"Bearer {self.key}"},
            json={"model": model, "messages": [{"role": "user", "content": "Hi"}]},
            timeout=30.0,
        )
        ok = response.status_code == 200
        sent = Sent(
            request_id=response.headers["x-request-id"],
            status=response.status_code,
            prompt_tokens=prompt_tokens if ok else 0,
            completion_tokens=completion_tokens if ok else 0,
        )
        self.sent.append(sent)
        return sent

    def wait_until_recorded(self, timeout: float = 20.0) -> None:
        """Return once the audit holds every request sent (the recorder writes in batches)."""
        wanted = {s.request_id for s in self.sent}
        deadline = time.monotonic() + timeout
        while True:
            found = self._recorded_ids()
            if wanted <= found:
                return
            assert time.monotonic() < deadline, f"not recorded: {sorted(wanted - found)}"
            time.sleep(0.2)

    def _recorded_ids(self) -> set[str]:
        ids: set[str] = set()
        cursor: str | None = None
        while True:
            params = {"limit": "500", **({"cursor": cursor} if cursor else {})}
            page: dict[str, Any] = expect(self.admin.get(f"{self.env_path}/audit", **params), 200)
            ids.update(item["requestId"] for item in page["items"])
            cursor = page["nextCursor"]
            if cursor is None:
                return ids


def open_environment(
    gateway: RunningGateway, admin: Api, fake: OpenAIFake, workspace: str
) -> Traffic:
    """A workspace with the environment ``prod``: a connection to ``fake``, the resource
    ``chat`` (openai/gpt-4o-mini through it) and an API key assigned to it."""
    admin.create_workspace(workspace)
    admin.create_environment(workspace, "prod")
    traffic = Traffic(gateway, admin, fake, workspace, "prod", key="")
    env = traffic.env_path
    connection = {
        "name": CONNECTION,
        "provider": "openai",
        "settings": {"baseUrl": f"{fake.url}/v1"},
        "credentials": {"apiKey": UPSTREAM_KEY},
    }
    expect(admin.post(f"{env}/connections", connection), 201)
    model = {"provider": "openai", "model": "gpt-4o-mini", "connection": CONNECTION}
    expect(admin.post(f"{env}/resources", {"name": RESOURCE, "model": model}), 201)
    created = expect(
        admin.post(f"{env}/api-keys", {"name": "backend", "resources": [RESOURCE]}), 201
    )
    traffic.key = created["key"]
    return traffic
