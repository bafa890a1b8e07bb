"""A connection's own prices over HTTP: accepted, returned, replaced, cleared, refused
naming the field, audited; and each provider's list prices in the providers listing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db.models import AuditEvent
from switchboard.testing.fakes.openai import OpenAIFake
from tests.core.api.client import expect, expect_error, run_db
from tests.core.api.conftest import Harness

BASE = "/api/v1/workspaces/acme/environments/prod/connections"
KEY = "sk-pricing-test-key"
GPT_4O = {"input": 2.5, "output": 10.0, "cachedInput": 1.25}


@pytest.fixture
def fake() -> Iterator[OpenAIFake]:
    with OpenAIFake(api_key=KEY) as server:
        yield server


@pytest.fixture
def world(harness: Harness) -> Harness:
    harness.admin.create_workspace("acme")
    harness.admin.create_environment("acme", "prod")
    return harness


def connection(fake: OpenAIFake, **fields: Any) -> dict[str, Any]:
    return {
        "name": "openai-main",
        "provider": "openai",
        "settings": {"baseUrl": fake.url + "/v1"},
        "credentials": {"apiKey": KEY},
        **fields,
    }


def test_prices_are_accepted_returned_replaced_and_cleared(
    world: Harness, fake: OpenAIFake
) -> None:
    admin = world.admin
    created = expect(admin.post(BASE, connection(fake, pricing={"gpt-4o": GPT_4O})), 201)
    assert created["pricing"] == {"gpt-4o": GPT_4O}
    assert expect(admin.get(f"{BASE}/openai-main"), 200)["pricing"] == {"gpt-4o": GPT_4O}

    # An update replaces the whole mapping; absent fields of a price stay absent.
    replaced = {"ft:gpt-4o-mini:acme": {"input": 0.3, "output": 1.2}}
    updated = expect(admin.patch(f"{BASE}/openai-main", {"pricing": replaced}), 200)
    assert updated["pricing"] == replaced
    # Other changes leave the prices alone.
    kept = expect(admin.patch(f"{BASE}/openai-main", {"description": "main"}), 200)
    assert kept["pricing"] == replaced

    assert expect(admin.patch(f"{BASE}/openai-main", {"pricing": None}), 200)["pricing"] == {}
    again = expect(admin.patch(f"{BASE}/openai-main", {"pricing": {"gpt-4o": GPT_4O}}), 200)
    assert again["pricing"] == {"gpt-4o": GPT_4O}
    assert expect(admin.patch(f"{BASE}/openai-main", {"pricing": {}}), 200)["pricing"] == {}


def test_a_connection_without_prices_shows_an_empty_mapping(
    world: Harness, fake: OpenAIFake
) -> None:
    created = expect(world.admin.post(BASE, connection(fake)), 201)
    assert created["pricing"] == {}


@pytest.mark.parametrize(
    ("pricing", "param", "says"),
    [
        ({"gpt-4o": {"input": "cheap", "output": 10}}, "pricing.gpt-4o.input", "Expected `float`"),
        ({"gpt-4o": {"input": -0.5, "output": 10}}, "pricing.gpt-4o.input", ">= 0"),
        ({"gpt-4o": {"input": 1}}, "pricing.gpt-4o.output", "missing required field `output`"),
        (
            {"gpt-4o": {"input": 1, "output": 2, "cacheWrite": 3}},
            "pricing.gpt-4o.cacheWrite",
            "unknown field `cacheWrite`",
        ),
        ({"gpt-4o": [1, 2]}, "pricing.gpt-4o", "Expected `object`, got `array`"),
        ({"": {"input": 1, "output": 2}}, "pricing.", "model name"),
    ],
)
def test_bad_prices_are_refused_naming_the_field(
    world: Harness, fake: OpenAIFake, pricing: dict[str, Any], param: str, says: str
) -> None:
    expect_error(
        world.admin.post(BASE, connection(fake, pricing=pricing)), 400, param=param, says=says
    )
    expect(world.admin.post(BASE, connection(fake)), 201)
    expect_error(
        world.admin.patch(f"{BASE}/openai-main", {"pricing": pricing}),
        400,
        param=param,
        says=says,
    )
    # Nothing was changed by the refused update.
    assert expect(world.admin.get(f"{BASE}/openai-main"), 200)["pricing"] == {}


def test_price_changes_are_audited(world: Harness, fake: OpenAIFake) -> None:
    admin = world.admin
    expect(admin.post(BASE, connection(fake)), 201)
    expect(admin.patch(f"{BASE}/openai-main", {"pricing": {"gpt-4o": GPT_4O}}), 200)

    async def updates(session: AsyncSession) -> list[AuditEvent]:
        rows = await session.execute(
            select(AuditEvent).where(AuditEvent.action == "ai-connection:update")
        )
        return list(rows.scalars())

    (event,) = run_db(world.database_url, updates)
    assert event.before is not None and event.after is not None
    assert event.before["pricing"] == {}
    assert event.after["pricing"] == {"gpt-4o": GPT_4O}


def test_the_providers_listing_shows_each_providers_list_prices(world: Harness) -> None:
    providers = {p["name"]: p for p in expect(world.admin.get("/api/v1/providers"), 200)}
    openai = providers["openai"]["prices"]
    assert openai["source"].startswith("https://")
    assert openai["retrieved"] == "2026-12-06"
    assert openai["models"]["gpt-4o"] == GPT_4O
    assert openai["models"]["text-embedding-3-small"] == {"input": 0.02, "output": 0.0}
    assert providers["bedrock"]["prices"]["ignorePrefixes"] == ["us."]
    for name, provider in providers.items():
        prices = provider["prices"]
        # Every shipped provider states where and when its prices were read.
        assert prices["source"] and prices["retrieved"], name
