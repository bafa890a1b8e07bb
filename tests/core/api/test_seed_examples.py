"""The seed's policy examples, as custom roles over HTTP: what the policy simulator answers
and what real calls are allowed.

* ``*:*`` on ``*`` — everything, but (not being the ``admin`` role) still only inside the
  workspaces its holder belongs to;
* ``*:get`` and ``*:list`` — reading and listing, no change;
* ``workspace:*`` — as a resource pattern: everything in any workspace (one belongs to), no
  users or roles; as an action pattern: workspace actions only;
* ``environment:production`` — that environment in any workspace one belongs to, with
  everything in it; never ``staging``, never ``production-eu``.

One gateway per database for the module; each test uses names of its own.
"""

from __future__ import annotations

from typing import Any

from tests.core.api.client import Api, expect, expect_error
from tests.core.api.conftest import Harness

PASSWORD = "seed-Password-123"


def allow(actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {"effect": "ALLOW", "actions": actions, "resources": resources}


def deny(actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {"effect": "DENY", "actions": actions, "resources": resources}


def simulate(admin: Api, user: str, action: str, resource: str) -> dict[str, Any]:
    body = {"user": user, "action": action, "resource": resource}
    answer: dict[str, Any] = expect(admin.post("/api/v1/policies/simulate", body), 200)
    assert set(answer) == {"decision", "statement", "reason"}, answer
    return answer


def assert_allowed_by(answer: dict[str, Any], role: str, index: int) -> None:
    assert answer["decision"] == "ALLOW", answer
    assert answer["statement"] == {"role": role, "index": index, "effect": "ALLOW"}, answer
    assert f"statement {index} of role {role!r}" in answer["reason"], answer


def assert_denied(answer: dict[str, Any], reason: str) -> None:
    assert answer["decision"] == "DENY", answer
    assert answer["statement"] is None, answer
    assert reason in answer["reason"], answer


def assert_forbidden(response: Any, action: str, resource: str) -> None:
    expect_error(response, 403, says=f"may not {action} on {resource}")


def test_star_star_on_star_allows_everything_outside_other_peoples_workspaces(
    module_harness: Harness,
) -> None:
    admin = module_harness.admin
    admin.create_role("everything", [allow(["*:*"], ["*"])])
    sam = module_harness.user("sam", "everything", password=PASSWORD)

    assert_allowed_by(simulate(admin, "sam", "user:create", "user:x@example.com"), "everything", 0)
    assert_allowed_by(simulate(admin, "sam", "role:delete", "role:anything"), "everything", 0)
    # Real calls: users, roles, role assignment, workspaces, environments.
    sam.create_user("made-by-sam", "read-only")
    sam.create_role("sams-role", [allow(["*:get"], ["*"])])
    expect(sam.put("/api/v1/users/made-by-sam/roles/sams-role"), 204)
    sam.create_workspace("sams")
    sam.create_environment("sams", "production")
    expect(sam.delete("/api/v1/workspaces/sams", force="true"), 204)

    # The membership rule exempts the admin role, not a copy of its policy.
    admin.create_workspace("theirs")
    assert_forbidden(sam.get("/api/v1/workspaces/theirs"), "workspace:get", "workspace:theirs")
    assert_denied(
        simulate(admin, "sam", "workspace:get", "workspace:theirs"),
        "sam is not a member of workspace theirs",
    )
    # The real admin role is exempt.
    assert_allowed_by(simulate(admin, "admin", "workspace:get", "workspace:theirs"), "admin", 0)


def test_get_and_list_read_everything_and_change_nothing(module_harness: Harness) -> None:
    admin = module_harness.admin
    admin.create_role("viewer", [allow(["*:get", "*:list"], ["*"])])
    vic = module_harness.user("vic", "viewer", password=PASSWORD)
    admin.create_workspace("vics")
    admin.create_environment("vics", "production")
    admin.add_member("vics", "vic")

    assert expect(vic.get("/api/v1/workspaces/vics"), 200)["role"] == "member"
    assert expect(vic.get("/api/v1/workspaces/vics/environments/production"), 200)["name"] == (
        "production"
    )
    assert expect(vic.get("/api/v1/workspaces/vics/environments"), 200)["total"] == 1
    assert expect(vic.get("/api/v1/users/admin"), 200)["username"] == "admin"
    assert expect(vic.get("/api/v1/roles/viewer"), 200)["statements"] == [
        allow(["*:get", "*:list"], ["*"])
    ]

    assert_forbidden(
        vic.post("/api/v1/workspaces", {"name": "mine"}), "workspace:create", "workspace:mine"
    )
    assert_forbidden(
        vic.patch("/api/v1/workspaces/vics/environments/production", {"description": "x"}),
        "environment:update",
        "workspace:vics:environment:production",
    )
    assert_forbidden(
        vic.post("/api/v1/users", {"username": "x", "email": "x@example.com"}),
        "user:create",
        "user:x@example.com",
    )
    assert_allowed_by(
        simulate(admin, "vic", "environment:list", "workspace:vics:environment:production"),
        "viewer",
        0,
    )
    assert_denied(
        simulate(admin, "vic", "environment:update", "workspace:vics:environment:production"),
        "no policy allows environment:update on workspace:vics:environment:production",
    )


def test_workspace_star_as_a_resource_and_as_an_action(module_harness: Harness) -> None:
    admin = module_harness.admin
    admin.create_role("workspaces-only", [allow(["*:*"], ["workspace:*"])])
    admin.create_role("workspace-actions", [allow(["workspace:*"], ["*"])])
    wes = module_harness.user("wes", "workspaces-only", password=PASSWORD)
    wanda = module_harness.user("wanda", "workspace-actions", password=PASSWORD)

    # workspace:* on resources: anything in a workspace of one's own, with what it holds...
    wes.create_workspace("wes-space")
    wes.create_environment("wes-space", "dev")
    expect(wes.patch("/api/v1/workspaces/wes-space/environments/dev", {"description": "d"}), 200)
    assert_allowed_by(
        simulate(admin, "wes", "ai-resource:create", "workspace:wes-space:environment:dev"),
        "workspaces-only",
        0,
    )
    # ...but no users or roles,
    assert_forbidden(wes.get("/api/v1/users/admin"), "user:get", "user:admin@localhost")
    assert expect(wes.get("/api/v1/roles"), 200)["total"] == 0
    assert_denied(
        simulate(admin, "wes", "user:get", "user:admin@localhost"),
        "no policy allows user:get on user:admin@localhost",
    )
    # ...and nothing in a workspace one is not a member of.
    admin.create_workspace("elsewhere")
    assert_forbidden(
        wes.get("/api/v1/workspaces/elsewhere"), "workspace:get", "workspace:elsewhere"
    )

    # workspace:* on actions: workspace actions only, not an environment's.
    wanda.create_workspace("wanda-space")
    expect(wanda.patch("/api/v1/workspaces/wanda-space", {"description": "mine"}), 200)
    assert_forbidden(
        wanda.post("/api/v1/workspaces/wanda-space/environments", {"name": "dev"}),
        "environment:create",
        "workspace:wanda-space:environment:dev",
    )
    assert_denied(
        simulate(admin, "wanda", "environment:create", "workspace:wanda-space:environment:dev"),
        "no policy allows environment:create",
    )


def test_environment_production_means_production_in_any_workspace_one_belongs_to(
    module_harness: Harness,
) -> None:
    admin = module_harness.admin
    admin.create_role("prod-ops", [allow(["*:*"], ["environment:production"])])
    pat = module_harness.user("pat", "prod-ops", password=PASSWORD)
    for workspace in ("W", "X", "Z"):
        admin.create_workspace(workspace)
        admin.create_environment(workspace, "production")
    admin.create_environment("W", "staging")
    admin.create_environment("W", "production-eu")
    admin.add_member("W", "pat")
    admin.add_member("X", "pat")

    # Allowed: production of W and X, reading and changing it.
    for workspace in ("W", "X"):
        path = f"/api/v1/workspaces/{workspace}/environments/production"
        assert expect(pat.get(path), 200)["workspace"] == workspace
        expect(pat.patch(path, {"description": "pat was here"}), 200)
    assert_allowed_by(
        simulate(admin, "pat", "environment:get", "workspace:W:environment:production"),
        "prod-ops",
        0,
    )
    # With everything in it.
    assert_allowed_by(
        simulate(
            admin, "pat", "ai-resource:update", "workspace:X:environment:production:ai-resource:c"
        ),
        "prod-ops",
        0,
    )
    # Listing W's environments shows production only.
    listed = expect(pat.get("/api/v1/workspaces/W/environments"), 200)
    assert [e["name"] for e in listed["items"]] == ["production"]

    # Denied: staging, a longer name (patterns are anchored), the workspace itself.
    assert_forbidden(
        pat.get("/api/v1/workspaces/W/environments/staging"),
        "environment:get",
        "workspace:W:environment:staging",
    )
    assert_denied(
        simulate(admin, "pat", "environment:get", "workspace:W:environment:staging"),
        "no policy allows environment:get on workspace:W:environment:staging",
    )
    assert_forbidden(
        pat.get("/api/v1/workspaces/W/environments/production-eu"),
        "environment:get",
        "workspace:W:environment:production-eu",
    )
    assert_forbidden(pat.get("/api/v1/workspaces/W"), "workspace:get", "workspace:W")
    # Denied: production of a workspace pat is not a member of.
    assert_forbidden(
        pat.get("/api/v1/workspaces/Z/environments/production"),
        "environment:get",
        "workspace:Z:environment:production",
    )
    assert_denied(
        simulate(admin, "pat", "environment:get", "workspace:Z:environment:production"),
        "pat is not a member of workspace Z",
    )


def test_deny_overrides_allow_whatever_the_order(module_harness: Harness) -> None:
    admin = module_harness.admin
    # DENY after ALLOW in one role.
    admin.create_role(
        "no-deleting",
        [allow(["*:*"], ["*"]), deny(["workspace:delete"], ["workspace:*"])],
    )
    # DENY in another role than the ALLOW, even next to the admin role.
    admin.create_role("no-users", [deny(["user:*"], ["*"])])
    dee = module_harness.user("dee", "no-deleting", password=PASSWORD)
    root = module_harness.user("root", "admin", "no-users", password=PASSWORD)

    dee.create_workspace("dees")
    response = dee.delete("/api/v1/workspaces/dees")
    error = expect_error(response, 403, says="may not workspace:delete on workspace:dees")
    assert "statement 1 of role 'no-deleting' denies workspace:delete" in error["message"]
    answer = simulate(admin, "dee", "workspace:delete", "workspace:dees")
    assert answer["decision"] == "DENY"
    assert answer["statement"] == {"role": "no-deleting", "index": 1, "effect": "DENY"}

    assert_forbidden(
        root.post("/api/v1/users", {"username": "x", "email": "x@example.com"}),
        "user:create",
        "user:x@example.com",
    )
    answer = simulate(admin, "root", "user:create", "user:x@example.com")
    assert answer["statement"] == {"role": "no-users", "index": 0, "effect": "DENY"}
    # Roles other than users still come from the admin role.
    assert_allowed_by(simulate(admin, "root", "role:create", "role:r"), "admin", 0)

    # The default power-user: its DENY comes first, and wins over its own ALLOW.
    module_harness.admin.create_user("pu", "power-user")
    answer = simulate(admin, "pu", "role:assign", "role:admin")
    assert answer["decision"] == "DENY"
    assert answer["statement"] == {"role": "power-user", "index": 0, "effect": "DENY"}
    assert_allowed_by(simulate(admin, "pu", "workspace:create", "workspace:new"), "power-user", 1)
