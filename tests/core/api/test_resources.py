"""AI resources over HTTP (SQLite and PostgreSQL): CRUD in the seed's shape, refusals that
name the field, API key assignment, permissions, and the routing dry run for each of the
seed's examples and a fallback chain (nothing is ever sent to a provider: the connections
point at a closed port)."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db.models import ApiKey, ApiKeyResource, AuditEvent
from tests.core.api.client import Api, expect, expect_error, run_db
from tests.core.api.conftest import Harness

ENV = "/api/v1/workspaces/acme/environments/prod"
BASE = f"{ENV}/resources"
PASSWORD = "resource-Password-1"
TOOL = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}

SEED_TOKENS: dict[str, Any] = {
    "enabled": True,
    "conditions": [
        {
            "description": "Use Groq for small requests",
            "if": [{"field": "requestTokens", "operator": "lessThan", "value": 100}],
            "then": {"provider": "groq", "model": "llama-3.1-70b-versatile"},
        }
    ],
}
SEED_ERROR_RATE: dict[str, Any] = {
    "enabled": True,
    "conditions": [
        {
            "description": "Switch to Anthropic if error rate is high",
            "if": [{"field": "errorRate", "operator": "greaterThan", "value": 10, "window": 10}],
            "then": {"provider": "anthropic", "model": "claude-3-5-sonnet-20241022"},
        }
    ],
}
SEED_TOOLS: dict[str, Any] = {
    "enabled": True,
    "conditions": [
        {
            "description": "Use GPT-4 for requests with tools",
            "if": [{"field": "hasTools", "operator": "equals", "value": True}],
            "then": {"provider": "openai", "model": "gpt-4o"},
        }
    ],
}
SEED_ADVANCED: dict[str, Any] = {
    "enabled": True,
    "mode": "advanced",
    "conditions": [
        {
            "description": "Complex routing logic",
            "expression": "requestTokens < 100 && errorRate(10, 'any') < 5\n",
            "then": {"provider": "groq", "model": "llama-3.1-70b-versatile", "traffic": 50},
        }
    ],
}


def connection(name: str, provider: str, **fields: Any) -> dict[str, Any]:
    return {
        "name": name,
        "provider": provider,
        "settings": {"baseUrl": "http://127.0.0.1:9/v1"},
        "credentials": {"apiKey": "sk-x"},
        **fields,
    }


@pytest.fixture
def world(harness: Harness) -> Harness:
    admin = harness.admin
    admin.create_workspace("acme")
    admin.create_environment("acme", "prod")
    for body in (
        connection("openai-main", "openai"),
        connection("groq-main", "groq"),
        connection("claude", "anthropic", allowedModels=["claude-3-5-sonnet-20241022"]),
    ):
        expect(admin.post(f"{ENV}/connections", body), 201)
    return harness


def resource(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "chat", "model": {"provider": "openai", "model": "gpt-4o-mini"}}
    body.update(fields)
    return body


def chat(text: str = "hi", **fields: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}], **fields}


def dry_run(api: Api, body: dict[str, Any], name: str = "chat") -> dict[str, Any]:
    result: dict[str, Any] = expect(api.post(f"{BASE}/{name}/test-route", body), 200)
    assert set(result) == {"rule", "blocked", "message", "events", "chain"}, result
    return result


def chain(result: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [
        (s["provider"], s["model"], s["connection"] and s["connection"]["name"])
        for s in result["chain"]
    ]


def insert_key(harness: Harness, environment_id: str, name: str, labels: list[str]) -> str:
    async def work(session: AsyncSession) -> str:
        key = ApiKey(
            environment_id=environment_id,
            name=name,
            key_prefix="sk-sb-xxxx",
            key_hash=secrets.token_hex(32),
            labels=labels,
        )
        session.add(key)
        await session.flush()
        return key.id

    return run_db(harness.database_url, work)


def environment_id(admin: Api, environment: str = "prod") -> str:
    found: str = expect(admin.get(f"/api/v1/workspaces/acme/environments/{environment}"), 200)["id"]
    return found


# -- CRUD ----------------------------------------------------------------------------------


def test_create_get_list_update_delete(world: Harness) -> None:
    admin = world.admin
    body = resource(
        description="the chat endpoint",
        routing=SEED_TOKENS,
        useFallback=True,
        fallbackModels=[{"provider": "anthropic", "model": "claude-3-5-sonnet-20241022"}],
        capacity=[{"period": "minute", "requests": 50, "tokens": 50000}],
        enforceCapacity=True,
        maxQueueWaitMs=2000,
    )
    created = expect(admin.post(BASE, body), 201)
    assert created["model"] == {"provider": "openai", "model": "gpt-4o-mini"}
    assert created["routing"] == SEED_TOKENS
    assert created["fallbackModels"] == body["fallbackModels"]
    assert created["capacity"] == [{"period": "minute", "requests": 50, "tokens": 50000}]
    assert (created["useFallback"], created["enforceCapacity"]) == (True, True)
    assert (created["maxQueueWaitMs"], created["assignApiKeys"]) == (2000, [])

    assert expect(admin.get(f"{BASE}/chat"), 200) == created
    assert expect(admin.get(f"{BASE}/{created['id']}"), 200) == created
    listed = expect(admin.get(BASE), 200)
    assert ([r["name"] for r in listed["items"]], listed["total"]) == (["chat"], 1)

    pinned = {"provider": "openai", "model": "gpt-4o", "connection": "openai-main"}
    updated = expect(
        admin.patch(
            f"{BASE}/chat",
            {"routing": None, "model": pinned, "maxQueueWaitMs": None, "name": "chat-2"},
        ),
        200,
    )
    assert (updated["routing"], updated["model"], updated["maxQueueWaitMs"]) == (None, pinned, None)
    assert updated["name"] == "chat-2" and updated["fallbackModels"] == body["fallbackModels"]
    expect(admin.delete(f"{BASE}/chat-2"), 204)
    expect_error(admin.get(f"{BASE}/chat-2"), 404, says="resource 'chat-2' not found")

    async def audited(session: AsyncSession) -> list[str]:
        rows = await session.execute(select(AuditEvent.action).order_by(AuditEvent.occurred_at))
        return [action for action in rows.scalars() if action.startswith("ai-resource:")]

    actions = run_db(world.database_url, audited)
    assert actions == ["ai-resource:create", "ai-resource:update", "ai-resource:delete"]


def test_names_are_unique_in_an_environment(world: Harness) -> None:
    expect(world.admin.post(BASE, resource()), 201)
    expect_error(world.admin.post(BASE, resource()), 409, param="name")
    expect(world.admin.post(BASE, resource(name="other")), 201)
    expect_error(world.admin.patch(f"{BASE}/other", {"name": "chat"}), 409, param="name")


BAD_EXPRESSION = {
    "mode": "advanced",
    "conditions": [{"expression": "requestTokens < 10 && foo", "then": {"action": "block"}}],
}


@pytest.mark.parametrize(
    ("fields", "param", "says"),
    [
        (
            {"model": {"provider": "nope", "model": "m"}},
            "model.provider",
            "'nope' is not installed",
        ),
        (
            {"model": {"provider": "openai", "model": "m", "connection": "ghost"}},
            "model.connection",
            "connection 'ghost' does not exist",
        ),
        (
            {"model": {"provider": "openai", "model": "m", "connection": "groq-main"}},
            "model.connection",
            "connection 'groq-main' is of provider 'groq', not 'openai'",
        ),
        (
            {"model": {"provider": "anthropic", "model": "claude-2", "connection": "claude"}},
            "model.model",
            "does not allow model 'claude-2'",
        ),
        ({"model": {"provider": "openai"}}, None, "missing required field `model`"),
        (
            {
                "fallbackModels": [
                    {"provider": "groq", "model": "m"},
                    {"provider": "x", "model": "m"},
                ]
            },
            "fallbackModels[1].provider",
            "'x' is not installed",
        ),
        (
            {
                "routing": {
                    "conditions": [{"if": [{"field": "requestTokens", "operator": "below"}]}]
                }
            },
            "routing.conditions[0].then",
            "say what to do",
        ),
        (
            {
                "routing": {
                    **SEED_TOKENS,
                    "conditions": [
                        {
                            **SEED_TOKENS["conditions"][0],
                            "if": [{"field": "requestTokens", "operator": "below", "value": 1}],
                        }
                    ],
                }
            },
            "routing.conditions[0].if[0].operator",
            "unknown operator 'below'",
        ),
        (
            {"routing": BAD_EXPRESSION},
            "routing.conditions[0].expression",
            "unknown name 'foo' at column 23",
        ),
        (
            {"routing": {"conditions": [{"then": {"provider": "mistral", "model": "m"}}]}},
            "routing.conditions[0].then.provider",
            "'mistral' is not installed",
        ),
        (
            {
                "routing": {
                    "conditions": [
                        {"then": {"provider": "groq", "model": "m", "connection": "claude"}}
                    ]
                }
            },
            "routing.conditions[0].then.connection",
            "connection 'claude' is of provider 'anthropic', not 'groq'",
        ),
        ({"capacity": [{"period": "minute"}]}, "capacity[0]", "set requests, tokens or both"),
        ({"maxQueueWaitMs": 300001}, None, "Expected `int` <= 300000"),
        ({"assignApiKeys": ["ghost"]}, "assignApiKeys[0]", "API key 'ghost' does not exist"),
        ({"colour": "red"}, None, "unknown field `colour`"),
    ],
)
def test_bad_resources_are_refused_naming_the_field(
    world: Harness, fields: dict[str, Any], param: str | None, says: str
) -> None:
    error = expect_error(world.admin.post(BASE, resource(**fields)), 400, says=says)
    if param is not None:
        assert error["param"] == param
    expect(world.admin.post(BASE, resource()), 201)  # nothing was half-created
    expect_error(world.admin.patch(f"{BASE}/chat", fields), 400, says=says)


def test_a_provider_switched_off_in_the_environment_cannot_be_used(world: Harness) -> None:
    expect(world.admin.patch(ENV, {"plugins": {"groq": {"enabled": False}}}), 200)
    body = resource(model={"provider": "groq", "model": "llama"})
    expect_error(world.admin.post(BASE, body), 400, param="model.provider", says="groq")


# -- API keys ------------------------------------------------------------------------------


def test_api_keys_are_assigned_by_name_or_id(world: Harness) -> None:
    admin = world.admin
    prod = environment_id(admin)
    backend = insert_key(world, prod, "backend-service", [])
    insert_key(world, prod, "batch", [])
    admin.create_environment("acme", "dev")
    insert_key(world, environment_id(admin, "dev"), "dev-key", [])

    created = expect(admin.post(BASE, resource(assignApiKeys=[backend, "batch", "batch"])), 201)
    assert created["assignApiKeys"] == ["backend-service", "batch"]
    expect_error(
        admin.patch(f"{BASE}/chat", {"assignApiKeys": ["batch", "dev-key"]}),
        400,
        param="assignApiKeys[1]",
        says="API key 'dev-key' does not exist in environment 'prod'",
    )
    updated = expect(admin.patch(f"{BASE}/chat", {"assignApiKeys": ["backend-service"]}), 200)
    assert updated["assignApiKeys"] == ["backend-service"]
    assert expect(admin.get(BASE), 200)["items"][0]["assignApiKeys"] == ["backend-service"]

    async def links(session: AsyncSession) -> list[tuple[str, str]]:
        rows = await session.execute(select(ApiKeyResource.api_key_id, ApiKeyResource.resource_id))
        return [(key, res) for key, res in rows]

    assert run_db(world.database_url, links) == [(backend, created["id"])]
    expect(admin.delete(f"{BASE}/chat"), 204)
    assert run_db(world.database_url, links) == []


# -- permissions ---------------------------------------------------------------------------


def test_read_only_members_read_and_dry_run_but_cannot_change(world: Harness) -> None:
    expect(world.admin.post(BASE, resource(routing=SEED_TOKENS)), 201)
    reader = world.user("reader", "read-only", password=PASSWORD)
    world.admin.add_member("acme", "reader")
    assert expect(reader.get(BASE), 200)["total"] == 1
    expect(reader.get(f"{BASE}/chat"), 200)
    assert dry_run(reader, {"request": chat()})["rule"] == "conditions[0]"
    target = "workspace:acme:environment:prod:ai-resource"
    expect_error(
        reader.post(BASE, resource(name="mine")),
        403,
        says=f"ai-resource:create on {target}:mine",
    )
    expect_error(reader.patch(f"{BASE}/chat", {"description": "x"}), 403)
    expect_error(reader.delete(f"{BASE}/chat"), 403)


def test_power_users_act_only_in_workspaces_they_belong_to(world: Harness) -> None:
    member = world.user("member", "power-user", password=PASSWORD)
    outsider = world.user("outsider", "power-user", password=PASSWORD)
    world.admin.add_member("acme", "member")
    expect(member.post(BASE, resource()), 201)
    expect(member.patch(f"{BASE}/chat", {"description": "mine"}), 200)
    assert dry_run(member, {"request": chat()})["rule"] == "primary"
    expect_error(outsider.get(f"{BASE}/chat"), 403, says="ai-resource:get")
    expect_error(outsider.post(f"{BASE}/chat/test-route", {"request": chat()}), 403)
    expect_error(outsider.get(BASE), 403, says="outsider is not a member of workspace acme")
    expect(member.delete(f"{BASE}/chat"), 204)


# -- the dry run ---------------------------------------------------------------------------


def test_dry_run_seed_small_requests_go_to_groq(world: Harness) -> None:
    fallback = [{"provider": "anthropic", "model": "claude-3-5-sonnet-20241022"}]
    body = resource(routing=SEED_TOKENS, useFallback=True, fallbackModels=fallback)
    expect(world.admin.post(BASE, body), 201)
    small = dry_run(world.admin, {"request": chat("hi")})
    assert (small["rule"], small["blocked"], small["message"]) == ("conditions[0]", False, None)
    assert chain(small) == [
        ("groq", "llama-3.1-70b-versatile", "groq-main"),
        ("anthropic", "claude-3-5-sonnet-20241022", "claude"),
    ]
    assert small["events"][0].startswith("conditions[0] (Use Groq for small requests): matched")
    big = dry_run(world.admin, {"request": chat("x" * 1000)})
    assert big["rule"] == "primary"
    assert chain(big) == [
        ("openai", "gpt-4o-mini", "openai-main"),
        ("anthropic", "claude-3-5-sonnet-20241022", "claude"),
    ]


def test_dry_run_seed_error_rate_switches_to_anthropic(world: Harness) -> None:
    expect(world.admin.post(BASE, resource(routing=SEED_ERROR_RATE)), 201)
    healthy = dry_run(world.admin, {"request": chat()})
    assert (healthy["rule"], chain(healthy)) == (
        "primary",
        [("openai", "gpt-4o-mini", "openai-main")],
    )
    rates = [{"provider": "openai", "model": "gpt-4o-mini", "rate": 25, "status": 503}]
    failing = dry_run(world.admin, {"request": chat(), "errorRates": rates})
    assert failing["rule"] == "conditions[0]"
    assert chain(failing) == [("anthropic", "claude-3-5-sonnet-20241022", "claude")]
    assert "(errorRate = 25.0)" in failing["events"][0]
    elsewhere = [{"provider": "groq", "model": "llama", "rate": 90}]
    assert dry_run(world.admin, {"request": chat(), "errorRates": elsewhere})["rule"] == "primary"


def test_dry_run_error_rates_of_one_connection(world: Harness) -> None:
    per_connection = {
        "conditions": [
            {
                "if": [
                    {
                        "field": "errorRate",
                        "operator": "greaterThan",
                        "value": 20,
                        "connection": "openai-main",
                    }
                ],
                "then": {"provider": "groq", "model": "llama-3.1-70b-versatile"},
            }
        ]
    }
    expect(world.admin.post(BASE, resource(routing=per_connection)), 201)
    main_id = expect(world.admin.get(f"{ENV}/connections/openai-main"), 200)["id"]
    model = {"provider": "openai", "model": "gpt-4o-mini", "rate": 30}
    for via in ("openai-main", main_id):
        rates = [{**model, "connection": via}]
        result = dry_run(world.admin, {"request": chat(), "errorRates": rates})
        assert result["rule"] == "conditions[0]", result
        assert "(errorRate = 30.0)" in result["events"][0]
    # Without a connection the attempts went through none a rule can name.
    assert dry_run(world.admin, {"request": chat(), "errorRates": [model]})["rule"] == "primary"
    mixed = [{**model, "rate": 10, "connection": "openai-main"}, {**model, "rate": 90}]
    assert dry_run(world.admin, {"request": chat(), "errorRates": mixed})["rule"] == "primary"


def test_dry_run_seed_requests_with_tools_go_to_gpt_4o(world: Harness) -> None:
    expect(world.admin.post(BASE, resource(routing=SEED_TOOLS)), 201)
    tools = dry_run(world.admin, {"request": chat(tools=[TOOL])})
    assert (tools["rule"], chain(tools)) == ("conditions[0]", [("openai", "gpt-4o", "openai-main")])
    plain = dry_run(world.admin, {"request": chat()})
    assert (plain["rule"], chain(plain)) == ("primary", [("openai", "gpt-4o-mini", "openai-main")])


def test_dry_run_seed_advanced_expression_with_its_traffic_share(world: Harness) -> None:
    expect(world.admin.post(BASE, resource(routing=SEED_ADVANCED)), 201)
    rules = {dry_run(world.admin, {"request": chat()})["rule"] for _ in range(40)}
    assert rules == {"conditions[0]", "primary"}  # half of the matching requests each way
    unhealthy = [{"provider": "openai", "model": "gpt-4o-mini", "rate": 5}]
    for _ in range(10):
        result = dry_run(world.admin, {"request": chat(), "errorRates": unhealthy})
        assert result["rule"] == "primary"
        assert result["events"][0] == (
            "conditions[0] (Complex routing logic): not matched: expression is false"
        )


def test_dry_run_shows_the_fallback_chain_and_models_no_connection_serves(
    world: Harness,
) -> None:
    fallbacks = [
        {"provider": "anthropic", "model": "claude-3-5-sonnet-20241022", "connection": "claude"},
        {"provider": "anthropic", "model": "claude-3-opus"},
        {"provider": "bedrock", "model": "anthropic.claude-3-5-sonnet-20241022-v2:0"},
        {"provider": "openai", "model": "gpt-4o-mini"},
    ]
    body = resource(useFallback=True, fallbackModels=fallbacks)
    expect(world.admin.post(BASE, body), 201)
    result = dry_run(world.admin, {"request": chat()})
    assert result["rule"] == "primary"
    assert chain(result) == [
        ("openai", "gpt-4o-mini", "openai-main"),
        ("anthropic", "claude-3-5-sonnet-20241022", "claude"),
        ("anthropic", "claude-3-opus", None),
        ("bedrock", "anthropic.claude-3-5-sonnet-20241022-v2:0", None),
    ]
    assert (
        "no connection of provider 'anthropic' admits model 'claude-3-opus'"
        in (result["chain"][2]["note"])
    )
    assert result["chain"][0]["note"] is None
    expect(world.admin.patch(f"{BASE}/chat", {"useFallback": False}), 200)
    assert len(dry_run(world.admin, {"request": chat()})["chain"]) == 1


def test_dry_run_block_key_labels_and_headers(world: Harness) -> None:
    prod = environment_id(world.admin)
    insert_key(world, prod, "backend-service", ["beta"])
    routing = {
        "conditions": [
            {
                "if": [{"field": "headers.x-tenant", "operator": "equals", "value": "evil"}],
                "then": {"action": "block", "message": "Tenant suspended."},
            },
            {
                "if": [
                    {"field": "apiKeyName", "operator": "equals", "value": "backend-service"},
                    {"field": "apiKeyLabels", "operator": "contains", "value": "beta"},
                ],
                "then": {"provider": "groq", "model": "llama-3.1-70b-versatile"},
            },
        ]
    }
    expect(world.admin.post(BASE, resource(routing=routing)), 201)
    blocked = dry_run(world.admin, {"request": chat(), "headers": {"X-Tenant": "evil"}})
    assert (blocked["rule"], blocked["blocked"], blocked["message"]) == (
        "conditions[0]",
        True,
        "Tenant suspended.",
    )
    assert blocked["chain"] == []
    keyed = dry_run(world.admin, {"request": chat(), "apiKey": "backend-service"})
    assert (keyed["rule"], chain(keyed)) == (
        "conditions[1]",
        [("groq", "llama-3.1-70b-versatile", "groq-main")],
    )
    assert dry_run(world.admin, {"request": chat()})["rule"] == "primary"  # the admin's name


@pytest.mark.parametrize(
    ("body", "param", "says"),
    [
        ({"request": {"messages": "hi"}}, "request.messages", "Expected `array`"),
        ({"request": chat(), "apiKey": "ghost"}, "apiKey", "API key 'ghost' does not exist"),
        (
            {"request": chat(), "errorRates": [{"provider": "openai", "model": "m", "rate": 101}]},
            None,
            "Expected `float` <= 100.0",
        ),
        (
            {
                "request": chat(),
                "errorRates": [
                    {"provider": "openai", "model": "m", "rate": 60},
                    {"provider": "openai", "model": "m", "rate": 60, "status": 429},
                ],
            },
            "errorRates[1].rate",
            "add up to more than 100",
        ),
        (
            {
                "request": chat(),
                "errorRates": [{"provider": "o", "model": "m", "rate": 1, "status": 200}],
            },
            "errorRates[0].status",
            "a failure status",
        ),
        (
            {
                "request": chat(),
                "errorRates": [{"provider": "openai", "model": "m", "rate": 1, "connection": "x"}],
            },
            "errorRates[0].connection",
            "no connection 'x' in this environment",
        ),
        (
            {
                "request": chat(),
                "errorRates": [
                    {"provider": "openai", "model": "m", "rate": 1, "connection": "groq-main"}
                ],
            },
            "errorRates[0].connection",
            "'groq-main' is a groq connection, not openai",
        ),
    ],
)
def test_bad_dry_runs_are_refused_naming_the_field(
    world: Harness, body: dict[str, Any], param: str | None, says: str
) -> None:
    expect(world.admin.post(BASE, resource()), 201)
    error = expect_error(world.admin.post(f"{BASE}/chat/test-route", body), 400, says=says)
    if param is not None:
        assert error["param"] == param
    expect_error(world.admin.post(f"{BASE}/ghost/test-route", {"request": chat()}), 404)
