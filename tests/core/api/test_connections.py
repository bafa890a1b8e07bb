"""AI connections over HTTP: validation by the provider, sealed credentials, the test call,
the providers listing, and the promise that credentials never come back anywhere."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db.models import AIConnection, AuditEvent
from switchboard.testing.fakes.openai import OpenAIFake
from tests.core.api.client import expect, expect_error, run_db
from tests.core.api.conftest import Harness

SECRET_KEY = "sk-live-CONNECTION-secret-0123456789"
BASE = "/api/v1/workspaces/acme/environments/prod/connections"


@pytest.fixture
def fake() -> Iterator[OpenAIFake]:
    with OpenAIFake(api_key=SECRET_KEY) as server:
        yield server


@pytest.fixture
def world(harness: Harness) -> Harness:
    harness.admin.create_workspace("acme")
    harness.admin.create_environment("acme", "prod")
    return harness


def connection(fake: OpenAIFake, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "openai-main",
        "provider": "openai",
        "settings": {"baseUrl": fake.url + "/v1"},
        "credentials": {"apiKey": SECRET_KEY},
        "capacity": [{"period": "minute", "requests": 100, "tokens": 100000}],
        "allowedModels": ["gpt-4o-mini", "gpt-4o"],
    }
    body.update(fields)
    return body


def test_create_get_list_update_delete(world: Harness, fake: OpenAIFake) -> None:
    admin = world.admin
    created = expect(admin.post(BASE, connection(fake)), 201)
    assert created["provider"] == "openai"
    assert created["settings"] == {
        "baseUrl": fake.url + "/v1",
        "organization": None,
        "project": None,
    }
    assert created["credentialFields"] == ["apiKey"]
    assert created["secretBox"] == "libsodium"
    assert created["timeouts"] == {"connect": 10.0, "firstByte": 120.0, "total": 600.0}
    assert "credentials" not in created

    by_name = expect(admin.get(f"{BASE}/openai-main"), 200)
    by_id = expect(admin.get(f"{BASE}/{created['id']}"), 200)
    assert by_name == by_id == created
    listed = expect(admin.get(BASE), 200)
    assert [c["name"] for c in listed["items"]] == ["openai-main"]

    updated = expect(
        admin.patch(
            f"{BASE}/openai-main",
            {"allowedModels": None, "timeouts": {"connect": 2, "firstByte": 30, "total": 60}},
        ),
        200,
    )
    assert updated["allowedModels"] is None
    assert updated["timeouts"] == {"connect": 2.0, "firstByte": 30.0, "total": 60.0}
    expect(admin.delete(f"{BASE}/openai-main"), 204)
    expect_error(admin.get(f"{BASE}/openai-main"), 404, says="connection 'openai-main' not found")


@pytest.mark.parametrize(
    ("fields", "param", "says"),
    [
        ({"provider": "nope"}, "provider", "provider 'nope' is not installed"),
        ({"settings": {"baseUrl": "ftp:x"}}, "settings.baseUrl", "matching regex"),
        ({"settings": {"colour": "red"}}, "settings", "unknown field `colour`"),
        ({"credentials": {}}, "credentials", "missing required field `apiKey`"),
        ({"credentials": {"apiKey": 42}}, "credentials.apiKey", "Expected `str`"),
        ({"capacity": [{"period": "minute"}]}, "capacity[0]", "set requests, tokens or both"),
        (
            {"capacity": [{"period": "hour", "requests": 1}, {"period": "hour", "tokens": 5}]},
            "capacity[1].period",
            "a second entry for period 'hour'",
        ),
        ({"capacity": [{"period": "year", "requests": 1}]}, None, "Invalid enum value 'year'"),
        ({"capacity": [{"period": "day", "requests": 0}]}, None, "Expected `int` >= 1"),
    ],
)
def test_bad_connections_are_refused_naming_the_field(
    world: Harness, fake: OpenAIFake, fields: dict[str, Any], param: str | None, says: str
) -> None:
    error = expect_error(world.admin.post(BASE, connection(fake, **fields)), 400, says=says)
    if param is not None:
        assert error["param"] == param
    assert SECRET_KEY not in error["message"]


def test_names_are_unique_in_an_environment(world: Harness, fake: OpenAIFake) -> None:
    expect(world.admin.post(BASE, connection(fake)), 201)
    expect_error(world.admin.post(BASE, connection(fake)), 409, param="name")


def test_the_database_holds_no_plaintext_credentials(world: Harness, fake: OpenAIFake) -> None:
    created = expect(world.admin.post(BASE, connection(fake)), 201)

    async def stored(session: AsyncSession) -> AIConnection:
        row = await session.get(AIConnection, created["id"])
        assert row is not None
        return row

    row = run_db(world.database_url, stored)
    assert row.credentials_ciphertext is not None
    assert SECRET_KEY.encode() not in row.credentials_ciphertext
    assert SECRET_KEY not in str(row.settings) + str(row.credential_fields)


def test_the_test_call_answers_and_keeps_discovered_limits(
    world: Harness, fake: OpenAIFake
) -> None:
    expect(world.admin.post(BASE, connection(fake)), 201)
    fake.script(
        fake.completion(
            "OK",
            headers={"x-ratelimit-limit-requests": "500", "x-ratelimit-limit-tokens": "30000"},
        )
    )
    result = expect(world.admin.post(f"{BASE}/openai-main/test", {}), 200)
    assert (result["ok"], result["model"], result["answer"]) == (True, "gpt-4o-mini", "OK")
    assert result["latencyMs"] >= 0
    assert fake.last.header("authorization") == f"Bearer {SECRET_KEY}"  # decrypted for the call
    discovered = expect(world.admin.get(f"{BASE}/openai-main"), 200)["discoveredCapacity"]
    assert discovered["gpt-4o-mini"]["requestsLimit"] == 500
    assert discovered["gpt-4o-mini"]["tokensLimit"] == 30000
    assert "updatedAt" in discovered["gpt-4o-mini"]


def test_the_test_call_reports_the_providers_error(world: Harness, fake: OpenAIFake) -> None:
    expect(world.admin.post(BASE, connection(fake, credentials={"apiKey": "sk-wrong"})), 201)
    result = expect(world.admin.post(f"{BASE}/openai-main/test", {"model": "gpt-4o"}), 200)
    assert (result["ok"], result["errorClass"], result["status"]) == (False, "auth", 401)
    assert "Incorrect API key" in result["message"]


def test_credentials_can_be_replaced_and_the_new_ones_are_used(
    world: Harness, fake: OpenAIFake
) -> None:
    expect(world.admin.post(BASE, connection(fake, credentials={"apiKey": "sk-old"})), 201)
    expect(world.admin.patch(f"{BASE}/openai-main", {"credentials": {"apiKey": SECRET_KEY}}), 200)
    fake.script(fake.completion("OK"))
    assert expect(world.admin.post(f"{BASE}/openai-main/test", {}), 200)["ok"] is True


def test_providers_listing_has_schemas_secret_fields_and_models(world: Harness) -> None:
    providers = {p["name"]: p for p in expect(world.admin.get("/api/v1/providers"), 200)}
    openai = providers["openai"]
    assert openai["plugin"] == "openai"
    assert openai["secretFields"] == ["apiKey"]
    assert "baseUrl" in openai["settingsSchema"]["$defs"]["OpenAISettings"]["properties"]
    assert "gpt-4o" in openai["knownModels"]
    assert openai["supportsEmbeddings"] is True
    assert providers["groq"]["plugin"] == "groq"
    expect_error(world.anonymous().get("/api/v1/providers"), 401)


def test_a_provider_switched_off_in_the_environment_cannot_be_used(
    world: Harness, fake: OpenAIFake
) -> None:
    expect(
        world.admin.patch(
            "/api/v1/workspaces/acme/environments/prod", {"plugins": {"openai": {"enabled": False}}}
        ),
        200,
    )
    expect_error(world.admin.post(BASE, connection(fake)), 400, param="provider", says="openai")


def test_credentials_never_appear_in_responses_audit_or_logs(
    world: Harness, fake: OpenAIFake, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    admin = world.admin
    expect(admin.post(BASE, connection(fake)), 201)
    expect(admin.patch(f"{BASE}/openai-main", {"credentials": {"apiKey": SECRET_KEY + "-2"}}), 200)
    fake.script(fake.error(500, "upstream exploded"))
    expect(admin.post(f"{BASE}/openai-main/test", {}), 200)
    expect(admin.get(BASE), 200)
    expect(admin.get("/api/v1/audit-events"), 200)
    expect(admin.delete(f"{BASE}/openai-main"), 204)

    async def audit(session: AsyncSession) -> list[str]:
        rows = await session.execute(select(AuditEvent))
        return [f"{e.before} {e.after}" for e in rows.scalars()]

    audited = run_db(world.database_url, audit)
    assert any("credentialFields" in text for text in audited)
    for text in [*audited, caplog.text]:
        assert SECRET_KEY not in text
    assert world.transcript.containing(SECRET_KEY) == []
