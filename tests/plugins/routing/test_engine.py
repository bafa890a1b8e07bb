"""Evaluating routing: the seed's examples as written, first match wins, traffic shares,
block, errorRate from recorded outcomes, the events, and the compile cache."""

from __future__ import annotations

import random
from typing import Any

import pytest
import yaml

from switchboard.dataplane.error_rates import ErrorRates
from switchboard.routing import ModelRef
from switchboard_routing import engine
from switchboard_routing.engine import compiled, decide
from switchboard_routing.errors import RoutingError
from switchboard_routing.rules import DEFAULT_BLOCK_MESSAGE, compile_routing
from tests.plugins.routing.support import CONNECTIONS, PRIMARY, chat, facts, failing
from tests.seed_examples import SEED_ADVANCED, SEED_ERROR_RATE, SEED_TOKENS, SEED_TOOLS

TOOL = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
GROQ = ModelRef(provider="groq", model="llama-3.1-70b-versatile")


def seed(text: str) -> dict[str, Any]:
    routing: dict[str, Any] = yaml.safe_load(text)["routing"]
    return routing


@pytest.mark.parametrize("text", [SEED_TOKENS, SEED_ERROR_RATE, SEED_TOOLS, SEED_ADVANCED])
def test_every_seed_example_is_valid_as_written(text: str) -> None:
    routing = compile_routing(seed(text))
    assert routing.enabled and len(routing.conditions) == 1


def test_seed_small_requests_go_to_groq() -> None:
    routing = seed(SEED_TOKENS)
    small = decide(compile_routing(routing), facts(routing, chat("hi")))
    assert (small.rule, small.model) == ("conditions[0]", GROQ)
    big = decide(compile_routing(routing), facts(routing, chat("x" * 1000)))
    assert (big.rule, big.model) == ("primary", PRIMARY)


def test_seed_error_rate_switches_to_anthropic_when_the_primary_fails() -> None:
    routing = seed(SEED_ERROR_RATE)
    rates = ErrorRates()
    failing(rates, "openai", "gpt-4o", 10)
    failing(rates, "anthropic", "claude-3-5-sonnet-20241022", 100)
    at_ten = decide(compile_routing(routing), facts(routing, error_rates=rates))
    assert at_ten.rule == "primary"  # 10% is not greater than 10
    failing(rates, "openai", "gpt-4o", 50)  # now 60 failures of 200: 30%
    high = decide(compile_routing(routing), facts(routing, error_rates=rates))
    assert high.model == ModelRef(provider="anthropic", model="claude-3-5-sonnet-20241022")
    assert (
        "errorRate(window=10, status='any') greaterThan 10 is true (errorRate = 30.0)"
        in (high.events[0])
    )


def test_error_rate_filters_by_status_provider_and_model() -> None:
    rates = ErrorRates()
    failing(rates, "openai", "gpt-4o", 30, status=429)
    failing(rates, "groq", "llama", 50, status=503)

    def rate_above(value: int, **query: Any) -> bool:
        entry = {"field": "errorRate", "operator": "greaterThan", "value": value, **query}
        routing = {"conditions": [{"if": [entry], "then": {"provider": "groq", "model": "m"}}]}
        return decide(compile_routing(routing), facts(routing, error_rates=rates)).rule != "primary"

    assert rate_above(29) and not rate_above(30)  # the primary's: 30%
    assert not rate_above(0, status="5xx")
    assert rate_above(29, status=429) and rate_above(29, status="429")
    assert rate_above(49, provider="groq") and not rate_above(50, provider="groq")
    assert rate_above(39, provider="*", status="any") and not rate_above(40, provider="*")
    assert not rate_above(0, provider="groq", model="other")


def test_error_rate_of_one_connection_in_a_condition() -> None:
    rates = ErrorRates()
    rates.know_connections(CONNECTIONS)
    failing(rates, "openai", "gpt-4o", 60, connection="c-main")
    failing(rates, "openai", "gpt-4o", 0, connection="c-backup")

    def rate_above(value: int, **query: Any) -> bool:
        entry = {"field": "errorRate", "operator": "greaterThan", "value": value, **query}
        routing = {"conditions": [{"if": [entry], "then": {"provider": "groq", "model": "m"}}]}
        return decide(compile_routing(routing), facts(routing, error_rates=rates)).rule != "primary"

    assert rate_above(29) and not rate_above(30)  # the primary through both: 30%
    assert rate_above(59, connection="openai-main") and not rate_above(60, connection="c-main")
    assert not rate_above(0, connection="openai-backup")
    assert rate_above(59, connection="openai-main", model="gpt-4o", status="5xx")
    assert not rate_above(0, connection="openai-main", provider="groq")
    routing = {
        "conditions": [
            {
                "if": [
                    {
                        "field": "errorRate",
                        "operator": "greaterThan",
                        "value": 50,
                        "window": 5,
                        "connection": "openai-main",
                    }
                ],
                "then": {"provider": "openai", "model": "gpt-4o", "connection": "openai-backup"},
            }
        ]
    }
    decision = decide(compile_routing(routing), facts(routing, error_rates=rates))
    assert decision.model == ModelRef(provider="openai", model="gpt-4o", connection="openai-backup")
    assert (
        "errorRate(window=5, status='any', connection='openai-main') greaterThan 50 is true "
        "(errorRate = 60.0)"
    ) in decision.events[0]


def test_seed_tools_go_to_gpt_4o() -> None:
    routing = seed(SEED_TOOLS)
    with_tools = decide(compile_routing(routing), facts(routing, chat(tools=[TOOL])))
    assert with_tools.model == ModelRef(provider="openai", model="gpt-4o")
    assert with_tools.rule == "conditions[0]"


def test_seed_advanced_example_sends_half_of_the_small_healthy_requests() -> None:
    routing = compile_routing(seed(SEED_ADVANCED))
    rng = random.Random(20240601)
    small = facts(seed(SEED_ADVANCED), chat("hi"))
    picked = sum(decide(routing, small, rng).model == GROQ for _ in range(1000))
    assert 400 <= picked <= 600
    big = facts(seed(SEED_ADVANCED), chat("x" * 1000))
    assert all(decide(routing, big, rng).rule == "primary" for _ in range(100))
    rates = ErrorRates()
    failing(rates, "openai", "gpt-4o", 5)
    unhealthy = facts(seed(SEED_ADVANCED), chat("hi"), error_rates=rates)
    assert all(decide(routing, unhealthy, rng).rule == "primary" for _ in range(100))


@pytest.mark.parametrize("share", [10, 75])
def test_traffic_shares_hold_over_many_requests(share: int) -> None:
    routing = {
        "conditions": [{"then": {"provider": "groq", "model": "m", "traffic": share}}],
    }
    rules, request, rng = compile_routing(routing), facts(routing), random.Random(7)
    picked = sum(decide(rules, request, rng).rule != "primary" for _ in range(1000))
    assert abs(picked - share * 10) <= 60


def test_requests_not_picked_by_traffic_go_on_to_the_next_condition() -> None:
    routing = {
        "conditions": [
            {"then": {"provider": "groq", "model": "canary", "traffic": 0}},
            {"then": {"provider": "groq", "model": "stable"}},
        ]
    }
    decision = decide(compile_routing(routing), facts(routing), random.Random(1))
    assert decision.model == ModelRef(provider="groq", model="stable")
    assert decision.rule == "conditions[1]"
    assert "not picked by traffic 0%" in decision.events[0]


def test_conditions_are_evaluated_in_order_and_the_first_match_wins() -> None:
    routing = {
        "conditions": [
            {
                "description": "tools",
                "if": [{"field": "hasTools", "operator": "equals", "value": True}],
                "then": {"provider": "openai", "model": "gpt-4o", "connection": "openai-eu"},
            },
            {
                "description": "small",
                "if": [{"field": "requestTokens", "operator": "lessThan", "value": 100}],
                "then": {"provider": "groq", "model": "small"},
            },
            {
                "description": "also small",
                "if": [{"field": "requestTokens", "operator": "lessThan", "value": 1000}],
                "then": {"provider": "groq", "model": "never"},
            },
        ]
    }
    rules = compile_routing(routing)
    both = decide(rules, facts(routing, chat("hi", tools=[TOOL])))
    assert both.rule == "conditions[0]"
    assert both.model == ModelRef(provider="openai", model="gpt-4o", connection="openai-eu")
    small = decide(rules, facts(routing, chat("hi")))
    assert (small.rule, small.model) == ("conditions[1]", ModelRef(provider="groq", model="small"))
    assert small.events == (
        "conditions[0] (tools): not matched: hasTools equals true is false (hasTools = false)",
        "conditions[1] (small): matched (requestTokens lessThan 100 is true (requestTokens = 1))"
        ": groq/small",
    )


def test_block_answers_with_the_message() -> None:
    routing = {
        "conditions": [
            {
                "description": "no secrets",
                "if": [{"field": "lastMessage", "operator": "matches", "value": "(?i)password"}],
                "then": {"action": "block", "message": "Do not send passwords."},
            },
            {
                "if": [{"field": "stream", "operator": "equals", "value": True}],
                "then": {"action": "block"},
            },
        ]
    }
    rules = compile_routing(routing)
    blocked = decide(rules, facts(routing, chat("my PASSWORD is hunter2")))
    assert (blocked.rule, blocked.model) == ("conditions[0]", None)
    assert blocked.blocked_message == "Do not send passwords."
    assert blocked.events[-1].endswith(": blocked")
    default = decide(rules, facts(routing, chat("hi", stream=True)))
    assert default.blocked_message == DEFAULT_BLOCK_MESSAGE
    assert decide(rules, facts(routing, chat("hi"))).blocked_message is None


def test_events_explain_every_condition_and_the_fallback_to_the_primary() -> None:
    routing = {
        "mode": "advanced",
        "conditions": [
            {
                "description": "first",
                "expression": "hasTools",
                "then": {"provider": "a", "model": "b"},
            },
            {"expression": "stream", "then": {"provider": "a", "model": "c"}},
        ],
    }
    decision = decide(compile_routing(routing), facts(routing, chat()))
    assert decision.events == (
        "conditions[0] (first): not matched: expression is false",
        "conditions[1]: not matched: expression is false",
        "no condition decided: primary model openai/gpt-4o",
    )


def test_a_pattern_that_backtracks_forever_times_out_and_does_not_match() -> None:
    routing = {
        "conditions": [
            {
                "if": [{"field": "lastMessage", "operator": "matches", "value": "(x+x+)+y"}],
                "then": {"provider": "groq", "model": "m"},
            }
        ]
    }
    decision = decide(compile_routing(routing), facts(routing, chat("x" * 5000)))
    assert decision.rule == "primary"
    assert "the pattern took too long" in decision.events[0]


def test_rules_are_compiled_once_per_routing_value(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    real = compile_routing

    def counting(routing: object, where: str = "routing") -> Any:
        calls.append(routing)
        return real(routing, where)

    monkeypatch.setattr(engine, "compile_routing", counting)
    routing = {"conditions": [{"then": {"provider": "groq", "model": f"m-{random.random()}"}}]}
    first = compiled(routing)
    assert compiled(routing) is first  # the same object
    assert compiled({**routing}) is first  # an equal value (a rebuilt snapshot)
    assert len(calls) == 1
    bad = {"conditions": [{"then": {"provider": "groq"}}], "x": random.random()}
    assert isinstance(compiled(bad), RoutingError)
    assert isinstance(compiled(bad), RoutingError)
    assert len(calls) == 2


def test_the_readme_routing_example_is_valid() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    section = readme.split("### Routing", 1)[1]
    block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    routing = compile_routing(yaml.safe_load(block)["routing"])
    assert routing.advanced and len(routing.conditions) == 2
