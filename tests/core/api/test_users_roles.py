"""Users and roles over HTTP: CRUD, pagination, several roles per user, the default roles,
and the last admin."""

from __future__ import annotations

from switchboard.roles_default import DEFAULT_ROLES
from tests.core.api.client import expect, expect_error
from tests.core.api.conftest import Harness

PASSWORD = "users-Password-123"
CREATE_WORKSPACES = {"effect": "ALLOW", "actions": ["workspace:create"], "resources": ["*"]}


def test_users_are_created_found_listed_in_pages_changed_and_deleted(
    module_harness: Harness,
) -> None:
    admin = module_harness.admin
    created = admin.create_user("ulla", "read-only", email="Ulla@Example.COM")
    assert created["email"] == "ulla@example.com"  # stored lower-cased
    assert created["roles"] == ["read-only"] and created["enabled"] is True
    assert "password" not in created and "passwordHash" not in created
    for key in ("ulla", "ulla@example.com", created["id"]):
        assert expect(admin.get(f"/api/v1/users/{key}"), 200)["id"] == created["id"]

    for index in range(5):
        admin.create_user(f"page-{index}")
    everyone = expect(admin.get("/api/v1/users", limit="500"), 200)
    names = [u["username"] for u in everyone["items"]]
    assert names == sorted(names) and everyone["total"] == len(names)
    page = expect(admin.get("/api/v1/users", limit="2", offset="1"), 200)
    assert (page["limit"], page["offset"], page["total"]) == (2, 1, everyone["total"])
    assert [u["username"] for u in page["items"]] == names[1:3]
    assert expect(admin.get("/api/v1/users", offset="9999"), 200)["items"] == []

    changed = admin.patch(
        "/api/v1/users/ulla", {"displayName": "Ulla U.", "email": "ulla@new.example"}
    )
    assert expect(changed, 200)["displayName"] == "Ulla U."
    assert expect(admin.get("/api/v1/users/ulla@new.example"), 200)["username"] == "ulla"
    expect_error(admin.get("/api/v1/users/ulla@example.com"), 404)

    expect(admin.delete("/api/v1/users/ulla"), 204)
    expect_error(admin.get("/api/v1/users/ulla"), 404)
    expect_error(admin.delete("/api/v1/users/ulla"), 404)


def test_a_user_may_hold_several_roles_and_lose_them(module_harness: Harness) -> None:
    admin = module_harness.admin
    admin.create_role("creates-workspaces", [CREATE_WORKSPACES])
    rita = module_harness.user("rita", "read-only", password=PASSWORD)

    expect_error(rita.post("/api/v1/workspaces", {"name": "rita-1"}), 403, says="workspace:create")
    expect(admin.put("/api/v1/users/rita/roles/creates-workspaces"), 204)
    expect(admin.put("/api/v1/users/rita/roles/creates-workspaces"), 204)  # twice: no change
    roles = expect(admin.get("/api/v1/users/rita/roles"), 200)
    assert roles == ["creates-workspaces", "read-only"]
    assert expect(rita.get("/api/v1/auth/me"), 200)["roles"] == roles
    members = expect(admin.get("/api/v1/roles/creates-workspaces/members"), 200)
    assert [m["username"] for m in members] == ["rita"]

    # Both roles count at once: create (the custom role) and read (read-only).
    rita.create_workspace("rita-1")
    assert expect(rita.get("/api/v1/users/admin"), 200)["username"] == "admin"

    expect(admin.delete("/api/v1/users/rita/roles/creates-workspaces"), 204)
    expect_error(rita.post("/api/v1/workspaces", {"name": "rita-2"}), 403, says="workspace:create")
    expect(admin.put("/api/v1/users/rita/roles/creates-workspaces"), 204)
    rita.create_workspace("rita-2")

    # Deleting a role takes it from its holders at once.
    expect(admin.delete("/api/v1/roles/creates-workspaces"), 204)
    assert expect(admin.get("/api/v1/users/rita/roles"), 200) == ["read-only"]
    expect_error(rita.post("/api/v1/workspaces", {"name": "rita-3"}), 403, says="workspace:create")
    expect_error(admin.get("/api/v1/roles/creates-workspaces"), 404)


def test_custom_roles_are_changed_and_take_effect_at_once(module_harness: Harness) -> None:
    admin = module_harness.admin
    role = admin.create_role("changing", [CREATE_WORKSPACES])
    assert role["builtin"] is False and role["statements"] == [CREATE_WORKSPACES]
    carl = module_harness.user("carl", "changing", password=PASSWORD)
    carl.create_workspace("carl-1")

    deny = {"effect": "DENY", "actions": ["workspace:create"], "resources": ["workspace:carl-*"]}
    updated = admin.patch(
        "/api/v1/roles/changing",
        {"name": "changed", "description": "no carl-*", "statements": [CREATE_WORKSPACES, deny]},
    )
    body = expect(updated, 200)
    assert (body["name"], body["description"], body["id"]) == ("changed", "no carl-*", role["id"])
    expect_error(carl.post("/api/v1/workspaces", {"name": "carl-2"}), 403, says="workspace:create")
    carl.create_workspace("other-name")
    assert expect(admin.get(f"/api/v1/roles/{role['id']}"), 200)["name"] == "changed"
    expect_error(admin.get("/api/v1/roles/changing"), 404)


def test_the_default_roles_are_the_seeds_and_cannot_change(module_harness: Harness) -> None:
    admin = module_harness.admin
    listed = expect(admin.get("/api/v1/roles", limit="500"), 200)["items"]
    builtin = {r["name"]: r for r in listed if r["builtin"]}
    assert set(builtin) == {"admin", "power-user", "read-only"}
    for name, role in builtin.items():
        assert role["statements"] == DEFAULT_ROLES[name]["statements"], name
    assert builtin["admin"]["statements"] == [
        {"effect": "ALLOW", "actions": ["*:*"], "resources": ["*"]}
    ]
    assert builtin["read-only"]["statements"] == [
        {"effect": "ALLOW", "actions": ["*:get", "*:list"], "resources": ["*"]},
        {
            "effect": "ALLOW",
            "actions": ["completion-usage:query", "completion-audit:export"],
            "resources": ["*"],
        },
    ]
    for name in builtin:
        expect_error(admin.patch(f"/api/v1/roles/{name}", {"description": "x"}), 409)
        expect_error(admin.delete(f"/api/v1/roles/{name}"), 409, says="built-in")
    after = {r["name"]: r for r in expect(admin.get("/api/v1/roles"), 200)["items"]}
    assert all(after[name] == builtin[name] for name in builtin)


def test_the_last_enabled_admin_cannot_be_removed(harness: Harness) -> None:
    admin = harness.admin
    expect_error(admin.patch("/api/v1/users/admin", {"enabled": False}), 409, says="last")
    expect_error(admin.delete("/api/v1/users/admin"), 409, says="last enabled admin")
    expect_error(admin.delete("/api/v1/users/admin/roles/admin"), 409, says="last enabled admin")
    assert expect(admin.get("/api/v1/auth/me"), 200)["roles"] == ["admin"]

    # With a second admin, the first may go.
    second = harness.user("second-admin", "admin", password=PASSWORD)
    expect(second.delete("/api/v1/users/admin/roles/admin"), 204)
    expect_error(second.delete("/api/v1/users/second-admin/roles/admin"), 409)
    expect_error(second.patch("/api/v1/users/second-admin", {"enabled": False}), 409)
    # A disabled admin does not count.
    expect(second.put("/api/v1/users/admin/roles/admin"), 204)
    expect(second.patch("/api/v1/users/admin", {"enabled": False}), 200)
    expect_error(second.delete("/api/v1/users/second-admin"), 409, says="last enabled admin")
