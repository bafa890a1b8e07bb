"""Issue 3's "Done when", over real HTTP: an admin signs in, creates a workspace, an
environment and a power-user, and that user can do exactly what the seed says and nothing
more.

The seed: a power-user "can create workspaces, environments, connections, and resources,
but cannot manage roles or users"; a workspace member "can create environments, AI
connections, and resources, but cannot delete workspaces"; only owners manage members.
"""

from __future__ import annotations

from tests.core.api.client import ADMIN_PASSWORD, expect, expect_error
from tests.core.api.conftest import Harness

PASSWORD = "power-User-Password-1"


def test_an_admin_sets_up_a_power_user_who_can_do_what_the_seed_says_and_no_more(
    harness: Harness,
) -> None:
    # The admin signs in with the password of the first start and sets things up.
    admin = harness.login("admin", ADMIN_PASSWORD)
    assert expect(admin.get("/api/v1/auth/me"), 200)["roles"] == ["admin"]
    admin.create_workspace("acme")
    admin.create_environment("acme", "production")
    user = admin.create_user("pat", "power-user", password=PASSWORD)
    assert user["roles"] == ["power-user"]

    # The power-user signs in with a password, like a person at the UI.
    pat = harness.login("pat", PASSWORD)
    me = expect(pat.get("/api/v1/auth/me"), 200)
    assert (me["username"], me["roles"], me["memberships"]) == ("pat", ["power-user"], {})

    # Creates workspaces (becoming their owner), environments and connections in them...
    assert pat.create_workspace("pats-lab")["role"] == "owner"
    pat.create_environment("pats-lab", "dev")
    connection = {
        "name": "openai-main",
        "provider": "openai",
        "settings": {"baseUrl": "http://127.0.0.1:9/v1"},
        "credentials": {"apiKey": "sk-pat-0000"},
    }
    expect(pat.post("/api/v1/workspaces/pats-lab/environments/dev/connections", connection), 201)
    # ...and, as their owner, manages their members and may delete them.
    pat.add_member("pats-lab", "admin")
    expect(pat.delete("/api/v1/workspaces/pats-lab/members/admin"), 204)
    expect(pat.delete("/api/v1/workspaces/pats-lab", force="true"), 204)

    # Reads users and roles, but manages neither.
    assert "admin" in {u["username"] for u in expect(pat.get("/api/v1/users"), 200)["items"]}
    expect(pat.get("/api/v1/roles/admin"), 200)
    expect_error(
        pat.post("/api/v1/users", {"username": "x", "email": "x@example.com"}),
        403,
        says="may not user:create on user:x@example.com",
    )
    expect_error(
        pat.patch("/api/v1/users/admin", {"enabled": False}),
        403,
        says="may not user:update on user:admin@localhost",
    )
    expect_error(pat.delete("/api/v1/users/admin"), 403, says="may not user:delete")
    expect_error(
        pat.put("/api/v1/users/admin/password", {"password": "taken-Over-123"}),
        403,
        says="may not user:update",
    )
    expect_error(
        pat.post("/api/v1/roles", {"name": "mine", "statements": []}),
        403,
        says="may not role:create on role:mine",
    )
    expect_error(pat.patch("/api/v1/roles/power-user", {"description": "x"}), 403)
    # No way to promote oneself.
    expect_error(
        pat.put("/api/v1/users/pat/roles/admin"), 403, says="may not role:assign on role:admin"
    )
    expect_error(pat.delete("/api/v1/users/pat/roles/power-user"), 403, says="role:unassign")
    assert expect(pat.get("/api/v1/auth/me"), 200)["roles"] == ["power-user"]

    # The admin's workspace is closed to pat until pat is made a member.
    expect_error(pat.get("/api/v1/workspaces/acme"), 403, says="pat is not a member")
    expect_error(
        pat.post("/api/v1/workspaces/acme/environments", {"name": "staging"}),
        403,
        says="may not environment:create on workspace:acme:environment:staging",
    )
    assert "acme" not in {w["name"] for w in expect(pat.get("/api/v1/workspaces"), 200)["items"]}
    admin.add_member("acme", "pat")

    # As a member: creates environments and connections, changes them...
    assert expect(pat.get("/api/v1/workspaces/acme"), 200)["role"] == "member"
    pat.create_environment("acme", "staging")
    expect(
        pat.patch("/api/v1/workspaces/acme/environments/production", {"description": "live"}),
        200,
    )
    expect(pat.post("/api/v1/workspaces/acme/environments/staging/connections", connection), 201)
    # ...but neither deletes the workspace nor manages its members.
    expect_error(
        pat.delete("/api/v1/workspaces/acme", force="true"),
        403,
        says="only an owner of workspace acme may workspace:delete",
    )
    expect_error(pat.post("/api/v1/workspaces/acme/members", {"user": "admin"}), 403)
    expect_error(pat.patch("/api/v1/workspaces/acme/members/pat", {"role": "owner"}), 403)
    expect_error(pat.delete("/api/v1/workspaces/acme/members/admin"), 403)

    # The policy simulator tells the admin the same, naming the deciding statement.
    def ask(action: str, resource: str) -> dict[str, object]:
        body = {"user": "pat", "action": action, "resource": resource}
        answer: dict[str, object] = expect(admin.post("/api/v1/policies/simulate", body), 200)
        return answer

    assert ask("environment:create", "workspace:acme:environment:qa") == {
        "decision": "ALLOW",
        "statement": {"role": "power-user", "index": 1, "effect": "ALLOW"},
        "reason": "statement 1 of role 'power-user' allows environment:create",
    }
    denied = ask("user:create", "user:x@example.com")
    assert denied["decision"] == "DENY"
    assert denied["statement"] == {"role": "power-user", "index": 0, "effect": "DENY"}
    owner_only = ask("workspace:delete", "workspace:acme")
    assert owner_only["decision"] == "DENY" and owner_only["statement"] is None
    assert "only an owner" in str(owner_only["reason"])

    # And the audit shows who did it.
    page = expect(admin.get("/api/v1/audit-events", actor="pat", limit="500"), 200)
    assert ("environment:create", "workspace:acme:environment:staging") in {
        (e["action"], e["resource"]) for e in page["items"]
    }
