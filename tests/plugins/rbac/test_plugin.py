"""The plugin as the gateway loads it: through its entry point, combined by the core."""

from __future__ import annotations

from typing import Literal

import pytest

from switchboard.authorization import authorize
from switchboard.context import GatewayContext, Principal
from switchboard.interfaces import Authorizer
from switchboard.plugins import PluginHost, Registry, resolve_selection
from switchboard.policy import RoleGrant, StatementRef
from switchboard.roles_default import DEFAULT_STATEMENTS as DEFAULT_ROLES
from switchboard.settings import load_settings
from switchboard_rbac.authorizers import MembershipAuthorizer, RoleAuthorizer


@pytest.fixture
def host() -> PluginHost:
    # Only this plugin, through its real entry point, so other plugins cannot sway answers.
    host = PluginHost(load_settings({}, plugins="rbac"))
    host.load_entry_points(strict=True)
    return host


@pytest.fixture
def authorizers(host: PluginHost) -> list[Authorizer]:
    registry = Registry.collect(host.hooks, GatewayContext(host.settings))
    return list(registry.authorizers.available(resolve_selection(host, {}).enabled))


def user(*roles: str, **memberships: Literal["owner", "member"]) -> Principal:
    return Principal(
        kind="user",
        id="u-1",
        name="ann",
        authenticator="test",
        grants=tuple(RoleGrant(role, DEFAULT_ROLES[role]) for role in roles),
        memberships=dict(memberships),
    )


def test_the_plugin_is_installed_with_its_description() -> None:
    host = PluginHost(load_settings({}))
    host.load_entry_points()
    plugin = host.plugins["rbac"]
    assert plugin.distribution == "switchboard-rbac"
    assert plugin.description.startswith("Role-based access control")
    assert plugin.hooks == ["switchboard_register_authorizers"]
    assert plugin.settings_type is None
    assert plugin.enabled_by_default


def test_it_registers_both_authorizers(host: PluginHost) -> None:
    registry = Registry.collect(host.hooks, GatewayContext(host.settings))
    assert isinstance(registry.authorizers.get("rbac-roles"), RoleAuthorizer)
    assert isinstance(registry.authorizers.get("rbac-membership"), MembershipAuthorizer)
    assert registry.authorizers.plugin_of("rbac-roles") == "rbac"
    assert registry.authorizers.plugin_of("rbac-membership") == "rbac"


async def test_roles_and_membership_combine(authorizers: list[Authorizer]) -> None:
    member = user("read-only", acme="member")
    allowed = await authorize(
        authorizers, member, "environment:get", "workspace:acme:environment:p"
    )
    assert allowed.effect == "ALLOW"
    assert allowed.statement == StatementRef("read-only", 0, "ALLOW")

    # The role allows reading, the membership rule refuses a workspace she is not in.
    outsider = await authorize(authorizers, member, "workspace:get", "workspace:beta")
    assert outsider.effect == "DENY"
    assert outsider.reason == "ann is not a member of workspace beta"

    # A member whose role allows it still may not delete the workspace.
    power_member = user("power-user", acme="member")
    delete = await authorize(authorizers, power_member, "workspace:delete", "workspace:acme")
    assert delete.effect == "DENY" and delete.statement is None
    power_owner = user("power-user", acme="owner")
    assert (
        await authorize(authorizers, power_owner, "workspace:delete", "workspace:acme")
    ).effect == "ALLOW"


async def test_the_statement_that_denied_is_cited(authorizers: list[Authorizer]) -> None:
    decision = await authorize(authorizers, user("power-user"), "user:create", "user:bob@x.io")
    assert decision.effect == "DENY"
    assert decision.statement == StatementRef("power-user", 0, "DENY")


async def test_no_statement_means_default_deny(authorizers: list[Authorizer]) -> None:
    reader = user("read-only", acme="owner")
    decision = await authorize(authorizers, reader, "environment:update", "workspace:acme")
    assert decision.effect == "DENY"
    assert decision.statement is None
    assert decision.reason == "no policy allows environment:update on workspace:acme"
    roleless = await authorize(authorizers, user(), "user:get", "user:ann@x.io")
    assert roleless.effect == "DENY"


async def test_admins_may_act_in_any_workspace(authorizers: list[Authorizer]) -> None:
    decision = await authorize(authorizers, user("admin"), "workspace:delete", "workspace:acme")
    assert decision.effect == "ALLOW"
    assert decision.statement == StatementRef("admin", 0, "ALLOW")


async def test_api_keys_get_no_opinion_from_roles(authorizers: list[Authorizer]) -> None:
    key = Principal(
        kind="api-key",
        id="k-1",
        name="backend",
        authenticator="api-key",
        grants=tuple(RoleGrant(role, DEFAULT_ROLES[role]) for role in ["admin"]),
    )
    for authorizer in authorizers:
        assert await authorizer.authorize(key, "completion:execute", "workspace:a") is None
    decision = await authorize(authorizers, key, "completion:execute", "workspace:a")
    assert decision.effect == "DENY"


async def test_switched_off_in_an_environment_leaves_default_deny(host: PluginHost) -> None:
    registry = Registry.collect(host.hooks, GatewayContext(host.settings))
    off = resolve_selection(host, {"rbac": {"enabled": False}})
    assert registry.authorizers.available(off.enabled) == ()
    decision = await authorize(
        registry.authorizers.available(off.enabled), user("admin"), "workspace:get", "workspace:a"
    )
    assert decision.effect == "DENY"
