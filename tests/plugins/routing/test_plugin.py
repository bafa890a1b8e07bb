"""The routing plugin as the core loads it: on by default, its two hooks, and the attempt
chain :func:`plan_route` builds from its decision."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.context import RequestInfo
from switchboard.dataplane.config import ConnectionConfig, EnvironmentRuntime, ResourceConfig
from switchboard.dataplane.error_rates import ErrorRates
from switchboard.dataplane.planning import plan_route
from switchboard.errors import BadRequest
from switchboard.interfaces.provider import Timeouts
from switchboard.plugins import PluginHost
from switchboard.plugins.selection import resolve_selection
from switchboard.routing import ModelRef
from switchboard.settings import load_settings
from switchboard_anthropic.provider import AnthropicProvider
from switchboard_groq.provider import GroqProvider
from switchboard_openai.provider import OpenAIProvider
from tests.plugins.routing.support import PRIMARY, chat, facts

SMALL_TO_GROQ = {
    "enabled": True,
    "conditions": [
        {
            "description": "small",
            "if": [{"field": "requestTokens", "operator": "lessThan", "value": 100}],
            "then": {"provider": "groq", "model": "llama"},
        }
    ],
}


@pytest.fixture(scope="module")
def host() -> PluginHost:
    plugins = PluginHost(load_settings({}))
    plugins.load_entry_points(strict=True)
    return plugins


def test_the_plugin_is_installed_and_on_by_default(host: PluginHost) -> None:
    plugin = host.plugins["routing"]
    assert plugin.enabled_by_default
    assert plugin.hooks == ["switchboard_route", "switchboard_validate_routing"]
    assert "routing" in resolve_selection(host, None).enabled


def test_switchboard_validate_routing_refuses_with_the_path_of_the_culprit(
    host: PluginHost,
) -> None:
    host.hooks.validate_routing(routing=SMALL_TO_GROQ)
    bad = {
        "mode": "advanced",
        "conditions": [{"expression": "foo > 1", "then": {"action": "block"}}],
    }
    with pytest.raises(BadRequest) as caught:
        host.hooks.validate_routing(routing=bad)
    assert caught.value.param == "routing.conditions[0].expression"
    assert caught.value.message == (
        "routing.conditions[0].expression: unknown name 'foo' at column 1"
    )


def test_switchboard_route_decides_and_explains(host: PluginHost) -> None:
    decision = host.hooks.route(routing=facts(SMALL_TO_GROQ, chat("hi")))
    assert decision is not None
    assert (decision.rule, decision.model) == (
        "conditions[0]",
        ModelRef(provider="groq", model="llama"),
    )
    assert decision.events[0].startswith("conditions[0] (small): matched")
    switched_off = {**SMALL_TO_GROQ, "enabled": False}
    assert host.hooks.route(routing=facts(switched_off, chat("hi"))) is None


def test_switchboard_route_serves_the_primary_when_stored_rules_are_invalid(
    host: PluginHost,
) -> None:
    decision = host.hooks.route(routing=facts({"conditions": "nope"}, chat("hi")))
    assert decision is not None
    assert (decision.rule, decision.model) == ("primary", PRIMARY)
    assert "routing is invalid and was skipped" in decision.events[0]


def _connection(
    name: str, provider: Any, allowed: frozenset[str] | None = None
) -> ConnectionConfig:
    return ConnectionConfig(
        id=f"id-{name}",
        name=name,
        provider=provider,
        settings=None,
        credentials=None,
        allowed_models=allowed,
        capacity=(),
        timeouts=Timeouts(),
        enforce_discovered_capacity=False,
    )


def test_plan_route_puts_the_routed_model_first_then_the_fallbacks(host: PluginHost) -> None:
    resource = ResourceConfig(
        id="r-1",
        name="chat",
        model=PRIMARY,
        routing=SMALL_TO_GROQ,
        use_fallback=True,
        fallback_models=(
            ModelRef(provider="anthropic", model="claude"),
            ModelRef(provider="groq", model="llama"),  # already first: not tried twice
        ),
        capacity=(),
        enforce_capacity=False,
        max_queue_wait_ms=None,
        api_key_ids=frozenset(),
    )
    environment = EnvironmentRuntime(
        id="env-1",
        name="prod",
        workspace_id="ws-1",
        workspace_name="acme",
        plugins=resolve_selection(host, None),
        resources={"chat": resource},
        connections=(
            _connection("groq-main", GroqProvider()),
            _connection("openai-main", OpenAIProvider()),
            _connection("claude", AnthropicProvider(), frozenset({"claude"})),
        ),
    )
    small = facts(SMALL_TO_GROQ, chat("hi"))
    info = RequestInfo(request_id="r", method="POST", path="/v1/chat/completions", headers={})
    plan = plan_route(environment, resource, small.request, small.principal, info, ErrorRates())
    assert plan.rule == "conditions[0]"
    assert [
        (a.model.provider, a.model.model, a.connection and a.connection.name) for a in plan.attempts
    ] == [
        ("groq", "llama", "groq-main"),
        ("anthropic", "claude", "claude"),
    ]
    big = facts(SMALL_TO_GROQ, chat("x" * 1000))
    plan = plan_route(environment, resource, big.request, big.principal, info, ErrorRates())
    assert plan.rule == "primary"
    assert [a.model.model for a in plan.attempts] == ["gpt-4o", "claude", "llama"]
