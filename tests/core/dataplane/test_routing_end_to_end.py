"""Routing end to end: every routing example of the seed as written, advanced expressions, a
traffic split measured over 1,000 requests, blocks, and conditions on a request header and
on a key's labels, each checked by which fake provider got the call and by the
``x-switchboard-*`` headers of the answer."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import Any, Protocol

import anthropic
import openai
import pytest
import yaml

from switchboard.testing.fakes.base import FakeServer, Reply
from switchboard.testing.fakes.openai import OpenAIFake
from switchboard.testing.openai_schema import validate
from tests.core.api.client import expect
from tests.core.dataplane.conftest import ENV, World
from tests.seed_examples import SEED_ADVANCED, SEED_ERROR_RATE, SEED_TOKENS, SEED_TOOLS

GROQ_KEY = "gsk-upstream-groq"
GROQ_MODEL = "llama-3.1-70b-versatile"
SHORT = "What is 2 + 2?"  # a few tokens
LONG = "Please summarise the following notes. " + "word " * 400  # some 500 tokens

MAIN_MINI = {"provider": "openai", "model": "gpt-4o-mini", "connection": "openai-main"}
WEATHER_TOOL: Any = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object"}},
}


def seed(text: str) -> dict[str, Any]:
    """The ``routing`` value of a seed example."""
    routing: dict[str, Any] = yaml.safe_load(text)["routing"]
    return routing


def groq_fake(world: World) -> OpenAIFake:
    """A Groq stand-in (OpenAI's wire format under ``/openai/v1``) behind ``groq-main``."""
    fake = world.start(OpenAIFake(api_key=GROQ_KEY, model=GROQ_MODEL))
    world.connection("groq-main", "groq", fake.url + "/openai/v1", api_key=GROQ_KEY)
    return fake


class Answer(Protocol):
    """An HTTP response, from httpx or from the openai SDK's own copy of it."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def text(self) -> str: ...
    def json(self) -> Any: ...


def served(
    response: Answer, route: str, provider: str, model: str, connection: str
) -> dict[str, Any]:
    """Assert a 200 answer valid against OpenAI's schema, served as the headers say."""
    assert response.status_code == 200, response.text
    headers = response.headers
    assert (
        headers["x-switchboard-route"],
        headers["x-switchboard-provider"],
        headers["x-switchboard-model"],
        headers["x-switchboard-connection"],
    ) == (route, provider, model, connection)
    body: dict[str, Any] = response.json()
    validate("CreateChatCompletionResponse", body)
    return body


def counts(*fakes: FakeServer) -> tuple[int, ...]:
    """How many requests each fake has received."""
    return tuple(len(f.requests) for f in fakes)


def test_seed_small_requests_go_to_groq(world: World) -> None:
    groq = groq_fake(world)
    world.resource("router", model=MAIN_MINI, routing=seed(SEED_TOKENS))
    world.assign("backend", "router")
    groq.script(groq.completion("4, says Groq"))
    raw = world.client().chat.completions.with_raw_response.create(
        model="router", messages=[{"role": "user", "content": SHORT}]
    )
    assert raw.parse().choices[0].message.content == "4, says Groq"
    served(raw.http_response, "conditions[0]", "groq", GROQ_MODEL, "groq-main")
    assert groq.last.path == "/openai/v1/chat/completions"
    assert groq.last.json["model"] == GROQ_MODEL
    assert groq.last.header("authorization") == f"Bearer {GROQ_KEY}"
    assert counts(groq, world.openai_fake) == (1, 0)

    # Streams are routed alike.
    groq.script(groq.stream([groq.chunk({"role": "assistant", "content": "fo"}), groq.chunk({})]))
    with world.client().chat.completions.with_streaming_response.create(
        model="router", messages=[{"role": "user", "content": SHORT}], stream=True
    ) as streamed:
        assert streamed.headers["x-switchboard-route"] == "conditions[0]"
        chunks = list(streamed.parse())
    assert chunks[0].choices[0].delta.content == "fo"
    for chunk in chunks:
        validate(
            "CreateChatCompletionStreamResponse",
            json.loads(chunk.model_dump_json(exclude_unset=True)),
        )
    assert counts(groq, world.openai_fake) == (2, 0)

    # A long request is not small: the primary model answers.
    raw = world.client().chat.completions.with_raw_response.create(
        model="router", messages=[{"role": "user", "content": LONG}]
    )
    served(raw.http_response, "primary", "openai", "gpt-4o-mini", "openai-main")
    assert counts(groq, world.openai_fake) == (2, 1)
    assert world.openai_fake.last.json["model"] == "gpt-4o-mini"


def test_seed_high_error_rate_switches_to_anthropic(world: World) -> None:
    world.resource(
        "guarded",
        model={"provider": "openai", "model": "gpt-4o", "connection": "openai-main"},
        useFallback=True,
        fallbackModels=[
            {"provider": "openai", "model": "gpt-4o-mini", "connection": "openai-backup"}
        ],
        routing=seed(SEED_ERROR_RATE),
    )
    world.assign("backend", "guarded")
    primary, backup, claude = world.openai_fake, world.backup_fake, world.anthropic_fake
    client = world.client()

    def ask() -> Answer:
        raw = client.chat.completions.with_raw_response.create(
            model="guarded", messages=[{"role": "user", "content": SHORT}], max_tokens=50
        )
        return raw.http_response

    for _ in range(9):
        served(ask(), "primary", "openai", "gpt-4o", "openai-main")
    primary.script(primary.error(500, "primary melted", "server_error"))
    failed_over = ask()  # 1 failure in 10 attempts of gpt-4o: 10%, not above 10
    served(failed_over, "primary", "openai", "gpt-4o-mini", "openai-backup")
    assert failed_over.headers["x-switchboard-attempts"] == "2"
    served(ask(), "primary", "openai", "gpt-4o", "openai-main")  # 1 in 11
    primary.script(primary.error(503, "primary melted again", "server_error"))
    served(ask(), "primary", "openai", "gpt-4o-mini", "openai-backup")  # 2 in 12: 16.7%
    assert counts(primary, backup, claude) == (12, 2, 0)

    claude.script(claude.text("Claude took over", input_tokens=6, output_tokens=3))
    switched = ask()
    body = served(switched, "conditions[0]", "anthropic", "claude-3-5-sonnet-20241022", "claude")
    assert body["choices"][0]["message"]["content"] == "Claude took over"
    assert switched.headers["x-switchboard-attempts"] == "1"
    assert counts(primary, backup, claude) == (12, 2, 1)
    assert claude.last.path == "/v1/messages"
    assert claude.last.json["model"] == "claude-3-5-sonnet-20241022"
    assert claude.last.json["max_tokens"] == 50
    # The rate stays high for the window: the next request goes to Anthropic too.
    served(ask(), "conditions[0]", "anthropic", "claude-3-5-sonnet-20241022", "claude")
    assert counts(primary, backup, claude) == (12, 2, 2)


def test_seed_requests_with_tools_go_to_gpt_4o(world: World) -> None:
    world.resource("tooling", model=MAIN_MINI, routing=seed(SEED_TOOLS))
    world.assign("backend", "tooling")
    backup = world.backup_fake
    backup.script(
        backup.completion(
            None,
            finish_reason="tool_calls",
            tool_calls=[
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": "{}"},
                }
            ],
        )
    )
    raw = world.client().chat.completions.with_raw_response.create(
        model="tooling", messages=[{"role": "user", "content": "Weather?"}], tools=[WEATHER_TOOL]
    )
    # No connection named in `then`: the first openai connection by name serves gpt-4o.
    served(raw.http_response, "conditions[0]", "openai", "gpt-4o", "openai-backup")
    assert raw.parse().choices[0].finish_reason == "tool_calls"
    assert backup.last.json["model"] == "gpt-4o"
    assert backup.last.json["tools"] == [WEATHER_TOOL]
    assert counts(world.openai_fake, backup) == (0, 1)

    raw = world.client().chat.completions.with_raw_response.create(
        model="tooling", messages=[{"role": "user", "content": "Weather?"}]
    )
    served(raw.http_response, "primary", "openai", "gpt-4o-mini", "openai-main")
    assert "tools" not in world.openai_fake.last.json
    assert counts(world.openai_fake, backup) == (1, 1)


def test_seed_advanced_expression_splits_traffic_over_1000_requests(world: World) -> None:
    groq = groq_fake(world)
    world.resource("split", model=MAIN_MINI, routing=seed(SEED_ADVANCED))
    world.assign("backend", "split")
    expected = {
        "conditions[0]": ("groq", GROQ_MODEL, "groq-main"),
        "primary": ("openai", "gpt-4o-mini", "openai-main"),
    }
    routes: Counter[str] = Counter()
    for _ in range(1000):
        response = world.chat("split", SHORT)
        route = response.headers.get("x-switchboard-route", "")
        routes[route] += 1
        served(response, route, *expected.get(route, ("?", "?", "?")))
    assert set(routes) == {"conditions[0]", "primary"}
    assert routes["conditions[0]"] + routes["primary"] == 1000
    assert 400 <= routes["conditions[0]"] <= 600, routes
    assert counts(groq, world.openai_fake) == (routes["conditions[0]"], routes["primary"])

    # Requests the expression does not match never take the share.
    before = counts(groq)
    for _ in range(20):
        served(world.chat("split", LONG), "primary", "openai", "gpt-4o-mini", "openai-main")
    assert counts(groq) == before


def test_seed_advanced_expression_skips_groq_while_errors_are_high(world: World) -> None:
    groq = groq_fake(world)
    world.resource(
        "split",
        model=MAIN_MINI,
        useFallback=True,
        fallbackModels=[{"provider": "openai", "model": "gpt-4o", "connection": "openai-backup"}],
        routing=seed(SEED_ADVANCED),
    )
    world.assign("backend", "split")
    # A long request always takes the primary model; it fails over, and the primary's error
    # rate is now 100%.
    world.openai_fake.script(world.openai_fake.error(502, "bad gateway upstream", "server_error"))
    served(world.chat("split", LONG), "primary", "openai", "gpt-4o", "openai-backup")
    # Half of these would go to Groq (one in a million none would) if errorRate were ignored.
    for _ in range(20):
        served(world.chat("split", SHORT), "primary", "openai", "gpt-4o-mini", "openai-main")
    assert counts(groq) == (0,)


def test_advanced_expressions_over_headers_labels_metadata_and_functions(world: World) -> None:
    groq = groq_fake(world)
    world.resource(
        "smart",
        model=MAIN_MINI,
        routing={
            "mode": "advanced",
            "conditions": [
                {
                    "description": "VIP keys of tenant acme",
                    "expression": "headers['x-tenant'] == 'acme' and 'vip' in apiKeyLabels",
                    "then": {
                        "provider": "openai",
                        "model": "gpt-4o",
                        "connection": "openai-backup",
                    },
                },
                {
                    "description": "Gold customers with long prompts",
                    "expression": "metadata.tier == 'gold' and requestTokens > 2000",
                    "then": {"provider": "anthropic", "model": "claude-3-5-sonnet-20241022"},
                },
                {
                    "description": "Failing at run time does not match",
                    "expression": "1 / (messagesCount - 1) > 0",
                    "then": {"action": "block", "message": "never"},
                },
                {
                    "description": "Translations without tools",
                    "expression": "startsWith(lower(lastMessage), 'translate') && !hasTools",
                    "then": {"provider": "groq", "model": GROQ_MODEL},
                },
            ],
        },
    )
    world.assign("backend", "smart")
    vip = world.create_key("vip-key", "smart", labels=["vip", "eu"])
    huge = "gold " * 2000  # some 2500 tokens
    cases: list[tuple[str, dict[str, Any], str, tuple[str, str, str]]] = [
        ("vip+tenant", {"key": vip, "headers": {"X-Tenant": "acme"}}, "conditions[0]",
         ("openai", "gpt-4o", "openai-backup")),
        ("vip, other tenant", {"key": vip, "headers": {"X-Tenant": "globex"}}, "primary",
         ("openai", "gpt-4o-mini", "openai-main")),
        ("tenant, no vip", {"headers": {"x-tenant": "acme"}}, "primary",
         ("openai", "gpt-4o-mini", "openai-main")),
        ("gold, long", {"content": huge, "metadata": {"tier": "gold"}}, "conditions[1]",
         ("anthropic", "claude-3-5-sonnet-20241022", "claude")),
        ("gold, short", {"metadata": {"tier": "gold"}}, "primary",
         ("openai", "gpt-4o-mini", "openai-main")),
        ("silver, long", {"content": huge, "metadata": {"tier": "silver"}}, "primary",
         ("openai", "gpt-4o-mini", "openai-main")),
        ("translate", {"content": "Translate 'bonjour'"}, "conditions[3]",
         ("groq", GROQ_MODEL, "groq-main")),
        ("translate with tools", {"content": "TRANSLATE this", "tools": [WEATHER_TOOL]},
         "primary", ("openai", "gpt-4o-mini", "openai-main")),
    ]  # fmt: skip
    fakes = {
        "openai-main": world.openai_fake,
        "openai-backup": world.backup_fake,
        "claude": world.anthropic_fake,
        "groq-main": groq,
    }
    for name, fields, route, (provider, model, connection) in cases:
        before = {c: len(f.requests) for c, f in fakes.items()}
        content = fields.pop("content", SHORT)
        response = world.chat("smart", content, **fields)
        try:
            served(response, route, provider, model, connection)
        except AssertionError as exc:
            raise AssertionError(f"case {name!r}: {exc}") from None
        after = {c: len(f.requests) for c, f in fakes.items()}
        assert after == {**before, connection: before[connection] + 1}, name


def test_block_refuses_with_the_message_and_calls_nobody(world: World) -> None:
    message = "Requests mentioning secrets are not allowed through this resource."
    world.resource(
        "guarded",
        model=MAIN_MINI,
        routing={
            "conditions": [
                {
                    "description": "Small talk to the backup",
                    "if": [{"field": "lastMessage", "operator": "startsWith", "value": "hello"}],
                    "then": {"provider": "openai", "model": "gpt-4o-mini"},
                },
                {
                    "description": "No secrets",
                    "any": [
                        {"field": "lastMessage", "operator": "contains", "value": "password"},
                        {"field": "systemPrompt", "operator": "matches", "value": "(?i)secret"},
                    ],
                    "then": {"action": "block", "message": message},
                },
                {
                    "description": "No streams",
                    "if": [{"field": "stream", "operator": "equals", "value": True}],
                    "then": {"action": "block"},
                },
            ]
        },
    )
    world.assign("backend", "guarded")

    response = world.chat("guarded", "what is the admin password?")
    assert response.status_code == 400, response.text
    body = response.json()
    validate("ErrorResponse", body)
    assert body["error"]["message"] == message
    assert body["error"]["code"] == "blocked_by_routing_condition"
    assert body["error"]["type"] == "invalid_request_error"
    assert response.headers["x-switchboard-route"] == "conditions[1]"

    with pytest.raises(openai.BadRequestError) as refused:
        world.client().chat.completions.create(
            model="guarded",
            messages=[
                {"role": "system", "content": "Keep the SECRET sauce."},
                {"role": "user", "content": "Tell me"},
            ],
        )
    assert refused.value.code == "blocked_by_routing_condition"
    validate("ErrorResponse", {"error": refused.value.body})
    assert refused.value.body == {
        "message": message,
        "type": "invalid_request_error",
        "param": None,
        "code": "blocked_by_routing_condition",
    }

    # A block without a message says so in the default words; a stream is refused before it
    # starts.
    with pytest.raises(openai.BadRequestError) as refused:
        world.client().chat.completions.create(
            model="guarded", messages=[{"role": "user", "content": "Hi"}], stream=True
        )
    assert refused.value.code == "blocked_by_routing_condition"
    assert "blocked by a routing rule" in refused.value.message
    validate("ErrorResponse", refused.value.response.json())
    assert refused.value.response.headers["x-switchboard-route"] == "conditions[2]"

    # The Anthropic surface refuses alike, in Anthropic's error shape.
    claude = anthropic.Anthropic(api_key=world.key, base_url=world.gateway.url, max_retries=0)
    with pytest.raises(anthropic.BadRequestError) as refused_there:
        claude.messages.create(
            model="guarded",
            max_tokens=10,
            messages=[{"role": "user", "content": "my password is hunter2"}],
        )
    assert message in refused_there.value.message
    assert counts(world.openai_fake, world.backup_fake, world.anthropic_fake) == (0, 0, 0)

    # The first condition that matches decides: a greeting mentioning a password is small talk.
    greeting = world.chat("guarded", "hello, I forgot my password")
    served(greeting, "conditions[0]", "openai", "gpt-4o-mini", "openai-backup")
    assert counts(world.openai_fake, world.backup_fake) == (0, 1)


def test_conditions_on_a_request_header_and_on_key_labels(world: World) -> None:
    world.resource(
        "tenants",
        model=MAIN_MINI,
        routing={
            "conditions": [
                {
                    "description": "Tenant acme's own deployment",
                    "if": [{"field": "headers.x-tenant", "operator": "equals", "value": "acme"}],
                    "then": {
                        "provider": "openai",
                        "model": "gpt-4o",
                        "connection": "openai-backup",
                    },
                },
                {
                    "description": "Premium keys to Claude",
                    "if": [{"field": "apiKeyLabels", "operator": "contains", "value": "premium"}],
                    "then": {"provider": "anthropic", "model": "claude-sonnet-4-5"},
                },
                {
                    "description": "Credentials never reach a rule",
                    "any": [
                        {"field": "headers.authorization", "operator": "exists", "value": True},
                        {"field": "headers.x-api-key", "operator": "exists", "value": True},
                        {"field": "headers.cookie", "operator": "exists", "value": True},
                    ],
                    "then": {"action": "block", "message": "a rule saw the caller's credentials"},
                },
            ]
        },
    )
    world.assign("backend", "tenants")
    premium = world.create_key("premium-key", "tenants", labels=["team-a", "premium"])
    plain = world.create_key("plain-key", "tenants", labels=["team-a"])
    main, backup, claude = world.openai_fake, world.backup_fake, world.anthropic_fake

    served(
        world.chat("tenants", headers={"x-api-key": world.key, "cookie": "session=1"}),
        "primary",
        "openai",
        "gpt-4o-mini",
        "openai-main",
    )
    served(
        world.chat("tenants", headers={"X-Tenant": "acme"}),
        "conditions[0]",
        "openai",
        "gpt-4o",
        "openai-backup",
    )
    served(
        world.chat("tenants", headers={"x-tenant": "globex"}),
        "primary",
        "openai",
        "gpt-4o-mini",
        "openai-main",
    )
    assert counts(main, backup, claude) == (2, 1, 0)

    served(
        world.chat("tenants", key=premium),
        "conditions[1]",
        "anthropic",
        "claude-sonnet-4-5",
        "claude",
    )
    served(world.chat("tenants", key=plain), "primary", "openai", "gpt-4o-mini", "openai-main")
    # Both hold: the first condition wins.
    served(
        world.chat("tenants", key=premium, headers={"x-tenant": "acme"}),
        "conditions[0]",
        "openai",
        "gpt-4o",
        "openai-backup",
    )
    assert counts(main, backup, claude) == (3, 2, 1)

    # Labels are read per request: relabelling the key reroutes it at once.
    expect(world.admin.patch(f"{ENV}/api-keys/plain-key", {"labels": ["premium"]}), 200)
    served(
        world.chat("tenants", key=plain),
        "conditions[1]",
        "anthropic",
        "claude-sonnet-4-5",
        "claude",
    )
    assert claude.last.json["model"] == "claude-sonnet-4-5"


def test_a_malformed_answer_counts_as_an_error_for_error_rates(world: World) -> None:
    world.resource(
        "guarded",
        model={"provider": "openai", "model": "gpt-4o", "connection": "openai-main"},
        useFallback=True,
        fallbackModels=[
            {"provider": "openai", "model": "gpt-4o-mini", "connection": "openai-backup"}
        ],
        routing=seed(SEED_ERROR_RATE),
    )
    world.assign("backend", "guarded")
    world.openai_fake.script(Reply(body=b"<html>502 Bad Gateway</html>", content_type="text/html"))
    served(world.chat("guarded"), "primary", "openai", "gpt-4o-mini", "openai-backup")
    # gpt-4o failed its only attempt: 100% errors, the seed's rule now sends to Anthropic.
    served(
        world.chat("guarded"), "conditions[0]", "anthropic", "claude-3-5-sonnet-20241022", "claude"
    )
