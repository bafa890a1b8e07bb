"""Workspaces and their members over HTTP: the creator owns, owners manage members, the
caller's membership shows, renaming keeps members, deleting takes memberships along."""

from __future__ import annotations

from tests.core.api.client import expect, expect_error
from tests.core.api.conftest import Harness

PASSWORD = "workspace-Password-1"


def test_the_creator_owns_and_owners_manage_the_members(module_harness: Harness) -> None:
    olive = module_harness.user("olive", "power-user", password=PASSWORD)
    mike = module_harness.user("mike", "power-user", password=PASSWORD)
    nora = module_harness.user("nora", "read-only", password=PASSWORD)

    created = olive.create_workspace("olives", description="Olive's")
    assert (created["name"], created["description"], created["role"]) == (
        "olives",
        "Olive's",
        "owner",
    )
    members = "/api/v1/workspaces/olives/members"
    assert [(m["username"], m["role"]) for m in expect(olive.get(members), 200)] == [
        ("olive", "owner")
    ]

    added = olive.add_member("olives", "mike@example.com")  # by email, as a member
    assert (added["username"], added["role"]) == ("mike", "member")
    olive.add_member("olives", "nora", "member")
    assert expect(nora.get("/api/v1/workspaces/olives"), 200)["role"] == "member"
    assert expect(mike.get("/api/v1/workspaces/olives"), 200)["role"] == "member"
    assert expect(mike.get("/api/v1/auth/me"), 200)["memberships"] == {"olives": "member"}
    # A member does not manage members...
    expect_error(
        mike.post(members, {"user": "admin"}), 403, says="only an owner of workspace olives"
    )
    expect_error(mike.patch(f"{members}/mike", {"role": "owner"}), 403)
    expect_error(mike.delete(f"{members}/nora"), 403)
    # ...an owner does.
    promoted = olive.patch(f"{members}/mike", {"role": "owner"})
    assert expect(promoted, 200)["role"] == "owner"
    expect(mike.delete(f"{members}/nora"), 204)
    assert {m["username"] for m in expect(olive.get(members), 200)} == {"olive", "mike"}
    # A former member can no longer get in.
    expect_error(nora.get("/api/v1/workspaces/olives"), 403, says="not a member")
    assert expect(nora.get("/api/v1/auth/me"), 200)["memberships"] == {}


def test_renaming_keeps_members_and_deleting_takes_memberships(module_harness: Harness) -> None:
    admin = module_harness.admin
    rosa = module_harness.user("rosa", "power-user", password=PASSWORD)
    rosa.create_workspace("before")
    rosa.create_environment("before", "prod")

    renamed = rosa.patch("/api/v1/workspaces/before", {"name": "after", "description": "new"})
    assert expect(renamed, 200)["name"] == "after"
    expect_error(rosa.get("/api/v1/workspaces/before"), 404)
    assert expect(rosa.get("/api/v1/workspaces/after"), 200)["role"] == "owner"
    environment = expect(rosa.get("/api/v1/workspaces/after/environments/prod"), 200)
    assert environment["workspace"] == "after"
    assert expect(rosa.get("/api/v1/auth/me"), 200)["memberships"] == {"after": "owner"}

    expect(rosa.delete("/api/v1/workspaces/after", force="true"), 204)
    assert expect(rosa.get("/api/v1/auth/me"), 200)["memberships"] == {}
    # A workspace created again under the old name is a new one, with no members but its
    # creator.
    admin.create_workspace("after")
    expect_error(rosa.get("/api/v1/workspaces/after"), 403, says="not a member")
    members = expect(admin.get("/api/v1/workspaces/after/members"), 200)
    assert [m["username"] for m in members] == ["admin"]
