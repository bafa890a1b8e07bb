"""Wildcard patterns: anchored, literal metacharacters, hierarchical resource candidates."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from switchboard_rbac.patterns import (
    action_matches,
    compile_pattern,
    matches,
    resource_candidates,
    resource_matches,
)
from tests.plugins.rbac import (
    any_text,
    names,
    resources,
    with_question_mark,
    with_star_inserted,
)

PROPERTY = settings(deadline=None, max_examples=200)

# -- anchoring and literal characters ---------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "candidate"),
    [
        ("workspace:ac", "workspace:acme"),  # a prefix is not a match
        ("orkspace:acme", "workspace:acme"),  # nor a suffix
        ("space:ac", "workspace:acme"),  # nor anything in between
        ("workspace:acme", "workspace:acme2"),
        ("workspace:acme", "xworkspace:acme"),
    ],
)
def test_patterns_never_match_a_substring(pattern: str, candidate: str) -> None:
    assert not matches(pattern, candidate)


@pytest.mark.parametrize(
    ("pattern", "matching", "not_matching"),
    [
        ("a.b", "a.b", "axb"),
        ("a+", "a+", "aa"),
        ("(a|b)", "(a|b)", "a"),
        ("[ab]", "[ab]", "a"),
        ("a\\d", "a\\d", "a1"),
        ("^a$", "^a$", "a"),
        ("a{2}", "a{2}", "aa"),
        ("x.*y", "x.zzy", "xzzzy"),  # '.' stays literal next to a real '*'
    ],
)
def test_regex_metacharacters_are_literal(pattern: str, matching: str, not_matching: str) -> None:
    assert matches(pattern, matching)
    assert not matches(pattern, not_matching)


def test_question_mark_is_exactly_one_character() -> None:
    assert matches("workspace:ac?e", "workspace:acme")
    assert not matches("workspace:ac?e", "workspace:ace")
    assert not matches("workspace:ac?e", "workspace:acmme")
    assert matches("workspace:???", "workspace:été")
    assert matches("a?b", "a:b")  # one character, whatever it is


def test_star_matches_any_run_including_empty_and_separators() -> None:
    assert matches("workspace:acme*", "workspace:acme")
    assert matches("*workspace:acme", "workspace:acme")
    assert matches("workspace:*", "workspace:a:environment:p")
    assert matches("*", "")
    assert matches("**", "anything:at:all")
    assert matches("a*b*c", "abc")
    assert not matches("a*b*c", "acb")


def test_actions_match_whole_action_names() -> None:
    assert action_matches(["*:*"], "workspace:create")
    assert action_matches(["*"], "completion:execute")
    assert action_matches(["*:get"], "environment:get")
    assert not action_matches(["*:get"], "environment:get-members")
    assert not action_matches(["workspace:get"], "workspace:get-members")
    assert action_matches(["user:create", "*:list"], "role:list")
    assert not action_matches([], "role:list")


def test_compiled_patterns_are_cached() -> None:
    assert compile_pattern("workspace:cached-*") is compile_pattern("workspace:cached-*")
    assert compile_pattern.cache_info().maxsize is not None  # bounded


# -- odd names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "'; DROP TABLE users; --",
        "Robert'); DELETE FROM roles WHERE ('1'='1",
        "名前-ワークスペース",
        "émoji-🚀-space",
        "x" * 5000,
    ],
)
def test_unicode_long_and_sql_looking_names_are_plain_text(name: str) -> None:
    resource = f"workspace:{name}:environment:prod"
    assert resource_matches([f"workspace:{name}"], resource)
    assert resource_matches(["environment:prod"], resource)
    assert not resource_matches([f"workspace:{name}x"], resource)
    assert not resource_matches([f"workspace:{name[:-1]}"], resource)
    assert resource_matches(["workspace:" + name[:-1] + "?"], resource)


def test_pathological_star_patterns_stay_fast() -> None:
    # A backtracking regex needs ~n**k steps for k stars (seconds here, and hours for longer
    # names); a policy author must not be able to stall the gateway with one pattern.
    pattern = "*a" * 3 + "*b"
    candidate = "a" * 600
    started = time.perf_counter()
    assert not matches(pattern, candidate)
    assert matches(pattern, candidate + "b")
    assert time.perf_counter() - started < 0.5
    assert not matches("*a" * 12 + "*b", "a" * 10_000)  # would take hours if backtracking


# -- resource candidates --------------------------------------------------------------------


def test_candidates_are_every_run_of_pairs() -> None:
    assert set(resource_candidates("workspace:a:environment:p:ai-resource:c")) == {
        "workspace:a:environment:p:ai-resource:c",
        "workspace:a",
        "workspace:a:environment:p",
        "environment:p",
        "environment:p:ai-resource:c",
        "ai-resource:c",
    }
    assert resource_candidates("workspace:a:environment:p")[0] == "workspace:a:environment:p"


@pytest.mark.parametrize(
    "resource", ["user:ann@example.com", "audit:global", "workspace:x:environment", "a::b:c", ""]
)
def test_single_pairs_and_malformed_names_have_only_themselves(resource: str) -> None:
    assert resource_candidates(resource) == (resource,)


def test_a_malformed_name_is_matched_only_as_a_whole() -> None:
    assert not resource_matches(["environment"], "workspace:x:environment")
    assert not resource_matches(["workspace:x"], "workspace:x:environment")
    assert resource_matches(["workspace:x:*"], "workspace:x:environment")


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        ("workspace:*", "workspace:acme", True),
        ("workspace:*", "workspace:acme:environment:prod:ai-resource:chat", True),
        ("workspace:*", "user:ann@example.com", False),
        ("workspace:acme", "workspace:acme:environment:prod", True),
        ("workspace:acme", "workspace:acme2", False),
        ("workspace:acme", "workspace:acme2:environment:prod", False),
        ("environment:production", "workspace:acme:environment:production", True),
        ("environment:production", "workspace:beta:environment:production:ai-resource:c", True),
        ("environment:production", "workspace:acme:environment:staging", False),
        ("environment:production", "workspace:production", False),
        ("environment:prod", "workspace:acme:environment:production", False),
        ("ai-resource:chat", "workspace:a:environment:p:ai-resource:chat", True),
        ("ai-resource:chat", "workspace:a:environment:p", False),  # not an ancestor
        ("environment:p", "workspace:a", False),  # descendants do not grant their ancestors
        ("*", "audit:global", True),
        ("user:*@example.com", "user:ann@example.com", True),
        ("user:*@example.com", "user:ann@example.com.evil", False),
    ],
)
def test_resource_patterns_follow_design_section_6(
    pattern: str, resource: str, *, expected: bool
) -> None:
    assert resource_matches([pattern], resource) is expected


# -- properties ------------------------------------------------------------------------------


@PROPERTY
@given(resource=resources(), other=any_text, use_candidate=st.booleans(), data=st.data())
def test_a_pattern_without_wildcards_matches_exactly_itself(
    resource: str, other: str, data: st.DataObject, *, use_candidate: bool
) -> None:
    candidates = resource_candidates(resource)
    pattern = data.draw(st.sampled_from(candidates)) if use_candidate else other
    if "*" in pattern or "?" in pattern:
        pattern = pattern.replace("*", "-").replace("?", "-")
    for candidate in candidates:
        assert matches(pattern, candidate) is (pattern == candidate)


@PROPERTY
@given(text=any_text)
def test_star_matches_any_string(text: str) -> None:
    assert matches("*", text)
    assert resource_matches(["*"], text)


@PROPERTY
@given(name=names, data=st.data())
def test_question_mark_or_star_in_a_name_still_matches_it(name: str, data: st.DataObject) -> None:
    assert matches(data.draw(with_question_mark(name)), name)
    assert matches(data.draw(with_star_inserted(name)), name)


@PROPERTY
@given(resource=resources(), data=st.data())
def test_wildcarded_resource_names_still_match(resource: str, data: st.DataObject) -> None:
    assert resource_matches([data.draw(with_question_mark(resource))], resource)
    assert resource_matches([data.draw(with_star_inserted(resource))], resource)


@PROPERTY
@given(
    resource=resources(),
    kind=st.sampled_from(["environment", "ai-resource", "api-key", "x"]),
    child=names,
    data=st.data(),
)
def test_a_pattern_that_matches_a_resource_matches_its_descendants(
    resource: str, kind: str, child: str, data: st.DataObject
) -> None:
    # Half the time a pattern known to match (a candidate of the resource, maybe with a
    # wildcard in it), half the time any pattern made of the resource's own characters.
    base = data.draw(st.sampled_from(resource_candidates(resource)))
    mutations: list[Callable[[str], st.SearchStrategy[str]]] = [
        st.just,
        with_question_mark,
        with_star_inserted,
    ]
    known = data.draw(st.sampled_from(mutations))(base)
    alphabet = st.sampled_from(sorted({*resource, "*", "?"}))
    pattern = data.draw(st.one_of(known, st.text(alphabet=alphabet, min_size=1, max_size=12)))
    if resource_matches([pattern], resource):
        assert resource_matches([pattern], f"{resource}:{kind}:{child}")


# A slow but obviously correct glob matcher, to check the compiled regex against.
def _reference_match(pattern: str, text: str) -> bool:
    @cache
    def match(p: int, t: int) -> bool:
        if p == len(pattern):
            return t == len(text)
        if pattern[p] == "*":
            return match(p + 1, t) or (t < len(text) and match(p, t + 1))
        if t < len(text) and pattern[p] in ("?", text[t]):
            return match(p + 1, t + 1)
        return False

    return match(0, 0)


@st.composite
def _patterns_for(draw: st.DrawFn, text: str) -> str:
    """A pattern made from ``text``, each character kept, swapped for ``?`` or ``*``,
    preceded by a ``*``, or changed: most such patterns match, and the rest nearly do."""
    pieces = [draw(st.sampled_from([char, "?", "*", "*" + char, "a", "b", ""])) for char in text]
    return "".join(pieces) + draw(st.sampled_from(["", "*", "a"]))


@settings(deadline=None, max_examples=1000)
@given(text=st.text(alphabet="ab.:", max_size=10), data=st.data())
def test_compiled_patterns_agree_with_a_reference_matcher(text: str, data: st.DataObject) -> None:
    pattern = data.draw(st.one_of(_patterns_for(text), st.text(alphabet="ab:*?.", max_size=8)))
    assert matches(pattern, text) is _reference_match(pattern, text)
