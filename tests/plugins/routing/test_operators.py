"""Simple mode: every operator on the fields the core gives, AND-ed ``if`` and OR-ed ``any``,
and rules refused when saved with the JSON path of the culprit."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard_routing.engine import decide
from switchboard_routing.errors import RoutingError
from switchboard_routing.rules import compile_routing
from tests.plugins.routing.support import chat, facts, simple

TOOL = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
SYSTEM = {"role": "system", "content": "You are terse."}


def routed(routing: dict[str, Any], body: dict[str, Any] | None = None, **options: Any) -> bool:
    """Whether the request goes to the routed model (a condition matched)."""
    decision = decide(compile_routing(routing), facts(routing, body, **options))
    return decision.rule != "primary"


def test(field: str, operator: str, *value: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"field": field, "operator": operator}
    if value:
        entry["value"] = value[0]
    return entry


test.__test__ = False  # type: ignore[attr-defined]  # a builder, not a pytest test

CASES: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any], bool]] = [
    # (test, body, options, routed?)
    (test("requestTokens", "lessThan", 100), chat("hi"), {}, True),
    (test("requestTokens", "lessThan", 100), chat("x" * 800), {}, False),
    (test("requestTokens", "lessThanOrEqual", 1), chat("abcd"), {}, True),
    (test("requestTokens", "lessThanOrEqual", 1), chat("abcdefgh"), {}, False),
    (test("maxTokens", "greaterThan", 1000), chat(max_tokens=2000), {}, True),
    (test("maxTokens", "greaterThan", 1000), chat(max_tokens=1000), {}, False),
    (test("maxTokens", "greaterThan", 1000), chat(), {}, False),  # not set: no number
    (test("toolsCount", "greaterThanOrEqual", 1), chat(tools=[TOOL]), {}, True),
    (test("toolsCount", "greaterThanOrEqual", 1), chat(), {}, False),
    (test("hasTools", "equals", True), chat(tools=[TOOL]), {}, True),
    (test("hasTools", "equals", True), chat(), {}, False),
    (test("stream", "equals", True), chat(stream=True), {}, True),
    (test("stream", "notEquals", True), chat(stream=True), {}, False),
    (test("model", "equals", "chat"), chat(), {}, True),
    (test("lastMessageRole", "notEquals", "assistant"), chat(), {}, True),
    (
        test("messagesCount", "equals", 2),
        {**chat(), "messages": [SYSTEM, *chat()["messages"]]},
        {},
        True,
    ),
    (test("lastMessage", "contains", "refund"), chat("I want a refund now"), {}, True),
    (test("lastMessage", "contains", "refund"), chat("I want a Refund"), {}, False),
    (test("lastMessage", "notContains", "refund"), chat("thanks"), {}, True),
    (test("apiKeyLabels", "contains", "beta"), chat(), {"labels": ("beta", "eu")}, True),
    (test("apiKeyLabels", "notContains", "beta"), chat(), {"labels": ("eu",)}, True),
    (test("lastMessage", "startsWith", "/sql"), chat("/sql select 1"), {}, True),
    (test("lastMessage", "startsWith", "/sql"), chat("run /sql"), {}, False),
    (test("lastMessage", "endsWith", "?"), chat("why?"), {}, True),
    (test("lastMessage", "endsWith", "?"), chat("why."), {}, False),
    (test("lastMessage", "matches", r"(?i)\brefund\b"), chat("REFUND please"), {}, True),
    (test("lastMessage", "matches", r"(?i)\brefund\b"), chat("refunds"), {}, False),
    (test("systemPrompt", "matches", "^You"), {**chat(), "messages": [SYSTEM]}, {}, True),
    (test("apiKeyName", "in", ["backend", "batch"]), chat(), {}, True),
    (test("apiKeyName", "in", ["frontend"]), chat(), {}, False),
    (test("apiKeyLabels", "in", ["x", "eu"]), chat(), {"labels": ("eu",)}, True),
    (test("apiKeyName", "notIn", ["frontend"]), chat(), {}, True),
    (test("lastMessageRole", "notIn", ["user"]), chat(), {}, False),
    (test("metadata.tier", "equals", "gold"), chat(metadata={"tier": "gold"}), {}, True),
    (test("metadata.tier", "equals", "gold"), chat(metadata={"tier": "free"}), {}, False),
    (test("metadata.priority", "greaterThan", 5), chat(metadata={"priority": "7"}), {}, True),
    (test("metadata.priority", "equals", 7), chat(metadata={"priority": "7"}), {}, True),
    (test("metadata.tier", "exists"), chat(metadata={"tier": "gold"}), {}, True),
    (test("metadata.tier", "exists"), chat(), {}, False),
    (test("metadata.tier", "exists", False), chat(), {}, True),
    (test("headers.x-tenant", "equals", "acme"), chat(), {"headers": {"x-tenant": "acme"}}, True),
    (test("headers.X-Tenant", "exists"), chat(), {"headers": {"x-tenant": "acme"}}, True),
    (test("headers.x-tenant", "in", ["acme", "initech"]), chat(), {}, False),
]


@pytest.mark.parametrize(("entry", "body", "options", "expected"), CASES)
def test_each_operator_reads_the_request(
    entry: dict[str, Any], body: dict[str, Any], options: dict[str, Any], expected: bool
) -> None:
    assert routed(simple(entry), body, **options) is expected


def test_every_operator_is_covered() -> None:
    from switchboard_routing.operators import OPERATORS

    assert {entry["operator"] for entry, *_ in CASES} == set(OPERATORS)


def test_if_entries_are_and_ed() -> None:
    both = simple(test("hasTools", "equals", True), test("requestTokens", "lessThan", 100))
    assert routed(both, chat("hi", tools=[TOOL])) is True
    assert routed(both, chat("hi")) is False
    assert routed(both, chat("x" * 800, tools=[TOOL])) is False


def test_an_any_group_is_or_ed_and_and_ed_with_if() -> None:
    either = [test("apiKeyLabels", "contains", "beta"), test("metadata.tier", "equals", "gold")]
    routing = simple(test("stream", "equals", True), any_of=either)
    assert routed(routing, chat(stream=True), labels=("beta",)) is True
    assert routed(routing, chat(stream=True, metadata={"tier": "gold"})) is True
    assert routed(routing, chat(stream=True)) is False  # no alternative of any holds
    assert routed(routing, chat(metadata={"tier": "gold"})) is False  # if fails
    only_any = simple(any_of=either)
    assert routed(only_any, chat(metadata={"tier": "gold"})) is True


def test_a_condition_without_tests_matches_every_request() -> None:
    routing = {"conditions": [{"then": {"provider": "groq", "model": "llama"}}]}
    assert routed(routing, chat("anything")) is True


def test_a_plugin_variable_can_be_declared_and_used(monkeypatch: pytest.MonkeyPatch) -> None:
    from switchboard_routing import declare_variables, fields

    monkeypatch.setattr(fields, "_declared", set())
    routing = simple(test("customerTier", "equals", "gold"))
    with pytest.raises(RoutingError, match="unknown field 'customerTier'"):
        compile_routing(routing)
    declare_variables("customerTier")
    assert routed(routing, chat(), extra={"customerTier": "gold"}) is True
    assert routed(routing, chat()) is False  # a plugin that adds nothing: no value


@pytest.mark.parametrize(
    ("entry", "param", "says"),
    [
        (test("requestToken", "lessThan", 5), "if[0].field", "unknown field 'requestToken'"),
        (test("requestTokens", "below", 5), "if[0].operator", "unknown operator 'below'"),
        (test("requestTokens", "lessThan", "5"), "if[0].value", "lessThan compares numbers"),
        (test("requestTokens", "lessThan"), "if[0]", "lessThan needs a value"),
        (test("lastMessage", "greaterThan", 5), "if[0].operator", "lastMessage holds text"),
        (test("hasTools", "equals", "yes"), "if[0].value", "compare it with true or false"),
        (test("requestTokens", "equals", "ten"), "if[0].value", "compare it with a number"),
        (test("apiKeyLabels", "equals", "beta"), "if[0].operator", "use contains"),
        (test("hasTools", "contains", "x"), "if[0].operator", "hasTools holds boolean"),
        (test("lastMessage", "contains", 5), "if[0].value", "contains takes text"),
        (test("requestTokens", "startsWith", "1"), "if[0].operator", "startsWith needs text"),
        (test("lastMessage", "matches", "(unclosed"), "if[0].value", "invalid regular expression"),
        (test("lastMessage", "matches", "a" * 1001), "if[0].value", "longer than 1000"),
        (test("apiKeyName", "in", "backend"), "if[0].value", "in takes a list"),
        (test("apiKeyName", "in", [{"a": 1}]), "if[0].value[0]", "give text, a number"),
        (test("metadata.tier", "exists", "yes"), "if[0].value", "exists takes true, false"),
        (test("metadata", "exists"), "if[0].field", "unknown field 'metadata'"),
        ({**test("lastMessage", "exists"), "window": 5}, "if[0].window", "only errorRate"),
        ({**test("errorRate", "greaterThan", 5), "window": 0}, "if[0].window", "1 to 60"),
        ({**test("errorRate", "greaterThan", 5), "status": "oops"}, "if[0].status", "'4xx'"),
        ({**test("errorRate", "greaterThan", 5), "provider": 3}, "if[0].provider", "a name"),
        (
            {**test("errorRate", "greaterThan", 5), "connection": ""},
            "if[0].connection",
            "give the name or id of a connection",
        ),
        (
            {**test("lastMessage", "exists"), "connection": "main"},
            "if[0].connection",
            "only errorRate takes window, status, provider, model and connection",
        ),
        ({**test("lastMessage", "exists"), "colour": 1}, "if[0].colour", "unknown key"),
        ("requestTokens < 5", "if[0]", "a test is {field, operator, value}"),
    ],
)
def test_bad_tests_are_refused_naming_the_part(entry: Any, param: str, says: str) -> None:
    with pytest.raises(RoutingError) as caught:
        compile_routing(simple(entry))
    assert caught.value.param == f"routing.conditions[0].{param}"
    assert says in caught.value.problem
    assert str(caught.value).startswith(f"routing.conditions[0].{param}: ")


BLOCK = {"action": "block"}
C0 = "routing.conditions[0]"


def one(**condition: Any) -> dict[str, Any]:
    """Routing with one condition."""
    return {"conditions": [condition]}


def groq(**then: Any) -> dict[str, Any]:
    return {"provider": "groq", "model": "m", **then}


@pytest.mark.parametrize(
    ("routing", "param", "says"),
    [
        ([], "routing", "routing is {enabled, mode?, conditions}"),
        ({"enabled": "yes", "conditions": []}, "routing.enabled", "true or false"),
        ({"mode": "fancy", "conditions": []}, "routing.mode", "simple or advanced"),
        ({"conditions": {}}, "routing.conditions", "a list of conditions"),
        ({"rules": []}, "routing.rules", "unknown key"),
        (one(**{"if": []}), f"{C0}.then", "say what to do"),
        (one(**{"if": {}, "then": BLOCK}), f"{C0}.if", "a list of tests"),
        (one(any=[], then=BLOCK), f"{C0}.any", "never matches"),
        (one(expression="true", then=BLOCK), f"{C0}.expression", "mode: advanced"),
        (
            {"mode": "advanced", "conditions": [{"if": [], "then": BLOCK}]},
            f"{C0}.if",
            "use expression",
        ),
        (one(then={"provider": "groq"}), f"{C0}.then.model", "non-empty text"),
        (one(then=groq(traffic=101)), f"{C0}.then.traffic", "0 to 100"),
        (one(then=groq(traffic=True)), f"{C0}.then.traffic", "0 to 100"),
        (one(then={"action": "drop"}), f"{C0}.then.action", "only action is block"),
        (one(then={**BLOCK, "model": "m"}), f"{C0}.then.model", "unknown key"),
        (one(then="groq"), f"{C0}.then", "{action: block, message}"),
        (one(description="", then=BLOCK), f"{C0}.description", "non-empty"),
        ({"conditions": [{"then": BLOCK}] * 101}, "routing.conditions", "at most 100"),
    ],
)
def test_bad_routing_is_refused_naming_the_part(routing: Any, param: str, says: str) -> None:
    with pytest.raises(RoutingError) as caught:
        compile_routing(routing)
    assert caught.value.param == param
    assert says in caught.value.problem
