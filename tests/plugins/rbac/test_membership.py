"""The workspace rule: members act inside, owners manage, admins are exempt."""

from __future__ import annotations

from typing import Literal

import pytest

from switchboard.context import Principal
from switchboard.policy import RoleGrant
from switchboard.roles_default import DEFAULT_STATEMENTS as DEFAULT_ROLES
from switchboard_rbac.authorizers import MembershipAuthorizer
from switchboard_rbac.membership import OWNER_ACTIONS, check_membership, workspace_of

Membership = Literal["owner", "member"]


def user(*roles: str, **memberships: Membership) -> Principal:
    return Principal(
        kind="user",
        id="u-1",
        name="ann",
        authenticator="test",
        grants=tuple(RoleGrant(role, DEFAULT_ROLES[role]) for role in roles),
        memberships=dict(memberships),
    )


INSIDE_ACME = [
    "workspace:acme",
    "workspace:acme:environment:prod",
    "workspace:acme:environment:prod:ai-resource:chat",
    "workspace:acme:environment:prod:api-key:backend",
]


@pytest.mark.parametrize("resource", INSIDE_ACME)
def test_a_non_member_is_denied_anything_inside_the_workspace(resource: str) -> None:
    decision = check_membership(user("power-user", beta="owner"), "ai-resource:get", resource)
    assert decision is not None and decision.effect == "DENY"
    assert decision.reason == "ann is not a member of workspace acme"
    assert decision.statement is None


def test_a_similar_workspace_name_is_not_membership() -> None:
    principal = user("power-user", acme="owner")
    decision = check_membership(principal, "workspace:get", "workspace:acme2")
    assert decision is not None and decision.effect == "DENY"
    assert "acme2" in decision.reason


@pytest.mark.parametrize("resource", INSIDE_ACME)
@pytest.mark.parametrize("membership", ["owner", "member"])
def test_members_and_owners_go_on_to_the_roles(resource: str, membership: Membership) -> None:
    principal = user("read-only", acme=membership)
    assert check_membership(principal, "environment:update", resource) is None


@pytest.mark.parametrize("action", sorted(OWNER_ACTIONS))
def test_only_an_owner_deletes_the_workspace_or_manages_members(action: str) -> None:
    decision = check_membership(user("power-user", acme="member"), action, "workspace:acme")
    assert decision is not None and decision.effect == "DENY"
    assert decision.reason == f"only an owner of workspace acme may {action}"
    assert check_membership(user("power-user", acme="owner"), action, "workspace:acme") is None


def test_owner_actions_are_the_seeds() -> None:
    assert {
        "workspace:delete",
        "workspace:assign",
        "workspace:unassign",
        "workspace:update-member-role",
    } == OWNER_ACTIONS


def test_a_member_may_still_read_the_member_list() -> None:
    principal = user("read-only", acme="member")
    assert check_membership(principal, "workspace:get-members", "workspace:acme") is None


@pytest.mark.parametrize("action", ["workspace:get", "workspace:delete", "environment:create"])
def test_admins_are_exempt(action: str) -> None:
    assert check_membership(user("admin"), action, "workspace:acme:environment:prod") is None
    assert check_membership(user("read-only", "admin"), action, "workspace:acme") is None


def test_creating_a_workspace_needs_no_membership() -> None:
    assert check_membership(user("power-user"), "workspace:create", "workspace:new") is None


@pytest.mark.parametrize(
    "resource", ["user:bob@example.com", "role:read-only", "audit:global", "workspaces:acme"]
)
def test_resources_outside_workspaces_are_untouched(resource: str) -> None:
    assert check_membership(user("read-only"), "user:get", resource) is None


def test_api_keys_are_untouched() -> None:
    key = Principal(kind="api-key", id="k-1", name="backend", authenticator="api-key")
    assert check_membership(key, "completion:execute", INSIDE_ACME[2]) is None


@pytest.mark.parametrize(
    ("resource", "workspace"),
    [
        ("workspace:acme", "acme"),
        ("workspace:acme:environment:prod", "acme"),
        ("workspace:acme:environment", "acme"),  # malformed: still inside acme, rule applies
        ("workspace:'; DROP TABLE users; --", "'; DROP TABLE users; --"),
        ("user:workspace:acme", None),
        ("workspace", None),
    ],
)
def test_workspace_of(resource: str, workspace: str | None) -> None:
    assert workspace_of(resource) == workspace


async def test_the_authorizer_applies_the_rule() -> None:
    authorizer = MembershipAuthorizer()
    assert authorizer.name == "rbac-membership"
    denied = await authorizer.authorize(user("read-only"), "workspace:get", "workspace:acme")
    assert denied is not None and denied.effect == "DENY"
    allowed = await authorizer.authorize(
        user("read-only", acme="member"), "workspace:get", "workspace:acme"
    )
    assert allowed is None
