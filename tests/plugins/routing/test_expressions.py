"""Advanced mode: expressions as the seed writes them, the functions, the sandbox, and
errors refused on save with their position."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.dataplane.error_rates import ErrorRates
from switchboard_routing.engine import decide
from switchboard_routing.errors import RoutingError
from switchboard_routing.rules import compile_routing
from tests.plugins.routing.support import CONNECTIONS, advanced, chat, facts, failing

TOOL = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}


def routed(expression: str, body: dict[str, Any] | None = None, **options: Any) -> bool:
    routing = advanced(expression)
    decision = decide(compile_routing(routing), facts(routing, body, **options))
    return decision.rule != "primary"


def refusal(expression: str) -> str:
    with pytest.raises(RoutingError) as caught:
        compile_routing(advanced(expression))
    assert caught.value.param == "routing.conditions[0].expression"
    return caught.value.problem


@pytest.mark.parametrize(
    ("expression", "body", "options", "expected"),
    [
        ("requestTokens < 100 && hasTools", chat("hi", tools=[TOOL]), {}, True),
        ("requestTokens < 100 && hasTools", chat("hi"), {}, False),
        ("requestTokens > 100 || stream", chat("hi", stream=True), {}, True),
        ("!hasTools && stream != true", chat("hi"), {}, True),
        ("!hasTools", chat("hi", tools=[TOOL]), {}, False),
        ("requestTokens < 100 and not hasTools or False", chat("hi"), {}, True),
        ("'beta' in apiKeyLabels", chat(), {"labels": ("beta",)}, True),
        ("apiKeyName in ['backend', 'batch']", chat(), {}, True),
        ("apiKeyName not in ('backend',)", chat(), {}, False),
        ("metadata.tier == 'gold'", chat(metadata={"tier": "gold"}), {}, True),
        ("metadata['tier'] == 'gold'", chat(metadata={"tier": "gold"}), {}, True),
        ("metadata.tier == null", chat(), {}, True),  # a missing key reads as null
        ("headers['X-Tenant'] == 'acme'", chat(), {"headers": {"x-tenant": "acme"}}, True),
        ("headers.x_region == null", chat(), {}, True),
        ("len(lastMessage) > 10", chat("a long enough message"), {}, True),
        ("lower(lastMessage) == 'shout'", chat("SHOUT"), {}, True),
        ("upper(lastMessage) == 'QUIET'", chat("quiet"), {}, True),
        ("contains(lastMessage, 'refund')", chat("a refund"), {}, True),
        ("contains(apiKeyLabels, 'eu')", chat(), {"labels": ("eu",)}, True),
        ("startsWith(lastMessage, '/sql')", chat("/sql select"), {}, True),
        ("endsWith(lastMessage, '?')", chat("why?"), {}, True),
        ("matches(lastMessage, '(?i)^re(fund|turn)')", chat("Return it"), {}, True),
        ("matches(lastMessage, '(?i)^re(fund|turn)')", chat("no"), {}, False),
        ("maxTokens != null and maxTokens >= 1000", chat(max_tokens=4000), {}, True),
        ("max(requestTokens, 5) == 5", chat("hi"), {}, True),
        ("(requestTokens if hasTools else 0) == 0", chat("hi"), {}, True),
        ("messagesCount * 2 + 1 == 3", chat(), {}, True),
        ("lastMessage[:3] == 'abc'", chat("abcdef"), {}, True),
    ],
)
def test_expressions_read_the_request(
    expression: str, body: dict[str, Any], options: dict[str, Any], expected: bool
) -> None:
    assert routed(expression, body, **options) is expected


def test_a_multi_line_expression_with_a_comment_works() -> None:
    expression = "requestTokens < 100   # small\n  && !hasTools\n"
    assert routed(expression, chat("hi")) is True


def test_error_rate_defaults_to_the_primary_model() -> None:
    rates = ErrorRates()
    failing(rates, "openai", "gpt-4o", 20)
    failing(rates, "groq", "llama", 90, status=429)
    assert routed("errorRate() >= 20 and errorRate() < 21", error_rates=rates)
    assert routed("errorRate(10, 'any') > 10", error_rates=rates)
    assert routed("errorRate(10, 'any', 'groq') == 90", error_rates=rates)
    assert routed("errorRate(10, 429, 'groq', 'llama') == 90", error_rates=rates)
    assert routed("errorRate(window=5, status='5xx', provider='groq') == 0", error_rates=rates)
    assert routed("errorRate(status='4xx', provider='*') == 45", error_rates=rates)
    assert routed("errorRate(model='gpt-4o') == 20", error_rates=rates)
    assert not routed("errorRate(10, 'any') > 30", error_rates=rates)


def test_error_rate_of_one_connection_by_name_or_id() -> None:
    rates = ErrorRates()
    rates.know_connections(CONNECTIONS)
    failing(rates, "openai", "gpt-4o", 40, connection="c-main")
    failing(rates, "openai", "gpt-4o", 0, connection="c-backup")
    failing(rates, "openai", "gpt-4o-mini", 100, connection="c-backup")
    assert routed("errorRate() == 20", error_rates=rates)  # the primary, any connection
    assert routed("errorRate(connection='openai-main') == 40", error_rates=rates)
    assert routed("errorRate(connection='c-main') == 40", error_rates=rates)
    assert routed("errorRate(10, 'any', None, None, 'openai-main') == 40", error_rates=rates)
    assert routed("errorRate(connection='openai-backup') == 50", error_rates=rates)  # any model
    assert routed("errorRate(model='gpt-4o', connection='openai-backup') == 0", error_rates=rates)
    assert routed("errorRate(provider='groq', connection='c-main') == 0", error_rates=rates)
    assert routed("errorRate(connection='nowhere') == 0", error_rates=rates)
    assert not routed("errorRate(connection=messagesCount) >= 0", error_rates=rates)


def test_a_failing_expression_does_not_match_and_says_why() -> None:
    routing = advanced("1 / (messagesCount - 1) > 0")
    decision = decide(compile_routing(routing), facts(routing, chat()))
    assert decision.rule == "primary"
    assert "expression failed: ZeroDivisionError" in decision.events[0]


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("lastMessage.__class__", "attribute access is not allowed"),
        ("().__class__.__bases__", "attribute access is not allowed"),
        ("metadata.__class__", "attribute access is not allowed"),
        ("lastMessage.upper()", "only named functions"),
        ("__import__('os')", "unknown function '__import__'"),
        ("open('/etc/passwd')", "unknown function 'open'"),
        ("__builtins__", "unknown name '__builtins__' at column 1"),
        ("[x for x in apiKeyLabels]", "comprehensions are not allowed"),
        ("(lambda: 1)()", "only named functions"),
        ("f'{lastMessage}'", "f-strings are not allowed"),
        ("(x := 1)", "':=' is not allowed"),
        ("{'a': 1}", "Dict is not allowed"),
        ("requestTokens ** 100000000", "exponent 100000000 is too large"),
        ("requestTokens < " + "1 + " * 700 + "1", "longer than 2000 characters"),
        ("apiKeyName in [" + "'a', " * 320 + "]", "too complex"),
        ("requestTokens < " + "1 + " * 60 + "1", "nested too deeply"),
        ("not " * 60 + "hasTools", "nested too deeply"),
        ("hasTools is True", "'is' is not allowed"),
        ("hasTools | stream", "use || or or"),
        ("b'bytes' == lastMessage", "bytes constants are not allowed"),
        ("'" + "x" * 1200 + "' == lastMessage", "text longer than 1000"),
        ("len", "len is a function: call it"),
        ("len(lastMessage, 1)", "len() takes 1 arguments"),
        ("lower(lastMessage, x=1)", "lower() has no argument 'x'"),
        ("errorRate(10, 'any', colour='red')", "errorRate() has no argument 'colour'"),
        ("errorRate(10, window=5)", "errorRate() got 'window' twice"),
        ("errorRate(0) > 1", "window is a number of minutes from 1 to 60 at column 11"),
        ("errorRate(10, 'teapot') > 1", "status is 'any', '4xx', '5xx'"),
        ("errorRate(connection=5) > 1", "errorRate() connection is the name or id of a conn"),
        ("errorRate(10, 'any', None, None, '') > 1", "connection is the name or id"),
        ("errorRate(provider='') > 1", "errorRate() provider is a provider's name"),
        ("errorRate(10, 'any', 'o', 'm', 'c', 1)", "errorRate() takes 0 to 5 arguments"),
        ("matches(lastMessage, '(')", "invalid regular expression"),
        ("", "write the condition as an expression"),
    ],
)
def test_sandbox_escapes_and_mistakes_are_refused_on_save(expression: str, says: str) -> None:
    assert says in refusal(expression)


def test_huge_exponents_built_at_run_time_are_refused() -> None:
    routing = advanced("(requestTokens + 999999999999) ** 2 > 0")
    decision = decide(compile_routing(routing), facts(routing, chat()))
    assert decision.rule == "primary"
    assert "too large" in decision.events[0]


def test_long_strings_built_at_run_time_are_refused() -> None:
    routing = advanced("len(lastMessage * 1000000) > 0")
    decision = decide(compile_routing(routing), facts(routing, chat("abc")))
    assert decision.rule == "primary"
    assert "expression failed" in decision.events[0]


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("foo < 3", "unknown name 'foo' at column 1"),
        ("requestTokens < 100 && foo", "unknown name 'foo' at column 24"),
        ("requestTokens < < 3", "invalid syntax at column 17"),
        ("requestTokens < 100 && (", "'(' is never closed at column 24"),
        ("requestTokens < 100\n  && hasTools\n  && foo", "unknown name 'foo' at line 3, column 6"),
        ("'é' == lastMessage && foo", "unknown name 'foo' at column 23"),
        (
            "  requestTokens < 100 && errorRate(10, 'any', bar) < 5",
            "unknown name 'bar' at column 47",
        ),
    ],
)
def test_errors_name_their_position(expression: str, says: str) -> None:
    assert refusal(expression).endswith(says)


def test_attribute_access_is_refused_at_run_time_too() -> None:
    """Defense in depth: a tree that skipped the checks still cannot reach attributes."""
    import ast

    from switchboard_routing.expressions import Expression

    unchecked = Expression("lastMessage.upper", ast.parse("lastMessage.upper", mode="eval").body)
    with pytest.raises(Exception, match="attribute access not allowed"):
        unchecked.evaluate({"lastMessage": "hi"}, lambda query: 0.0)
