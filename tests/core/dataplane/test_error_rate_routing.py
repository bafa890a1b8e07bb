"""``errorRate()`` end to end: the failures of one connection steer routing away from it,
the failures of another connection do not, and another environment's failures (same
provider, model and connection name) count for nothing here."""

from __future__ import annotations

import time
from typing import Any

from switchboard.testing.fakes.openai import OpenAIFake
from tests.core.api.client import expect
from tests.core.dataplane.conftest import ENV, UPSTREAM_KEY, World

STAGING = "/api/v1/workspaces/acme/environments/staging"
MINI = {"provider": "openai", "model": "gpt-4o-mini"}


def main_failing(window: int = 5) -> dict[str, Any]:
    """Routing that leaves ``openai-main`` for ``openai-backup`` while over 20% of its recent
    attempts fail."""
    return {
        "conditions": [
            {
                "description": "openai-main is failing",
                "if": [
                    {
                        "field": "errorRate",
                        "operator": "greaterThan",
                        "value": 20,
                        "window": window,
                        "connection": "openai-main",
                    }
                ],
                "then": {**MINI, "connection": "openai-backup"},
            }
        ]
    }


def primary_failing() -> dict[str, Any]:
    """Routing to Claude while over 10% of the primary model's attempts fail (any connection)."""
    return {
        "mode": "advanced",
        "conditions": [
            {
                "expression": "errorRate(10, 'any') > 10",
                "then": {"provider": "anthropic", "model": "claude-3-5-sonnet-20241022"},
            }
        ],
    }


def route(response: Any) -> tuple[int, str, str]:
    return (
        response.status_code,
        response.headers.get("x-switchboard-route", ""),
        response.headers.get("x-switchboard-connection", ""),
    )


def test_errors_on_one_connection_steer_routing_and_other_environments_do_not(
    world: World,
) -> None:
    admin = world.admin
    main, backup = world.openai_fake, world.backup_fake
    world.resource(
        "steer",
        model={**MINI, "connection": "openai-main"},
        useFallback=True,
        fallbackModels=[{**MINI, "connection": "openai-backup"}],
        routing=main_failing(),
    )
    world.resource(
        "guarded", model={**MINI, "connection": "openai-main"}, routing=primary_failing()
    )
    world.resource("on-backup", model={**MINI, "connection": "openai-backup"})
    world.assign("backend", "steer", "guarded", "on-backup")

    # Staging: a connection with the same name to a fake that fails every call.
    staging_fake = world.start(OpenAIFake(api_key=UPSTREAM_KEY))
    expect(admin.post("/api/v1/workspaces/acme/environments", {"name": "staging"}), 201)
    body = {
        "name": "openai-main",
        "provider": "openai",
        "settings": {"baseUrl": staging_fake.url + "/v1"},
        "credentials": {"apiKey": UPSTREAM_KEY},
    }
    expect(admin.post(f"{STAGING}/connections", body), 201)
    staging_resource = {"name": "steer", "model": {**MINI, "connection": "openai-main"}}
    expect(admin.post(f"{STAGING}/resources", staging_resource), 201)
    staging_key = expect(
        admin.post(f"{STAGING}/api-keys", {"name": "staging-key", "resources": ["steer"]}), 201
    )["key"]
    for _ in range(5):
        staging_fake.script(staging_fake.error(503, "overloaded", "server_error"))
        assert world.chat("steer", key=staging_key).status_code == 503
    assert len(staging_fake.requests) == 5

    # Production does not see them: its primary model and its openai-main are healthy.
    assert route(world.chat("steer")) == (200, "primary", "openai-main")
    assert route(world.chat("guarded")) == (200, "primary", "openai-main")

    # Failures on openai-backup do not make openai-main look unhealthy.
    for _ in range(3):
        backup.script(backup.error(500, "boom", "server_error"))
        assert world.chat("on-backup").status_code == 502
    assert route(world.chat("steer")) == (200, "primary", "openai-main")
    assert len(main.requests) == 3

    # openai-main fails once (the fallback answers): 1 failure in 4 attempts, 25% > 20%.
    main.script(main.error(502, "bad gateway", "server_error"))
    assert route(world.chat("steer")) == (200, "primary", "openai-backup")
    before = len(main.requests)
    for _ in range(3):
        assert route(world.chat("steer")) == (200, "conditions[0]", "openai-backup")
    assert len(main.requests) == before  # openai-main is left alone while it fails

    # Within a second the gateway shares the counts through the environment's limiter (the
    # memory one here), and reads them from its snapshot: still counted once.
    runtime = world.gateway.state.runtime
    assert runtime is not None
    rates = runtime.error_rates.for_environment(expect(admin.get(ENV), 200)["id"])
    deadline = time.monotonic() + 10
    while rates.unshared and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not rates.unshared
    assert rates.rate(window=5, connection="openai-main") == 25.0
    assert route(world.chat("steer")) == (200, "conditions[0]", "openai-backup")
