"""Bad input: malformed policies, awkward names, name conflicts, unknown objects, the last
owner, non-empty environments, malformed requests. One gateway per database for the module;
each test uses names of its own."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db.models import AIConnection
from tests.core.api.client import Api, expect, expect_error, run_db, seg
from tests.core.api.conftest import Harness

OK = {"effect": "ALLOW", "actions": ["workspace:get"], "resources": ["workspace:x"]}


def statement(**changes: Any) -> dict[str, Any]:
    changed = dict(OK, **changes)
    return {k: v for k, v in changed.items() if v is not None}


MALFORMED: list[tuple[list[Any], str]] = [
    ([statement(effect="MAYBE")], "statements[0].effect"),
    ([statement(effect="allow")], "statements[0].effect"),
    ([OK, statement(actions=[])], "statements[1].actions"),
    ([OK, OK, statement(resources=[])], "statements[2].resources"),
    ([statement(actions="workspace:get")], "statements[0].actions"),
    ([statement(actions=["workspace create"])], "statements[0].actions[0]"),
    ([statement(actions=["Workspace:Get"])], "statements[0].actions[0]"),
    ([statement(actions=["workspace:get", "workspace"])], "statements[0].actions[1]"),
    ([statement(actions=["workspace:get", "workspace:frobnicate"])], "statements[0].actions[1]"),
    ([statement(actions=["wokspace:get"])], "statements[0].actions[0]"),
    ([statement(resources=["workspace::x"])], "statements[0].resources[0]"),
    ([statement(resources=["workspace:x:"])], "statements[0].resources[0]"),
    ([statement(resources=[" workspace:x"])], "statements[0].resources[0]"),
    ([statement(resources=[""])], "statements[0].resources[0]"),
    ([statement(resources=[42])], "statements[0].resources[0]"),
    ([statement(resources=None)], "statements[0].resources"),
    ([statement(effect=None)], "statements[0].effect"),
    ([dict(OK, condition={"ip": "10.0.0.0/8"})], "statements[0].condition"),
    (["ALLOW *:* on *"], "statements[0]"),
]


def test_malformed_policies_are_refused_naming_the_statement_and_field(
    module_harness: Harness,
) -> None:
    admin = module_harness.admin
    admin.create_role("policy-target", [OK])
    problems = []
    for statements, param in MALFORMED:
        created = admin.post("/api/v1/roles", {"name": "malformed", "statements": statements})
        patched = admin.patch("/api/v1/roles/policy-target", {"statements": statements})
        for what, response in (("create", created), ("update", patched)):
            error = response.json().get("error", {})
            if response.status_code != 400 or error.get("param") != param:
                problems.append(f"{what} {statements}: {response.status_code} {response.text}")
            elif param not in error["message"]:
                problems.append(f"{what} {statements}: message does not name {param}: {error}")
    assert not problems, "\n".join(problems)
    # Nothing was saved.
    expect_error(admin.get("/api/v1/roles/malformed"), 404)
    assert expect(admin.get("/api/v1/roles/policy-target"), 200)["statements"] == [OK]
    # Not a list at all.
    expect_error(
        admin.post("/api/v1/roles", {"name": "malformed", "statements": {"effect": "ALLOW"}}),
        400,
        param="statements",
    )


AWKWARD_NAMES = [
    "'; DROP TABLE users; --",
    "Robert'); DELETE FROM workspaces WHERE ('1'='1",
    "double \"quoted\" and 'single' quotes",
    "Ünïcødé 工作区 🚀 ñ",
    "100% sure & <b>bold<b> #hash, +x=1;",
    "L" + "ø" * 253 + "!",  # 255 characters, many of them two bytes in UTF-8
]


def test_long_unicode_and_sql_looking_names_are_stored_and_returned_intact(
    module_harness: Harness,
) -> None:
    admin = module_harness.admin
    assert len(AWKWARD_NAMES[-1]) == 255
    for index, name in enumerate(AWKWARD_NAMES):
        workspace = admin.create_workspace(name, description=name)
        assert workspace["name"] == name and workspace["description"] == name
        got = expect(admin.get(f"/api/v1/workspaces/{seg(name)}"), 200)
        assert got["id"] == workspace["id"] and got["name"] == name

        environment = admin.create_environment(name, name)
        path = f"/api/v1/workspaces/{seg(name)}/environments/{seg(name)}"
        assert expect(admin.get(path), 200) == environment
        assert environment["name"] == name and environment["workspace"] == name

        role = admin.create_role(name, [OK])
        assert expect(admin.get(f"/api/v1/roles/{seg(name)}"), 200)["name"] == name
        assert role["name"] == name

        user = admin.create_user(name, email=f"awkward{index}@example.com")
        assert expect(admin.get(f"/api/v1/users/{seg(name)}"), 200)["username"] == name
        assert user["username"] == name
        expect(admin.put(f"/api/v1/users/{seg(name)}/roles/{seg(name)}"), 204)
        assert expect(admin.get(f"/api/v1/users/{seg(name)}/roles"), 200) == [name]
        admin.add_member(name, name)
        members = expect(admin.get(f"/api/v1/workspaces/{seg(name)}/members"), 200)
        assert {m["username"] for m in members} == {"admin", name}

    # Listed intact, and every table is still there.
    listed = expect(admin.get("/api/v1/workspaces", limit="500"), 200)
    assert set(AWKWARD_NAMES) <= {w["name"] for w in listed["items"]}
    users = expect(admin.get("/api/v1/users", limit="500"), 200)
    assert set(AWKWARD_NAMES) <= {u["username"] for u in users["items"]}
    roles = expect(admin.get("/api/v1/roles", limit="500"), 200)
    assert set(AWKWARD_NAMES) <= {r["name"] for r in roles["items"]}
    # The policy resource names carry them too.
    answer = expect(
        admin.post(
            "/api/v1/policies/simulate",
            {
                "user": AWKWARD_NAMES[0],
                "action": "workspace:get",
                "resource": f"workspace:{AWKWARD_NAMES[0]}",
            },
        ),
        200,
    )
    assert answer["decision"] == "DENY"  # the role allows workspace:x only


BAD_NAMES = [
    ("x" * 256, "255"),
    ("a:b", "':'"),
    ("a*", "'*'"),
    ("a?", "'?'"),
    ("a/b", "'/'"),
    ("a\\b", "'\\'"),
    ("line\nbreak", "control characters"),
    ("", "length"),
]


@pytest.mark.parametrize(("name", "says"), BAD_NAMES, ids=[s for _, s in BAD_NAMES])
def test_bad_names_are_refused_naming_the_field(
    module_harness: Harness, name: str, says: str
) -> None:
    admin = module_harness.admin
    admin.request("POST", "/api/v1/workspaces", json={"name": "named"})  # may exist already
    cases: list[tuple[str, str, dict[str, Any], str]] = [
        ("POST", "/api/v1/workspaces", {"name": name}, "name"),
        ("PATCH", "/api/v1/workspaces/named", {"name": name}, "name"),
        ("POST", "/api/v1/workspaces/named/environments", {"name": name}, "name"),
        ("POST", "/api/v1/roles", {"name": name, "statements": [OK]}, "name"),
        ("POST", "/api/v1/users", {"username": name, "email": "n@example.com"}, "username"),
        ("POST", "/api/v1/auth/tokens", {"name": name}, "name"),
    ]
    for method, path, body, param in cases:
        response = admin.request(method, path, json=body)
        error = expect_error(response, 400, param=param)
        assert param in error["message"] and says in error["message"], error


def test_duplicate_names_are_409(module_harness: Harness) -> None:
    admin = module_harness.admin
    admin.create_workspace("dup-ws")
    admin.create_workspace("dup-other")
    expect_error(admin.post("/api/v1/workspaces", {"name": "dup-ws"}), 409, param="name")
    expect_error(admin.patch("/api/v1/workspaces/dup-other", {"name": "dup-ws"}), 409)

    admin.create_environment("dup-ws", "prod")
    admin.create_environment("dup-ws", "dev")
    environments = "/api/v1/workspaces/dup-ws/environments"
    expect_error(admin.post(environments, {"name": "prod"}), 409, param="name")
    expect_error(admin.patch(f"{environments}/dev", {"name": "prod"}), 409)
    admin.create_environment("dup-other", "prod")  # unique per workspace only

    admin.create_role("dup-role", [OK])
    admin.create_role("dup-role-2", [OK])
    duplicate_role = {"name": "dup-role", "statements": [OK]}
    expect_error(admin.post("/api/v1/roles", duplicate_role), 409, param="name")
    expect_error(admin.patch("/api/v1/roles/dup-role-2", {"name": "dup-role"}), 409)
    expect_error(admin.patch("/api/v1/roles/dup-role-2", {"name": "admin"}), 409)

    admin.create_user("dup-user")
    admin.create_user("dup-user-2")
    same_name = {"username": "dup-user", "email": "other@example.com"}
    expect_error(admin.post("/api/v1/users", same_name), 409, param="username")
    same_email = {"username": "someone-else", "email": "DUP-USER@example.com"}
    expect_error(admin.post("/api/v1/users", same_email), 409, param="email")
    expect_error(
        admin.patch("/api/v1/users/dup-user-2", {"email": "dup-user@example.com"}),
        409,
        param="email",
    )

    admin.add_member("dup-ws", "dup-user")
    expect_error(admin.post("/api/v1/workspaces/dup-ws/members", {"user": "dup-user"}), 409)
    # Nothing was changed by the refused requests.
    assert expect(admin.get(f"{environments}/dev"), 200)["name"] == "dev"
    assert expect(admin.get("/api/v1/users/dup-user-2"), 200)["email"] == ("dup-user-2@example.com")


def test_unknown_objects_are_404(module_harness: Harness) -> None:
    admin = module_harness.admin
    admin.create_workspace("known")
    admin.create_environment("known", "env")
    admin.create_user("known-user")
    missing = "01900000-0000-7000-8000-000000000000"
    described = {"description": "x"}
    promote = {"role": "owner"}
    for method, path, body in [
        ("GET", f"/api/v1/workspaces/{missing}", None),
        ("PATCH", "/api/v1/workspaces/nowhere", described),
        ("DELETE", "/api/v1/workspaces/nowhere", None),
        ("GET", "/api/v1/workspaces/nowhere/environments", None),
        ("POST", "/api/v1/workspaces/nowhere/environments", {"name": "x"}),
        ("GET", "/api/v1/workspaces/known/environments/nothing", None),
        ("GET", f"/api/v1/workspaces/known/environments/{missing}", None),
        ("PATCH", "/api/v1/workspaces/known/environments/nothing", described),
        ("DELETE", "/api/v1/workspaces/known/environments/nothing", None),
        ("GET", "/api/v1/workspaces/nowhere/members", None),
        ("PATCH", "/api/v1/workspaces/known/members/nobody", promote),
        ("PATCH", "/api/v1/workspaces/known/members/known-user", promote),  # not a member
        ("DELETE", "/api/v1/workspaces/known/members/known-user", None),
        ("GET", "/api/v1/users/nobody", None),
        ("PATCH", "/api/v1/users/nobody", {"displayName": "x"}),
        ("DELETE", f"/api/v1/users/{missing}", None),
        ("PUT", "/api/v1/users/nobody/password", {"password": "long-enough-1"}),
        ("GET", "/api/v1/users/nobody/roles", None),
        ("PUT", "/api/v1/users/known-user/roles/no-role", None),
        ("DELETE", "/api/v1/users/nobody/roles/read-only", None),
        ("GET", "/api/v1/roles/no-role", None),
        ("PATCH", "/api/v1/roles/no-role", described),
        ("DELETE", "/api/v1/roles/no-role", None),
        ("GET", "/api/v1/roles/no-role/members", None),
        ("DELETE", f"/api/v1/auth/tokens/{missing}", None),
    ]:
        error = expect_error(admin.request(method, path, json=body), 404)
        assert error["type"] == "not_found_error"
    expect_error(admin.get("/api/v1/audit-events", workspace="nowhere"), 404)
    # The simulator and member additions name their unknown user.
    simulate = {"user": "nobody", "action": "workspace:get", "resource": "workspace:known"}
    expect_error(admin.post("/api/v1/policies/simulate", simulate), 404, says="nobody")
    expect_error(
        admin.post("/api/v1/workspaces/known/members", {"user": "nobody"}), 400, param="user"
    )


def test_a_workspace_always_keeps_an_owner(module_harness: Harness) -> None:
    admin = module_harness.admin
    olga = module_harness.user("olga", "power-user", password="olga-Password-1")
    admin.create_user("oscar", "power-user")
    olga.create_workspace("owned")
    members = "/api/v1/workspaces/owned/members"

    expect_error(olga.delete(f"{members}/olga"), 409, says="must keep an owner")
    expect_error(olga.patch(f"{members}/olga", {"role": "member"}), 409, says="keep an owner")
    expect_error(admin.delete(f"{members}/olga"), 409)  # not even an admin
    expect_error(admin.delete("/api/v1/users/olga"), 409, says="last owner of workspace 'owned'")
    assert {m["role"] for m in expect(olga.get(members), 200)} == {"owner"}

    # With a second owner, the first may step down and leave.
    olga.add_member("owned", "oscar", "owner")
    assert expect(olga.patch(f"{members}/olga", {"role": "member"}), 200)["role"] == "member"
    expect_error(olga.delete(f"{members}/oscar"), 403, says="may not workspace:unassign")
    expect(admin.delete(f"{members}/olga"), 204)
    assert [(m["username"], m["role"]) for m in expect(admin.get(members), 200)] == [
        ("oscar", "owner")
    ]


def test_deleting_non_empty_things_needs_force(module_harness: Harness) -> None:
    admin = module_harness.admin
    admin.create_workspace("full")
    environment = admin.create_environment("full", "with-connection")
    admin.create_environment("full", "empty")

    async def add_connection(session: AsyncSession) -> None:
        session.add(
            AIConnection(environment_id=environment["id"], name="openai-main", provider="openai")
        )

    async def count_connections(session: AsyncSession) -> int:
        query = select(func.count()).select_from(AIConnection)
        return int(
            await session.scalar(query.where(AIConnection.environment_id == environment["id"])) or 0
        )

    run_db(module_harness.database_url, add_connection)
    path = "/api/v1/workspaces/full/environments"
    error = expect_error(admin.delete(f"{path}/with-connection"), 409, param="force")
    assert "1 connections" in error["message"] and "force=true" in error["message"]
    expect(admin.get(f"{path}/with-connection"), 200)
    expect(admin.delete(f"{path}/empty"), 204)  # an empty one needs no force
    expect(admin.delete(f"{path}/with-connection", force="true"), 204)
    expect_error(admin.get(f"{path}/with-connection"), 404)
    assert run_db(module_harness.database_url, count_connections) == 0

    # A workspace with environments needs force too, and takes them with it.
    admin.create_environment("full", "again")
    expect_error(admin.delete("/api/v1/workspaces/full"), 409, param="force")
    expect(admin.delete("/api/v1/workspaces/full", force="true"), 204)
    expect_error(admin.get("/api/v1/workspaces/full"), 404)


def test_malformed_requests_are_400_naming_the_field(module_harness: Harness) -> None:
    admin: Api = module_harness.admin
    not_json = admin.http.post(
        "/api/v1/workspaces", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 400 and not_json.json()["error"]["type"] == (
        "invalid_request_error"
    )
    expect_error(admin.post("/api/v1/workspaces", {"name": 42}), 400, param="name")
    expect_error(
        admin.post("/api/v1/users", {"username": "e", "email": "not-an-email"}), 400, param="email"
    )
    expect_error(
        admin.post("/api/v1/users", {"username": "p", "email": "p@example.com", "password": "x"}),
        400,
        param="password",
    )
    admin.create_workspace("members-400")
    expect_error(
        admin.post("/api/v1/workspaces/members-400/members", {"user": "admin", "role": "boss"}),
        400,
        param="role",
    )
    expect_error(
        admin.post("/api/v1/auth/tokens", {"name": "t", "expiresInDays": 0}),
        400,
        param="expiresInDays",
    )
    for query in ({"limit": "0"}, {"limit": "501"}, {"offset": "-1"}, {"limit": "many"}):
        response = admin.request("GET", "/api/v1/workspaces", params=query)
        expect_error(response, 400, param=next(iter(query)))


def test_a_missing_or_unknown_field_is_named_in_param(module_harness: Harness) -> None:
    """``param`` names the field, as for a wrong type, not the whole body (``data``)."""
    admin = module_harness.admin
    expect_error(admin.post("/api/v1/workspaces", {"name": 42}), 400, param="name")
    expect_error(admin.post("/api/v1/workspaces", {"nmae": "typo"}), 400, param="nmae")
    expect_error(admin.post("/api/v1/workspaces", {}), 400, param="name")
