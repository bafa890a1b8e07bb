"""``POST /api/v1/auth/permissions``: the caller's own answers, as every endpoint decides
them (roles, workspace membership), with bad input refused by field. One gateway per
database for the module; each test uses names of its own."""

from __future__ import annotations

from typing import Any

import pytest

from tests.core.api.client import Api, expect, expect_error, seg
from tests.core.api.conftest import Harness

PERMISSIONS = "/api/v1/auth/permissions"
PASSWORD = "perm-Password-123"


def ask(api: Api, *checks: tuple[str, str]) -> list[str]:
    """The decisions for ``checks`` (action, resource), in order, checking the echo."""
    body = {"checks": [{"action": a, "resource": r} for a, r in checks]}
    results: list[dict[str, Any]] = expect(api.post(PERMISSIONS, body), 200)["results"]
    assert [(r["action"], r["resource"]) for r in results] == list(checks)
    return [r["decision"] for r in results]


def test_the_admin_may_do_anything(module_harness: Harness) -> None:
    assert ask(
        module_harness.admin,
        ("user:create", "user:*"),
        ("workspace:delete", "workspace:anything"),
    ) == ["ALLOW", "ALLOW"]


def test_a_read_only_user_may_read_but_not_write(module_harness: Harness) -> None:
    admin = module_harness.admin
    admin.create_workspace("perm-ro")
    admin.create_environment("perm-ro", "dev")
    reader = module_harness.user("perm-reader", "read-only", password=PASSWORD)
    admin.add_member("perm-ro", "perm-reader")
    env = "workspace:perm-ro:environment:dev"
    assert ask(
        reader,
        ("ai-connection:list", env),
        ("ai-connection:create", f"{env}:ai-connection:*"),
        ("user:create", "user:*"),
        ("role:list", "role:*"),
        ("completion-usage:query", env),
    ) == ["ALLOW", "DENY", "DENY", "ALLOW", "ALLOW"]
    # What the endpoint says is what the API does.
    path = f"/api/v1/workspaces/{seg('perm-ro')}/environments/dev/connections"
    expect(reader.get(path), 200)
    expect_error(reader.post(path, {"name": "c", "provider": "openai"}), 403)


def test_workspace_membership_is_part_of_the_answer(module_harness: Harness) -> None:
    admin = module_harness.admin
    admin.create_workspace("perm-theirs")
    admin.create_workspace("perm-mine")
    power = module_harness.user("perm-power", "power-user", password=PASSWORD)
    admin.add_member("perm-mine", "perm-power")
    decisions = ask(
        power,
        ("environment:create", "workspace:perm-mine:environment:*"),
        ("environment:create", "workspace:perm-theirs:environment:*"),
        ("workspace:assign", "workspace:perm-mine"),
    )
    # A member acts inside the workspace; an outsider does not; only owners manage members.
    assert decisions == ["ALLOW", "DENY", "DENY"]
    expect_error(
        power.post(f"/api/v1/workspaces/{seg('perm-theirs')}/environments", {"name": "x"}), 403
    )


def test_the_same_question_twice_gets_two_answers(module_harness: Harness) -> None:
    checks = [("role:create", "role:*")] * 3
    assert ask(module_harness.admin, *checks) == ["ALLOW"] * 3


def test_a_session_asks_with_its_csrf_token(module_harness: Harness) -> None:
    module_harness.admin.create_user("perm-session", "read-only", password=PASSWORD)
    session = module_harness.login("perm-session", PASSWORD)
    assert ask(session, ("user:delete", "user:*")) == ["DENY"]
    refused = session.request(
        "POST",
        PERMISSIONS,
        json={"checks": []},
        headers={"x-csrf-token": "wrong"},
    )
    expect_error(refused, 403, says="CSRF")


def test_nobody_signed_in_gets_401(module_harness: Harness) -> None:
    expect_error(module_harness.anonymous().post(PERMISSIONS, {"checks": []}), 401)


def test_no_questions_no_answers(module_harness: Harness) -> None:
    assert expect(module_harness.admin.post(PERMISSIONS, {"checks": []}), 200) == {"results": []}


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "checks"),
        ({"checks": "user:create"}, "checks"),
        ({"checks": [{"action": "user:create"}]}, "checks[0]"),
        ({"checks": [{"action": "user:get", "resource": "user:*"}, 7]}, "checks[1]"),
        ({"checks": [{"action": "create", "resource": "user:*"}]}, "checks[0].action"),
        ({"checks": [{"action": "User:Create", "resource": "user:*"}]}, "checks[0].action"),
        ({"checks": [{"action": "user:create", "resource": ""}]}, "checks[0].resource"),
        ({"checks": [{"action": "user:create", "resource": "user:*", "x": 1}]}, "checks[0]"),
        ({"checks": [{"action": "user:get", "resource": "user:*"}] * 201}, "checks"),
    ],
)
def test_bad_questions_are_400_naming_the_field(
    module_harness: Harness, body: dict[str, Any], param: str
) -> None:
    error = expect_error(module_harness.admin.post(PERMISSIONS, body), 400)
    assert error["param"] is not None and error["param"].startswith(param), error
