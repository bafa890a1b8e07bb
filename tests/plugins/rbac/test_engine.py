"""Role evaluation: the seed's default roles, DESIGN.md §6 examples, DENY overrides ALLOW."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from switchboard.policy import RoleGrant, Statement, StatementRef
from switchboard.roles_default import DEFAULT_STATEMENTS as DEFAULT_ROLES
from switchboard_rbac.engine import evaluate, statement_matches

ACME = "workspace:acme"
PROD = "workspace:acme:environment:prod"
CHAT = "workspace:acme:environment:prod:ai-resource:chat"


def grants(*roles: str) -> tuple[RoleGrant, ...]:
    return tuple(RoleGrant(role, DEFAULT_ROLES[role]) for role in roles)


def effect(roles: tuple[RoleGrant, ...], action: str, resource: str) -> str | None:
    decision = evaluate(roles, action, resource)
    return None if decision is None else decision.effect


# -- the default roles ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("workspace:create", "workspace:new"),
        ("workspace:delete", ACME),
        ("user:create", "user:bob@example.com"),
        ("role:assign", "role:read-only"),
        ("completion:execute", CHAT),
        ("audit-event:list", "audit:global"),
    ],
)
def test_admin_is_allowed_everything(action: str, resource: str) -> None:
    decision = evaluate(grants("admin"), action, resource)
    assert decision is not None and decision.effect == "ALLOW"
    assert decision.statement == StatementRef("admin", 0, "ALLOW")


@pytest.mark.parametrize(
    ("action", "resource", "expected"),
    [
        ("workspace:get", ACME, "ALLOW"),
        ("workspace:list", ACME, "ALLOW"),
        ("ai-resource:get", CHAT, "ALLOW"),
        ("user:list", "user:bob@example.com", "ALLOW"),
        ("workspace:create", "workspace:new", None),
        ("environment:update", PROD, None),
        ("workspace:get-members", ACME, None),  # '*:get' is not a prefix
        ("completion:execute", CHAT, None),
    ],
)
def test_read_only_may_only_get_and_list(action: str, resource: str, expected: str) -> None:
    assert effect(grants("read-only"), action, resource) == expected


@pytest.mark.parametrize(
    ("action", "resource", "expected"),
    [
        ("workspace:create", "workspace:new", "ALLOW"),
        ("ai-connection:create", "workspace:acme:environment:prod:ai-connection:openai", "ALLOW"),
        ("environment:delete", PROD, "ALLOW"),
        ("user:list", "user:bob@example.com", "ALLOW"),
        ("user:create", "user:bob@example.com", "DENY"),
        ("user:delete", "user:bob@example.com", "DENY"),
        ("role:update", "role:read-only", "DENY"),
        ("role:assign", "role:admin", "DENY"),
    ],
)
def test_power_user_may_do_everything_but_manage_users_and_roles(
    action: str, resource: str, expected: str
) -> None:
    assert effect(grants("power-user"), action, resource) == expected


def test_power_users_deny_cites_its_statement() -> None:
    decision = evaluate(grants("power-user"), "role:update", "role:read-only")
    assert decision is not None
    assert decision.statement == StatementRef("power-user", 0, "DENY")
    assert "power-user" in decision.reason and "0" in decision.reason


def test_deny_wins_for_an_admin_who_also_holds_a_denying_role() -> None:
    no_deletes = RoleGrant(
        "no-deletes", (Statement(effect="DENY", actions=("*:delete",), resources=("*",)),)
    )
    for roles in ((*grants("admin"), no_deletes), (no_deletes, *grants("admin"))):
        decision = evaluate(roles, "workspace:delete", ACME)
        assert decision is not None and decision.effect == "DENY"
        assert decision.statement == StatementRef("no-deletes", 0, "DENY")
        assert effect(roles, "workspace:update", ACME) == "ALLOW"


# -- DESIGN.md §6 resource examples ----------------------------------------------------------


def role(effect: str, actions: tuple[str, ...], resources: tuple[str, ...]) -> RoleGrant:
    statement = msgspec.convert(
        {"effect": effect, "actions": actions, "resources": resources}, Statement
    )
    return RoleGrant("custom", (statement,))


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (ACME, "ALLOW"),
        ("workspace:beta", "ALLOW"),
        (CHAT, "ALLOW"),
        ("user:bob@example.com", None),
        ("role:admin", None),
    ],
)
def test_workspace_star_covers_every_workspace_and_its_contents(
    resource: str, expected: str | None
) -> None:
    assert effect((role("ALLOW", ("*:*",), ("workspace:*",)),), "x:get", resource) == expected


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ("workspace:acme:environment:production", "ALLOW"),
        ("workspace:beta:environment:production", "ALLOW"),
        ("workspace:acme:environment:production:ai-resource:chat", "ALLOW"),
        ("workspace:acme:environment:staging", None),
        ("workspace:acme:environment:production-eu", None),
        ("workspace:acme", None),
    ],
)
def test_environment_production_means_that_environment_anywhere(
    resource: str, expected: str | None
) -> None:
    grant = role("ALLOW", ("ai-resource:*",), ("environment:production",))
    assert effect((grant,), "ai-resource:update", resource) == expected


def test_nothing_matching_is_no_opinion() -> None:
    assert evaluate((), "workspace:get", ACME) is None
    assert evaluate(grants("read-only"), "workspace:delete", ACME) is None
    grant = role("DENY", ("workspace:delete",), ("workspace:acme",))
    assert evaluate((grant,), "workspace:delete", "workspace:acme2") is None


def test_a_statement_needs_both_action_and_resource_to_match() -> None:
    statement = Statement(effect="ALLOW", actions=("workspace:get",), resources=(ACME,))
    assert statement_matches(statement, "workspace:get", PROD)
    assert not statement_matches(statement, "workspace:update", PROD)
    assert not statement_matches(statement, "workspace:get", "workspace:beta")


def test_the_first_matching_allow_is_cited() -> None:
    roles = (
        role("ALLOW", ("environment:*",), ("workspace:other",)),
        RoleGrant(
            "second",
            (
                Statement(effect="ALLOW", actions=("user:*",), resources=("*",)),
                Statement(effect="ALLOW", actions=("*:get",), resources=("*",)),
                Statement(effect="ALLOW", actions=("*",), resources=("*",)),
            ),
        ),
    )
    decision = evaluate(roles, "environment:get", PROD)
    assert decision is not None and decision.statement == StatementRef("second", 1, "ALLOW")
    assert "second" in decision.reason and "1" in decision.reason


# -- DENY overrides ALLOW, whatever the order -----------------------------------------------

_ACTIONS = ("*", "*:*", "*:get", "workspace:*", "workspace:get", "workspace:delete", "user:?et")
_RESOURCES = ("*", "workspace:*", ACME, "environment:prod", "workspace:beta", "user:*", "ai-*")

statements = st.builds(
    Statement,
    effect=st.sampled_from(["ALLOW", "DENY"]),
    actions=st.lists(st.sampled_from(_ACTIONS), min_size=1, max_size=3).map(tuple),
    resources=st.lists(st.sampled_from(_RESOURCES), min_size=1, max_size=3).map(tuple),
)
role_lists = st.lists(st.lists(statements, max_size=4), max_size=4).map(
    lambda roles: [RoleGrant(f"role-{i}", tuple(s)) for i, s in enumerate(roles)]
)
queries = st.tuples(
    st.sampled_from(["workspace:get", "workspace:delete", "user:get", "environment:update"]),
    st.sampled_from([ACME, PROD, CHAT, "workspace:beta", "user:bob@example.com"]),
)


@settings(deadline=None, max_examples=300)
@given(roles=role_lists, query=queries, data=st.data())
def test_deny_overrides_allow_in_any_order(
    roles: list[RoleGrant], query: tuple[str, str], data: st.DataObject
) -> None:
    action, resource = query
    matching = [
        (grant.role, index, statement.effect)
        for grant in roles
        for index, statement in enumerate(grant.statements)
        if statement_matches(statement, action, resource)
    ]
    decision = evaluate(roles, action, resource)
    if any(effect == "DENY" for *_, effect in matching):
        assert decision is not None and decision.effect == "DENY"
    elif matching:
        assert decision is not None and decision.effect == "ALLOW"
    else:
        assert decision is None
    if decision is not None:
        # The cited statement is a matching one with the decision's effect.
        assert decision.statement is not None
        cited = decision.statement
        assert (cited.role, cited.index, cited.effect) in matching
        assert cited.effect == decision.effect

    # Shuffle the roles and the statements inside each: the effect must not change.
    shuffled = [
        RoleGrant(grant.role, tuple(data.draw(st.permutations(grant.statements))))
        for grant in data.draw(st.permutations(roles))
    ]
    again = evaluate(shuffled, action, resource)
    assert (again and again.effect) == (decision and decision.effect)
