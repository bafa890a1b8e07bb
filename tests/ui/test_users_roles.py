"""Users, roles and the policy simulator in a real browser: a role written in the policy
editor (and the API's validation error beside the statement it names), a user made with it,
their profile, password and roles changed, the simulator's ALLOW and DENY with the deciding
statement, and what a read-only user sees (no buttons to change anything)."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Locator, Page, expect

from tests.core.api.client import Api, login
from tests.core.api.client import expect as expect_status
from tests.ui.conftest import NewPage, Screenshot, SignInAs, sign_in, unique


def _statement(page: Page, number: int) -> Locator:
    return page.get_by_role("group", name=f"Statement {number}", exact=True)


def _pattern(statement: Locator, kind: str, number: int) -> Locator:
    return statement.get_by_label(f"{kind} {number}", exact=True)


def test_create_a_role_with_a_policy_and_a_user_holding_it(
    admin_page: Page, admin_api: Api, screenshot: Screenshot
) -> None:
    page = admin_page
    role = unique("auditor")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Roles").click()
    page.get_by_role("link", name="New role").click()
    page.get_by_label("Name").fill(role)
    page.get_by_label("Description").fill("Reads usage, may not delete users.")

    first = _statement(page, 1)
    _pattern(first, "Action", 1).fill("completion-usage:query")
    first.get_by_role("button", name="+ Add action").click()
    _pattern(first, "Action", 2).fill("audit-event:list")
    expect(_pattern(first, "Resource", 1)).to_have_value("*")

    page.get_by_role("button", name="Add statement").click()
    second = _statement(page, 2)
    second.get_by_label("Effect").select_option("DENY")
    _pattern(second, "Action", 1).fill("user:delete")
    _pattern(second, "Resource", 1).fill("user:*")
    screenshot(page, "roles-editor")

    # The JSON view shows the same policy.
    page.get_by_role("tab", name="JSON").click()
    text = page.get_by_label("Statements (JSON)").input_value()
    assert json.loads(text) == [
        {
            "effect": "ALLOW",
            "actions": ["completion-usage:query", "audit-event:list"],
            "resources": ["*"],
        },
        {"effect": "DENY", "actions": ["user:delete"], "resources": ["user:*"]},
    ]
    page.get_by_role("tab", name="Statements").click()
    page.get_by_role("button", name="Create role").click()

    expect(page).to_have_url(re.compile(rf"/ui/roles/{role}$"))
    expect(page.get_by_role("heading", name=role, level=1)).to_be_visible()
    policy = page.get_by_role("table", name="Policy statements")
    expect(policy.locator("tbody tr")).to_have_count(2)
    expect(policy.locator("tbody tr").nth(1)).to_contain_text("DENY")
    saved = expect_status(admin_api.get(f"/api/v1/roles/{role}"), 200)
    assert saved["statements"][1] == {
        "effect": "DENY",
        "actions": ["user:delete"],
        "resources": ["user:*"],
    }

    # A user holding it, made in the UI; a taken username is refused beside its field.
    username = unique("carol")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    page.get_by_role("link", name="New user").click()
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Password").fill("carol-Password-1")
    page.get_by_role("checkbox", name=role, exact=True).check()
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_label("Username")).to_have_accessible_description(
        re.compile("already exists")
    )
    expect(page.get_by_label("Email")).not_to_have_attribute("aria-invalid", "true")
    page.get_by_label("Username").fill(username)
    page.get_by_role("button", name="Create user").click()

    expect(page).to_have_url(re.compile(rf"/ui/users/{username}$"))
    held = page.get_by_role("list", name=f"Roles of {username}")
    expect(held.get_by_role("link", name=role)).to_be_visible()
    user = expect_status(admin_api.get(f"/api/v1/users/{username}"), 200)
    assert user["roles"] == [role] and user["email"] == f"{username}@example.com"
    # The new user signs in with the password given.
    login(admin_api.base_url, admin_api.transcript, username, "carol-Password-1")

    # The role's page lists its member.
    held.get_by_role("link", name=role).click()
    members = page.get_by_role("table", name=f"Users holding {role}")
    expect(members.get_by_role("link", name=username)).to_be_visible()


def test_a_policy_error_shows_beside_the_statement_it_names(admin_page: Page) -> None:
    page = admin_page
    page.goto("/ui/roles/new")
    page.get_by_label("Name").fill(unique("typo"))
    _pattern(_statement(page, 1), "Action", 1).fill("workspace:get")
    page.get_by_role("button", name="Add statement").click()
    second = _statement(page, 2)
    _pattern(second, "Action", 1).fill("ai-resource:get")
    second.get_by_role("button", name="+ Add action").click()
    bad = _pattern(second, "Action", 2)
    bad.fill("user:frobnicate")
    page.get_by_role("button", name="Create role").click()

    # statements[1].actions[1]: beside that action of statement 2, nowhere else.
    expect(bad).to_have_attribute("aria-invalid", "true")
    expect(bad).to_have_accessible_description(re.compile("unknown action 'user:frobnicate'"))
    expect(_pattern(second, "Action", 1)).not_to_have_attribute("aria-invalid", "true")
    expect(_pattern(_statement(page, 1), "Action", 1)).not_to_have_attribute("aria-invalid", "true")
    expect(page).to_have_url(re.compile(r"/ui/roles/new$"))

    # An empty resource of statement 1: statements[0].resources[0].
    bad.fill("user:get")
    _pattern(_statement(page, 1), "Resource", 1).fill("")
    page.get_by_role("button", name="Create role").click()
    resource = _pattern(_statement(page, 1), "Resource", 1)
    expect(resource).to_have_accessible_description(re.compile("must not be empty"))
    expect(bad).not_to_have_attribute("aria-invalid", "true")

    # In the JSON view the error names its path; fixed there, the role is created.
    page.get_by_role("tab", name="JSON").click()
    editor = page.get_by_label("Statements (JSON)")
    page.get_by_role("button", name="Create role").click()
    expect(editor).to_have_accessible_description(re.compile(r"statements\[0\]\.resources\[0\]"))
    editor.fill('[{"effect": "ALLOW", "actions": ["workspace:get"], "resources": ["*"]}]')
    page.get_by_role("button", name="Create role").click()
    expect(page.get_by_role("table", name="Policy statements").locator("tbody tr")).to_have_count(1)


def test_edit_a_user_then_delete_them(admin_page: Page, admin_api: Api, new_page: NewPage) -> None:
    page = admin_page
    username = unique("dave")
    admin_api.create_user(username, "read-only", password="dave-Password-1")
    page.goto(f"/ui/users/{username}")
    expect(page.get_by_role("heading", name=username, level=1)).to_be_visible()

    # Profile: a malformed email is refused beside the field; then email and status change.
    email = page.get_by_label("Email")
    email.fill("not-an-email")
    page.get_by_role("button", name="Save profile").click()
    expect(email).to_have_attribute("aria-invalid", "true")
    email.fill(f"{username}@example.org")
    page.get_by_label("Enabled (may sign in)").uncheck()
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status").filter(has_text="The profile was saved")).to_be_visible()
    saved = expect_status(admin_api.get(f"/api/v1/users/{username}"), 200)
    assert (saved["email"], saved["enabled"]) == (f"{username}@example.org", False)
    page.get_by_label("Enabled (may sign in)").check()
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status").filter(has_text="The profile was saved")).to_be_visible()

    # Password: the repeat must match; then the user signs in with the new one.
    page.get_by_label("New password").fill("dave-New-Password-2")
    page.get_by_label("Repeat the password").fill("something-else-2")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_label("Repeat the password")).to_have_accessible_description(
        "the passwords differ"
    )
    page.get_by_label("Repeat the password").fill("dave-New-Password-2")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("status").filter(has_text="The password was set")).to_be_visible()
    sign_in(new_page(), username, "dave-New-Password-2")

    # Roles: assign power-user, take read-only away.
    page.get_by_label("Add a role").select_option("power-user")
    page.get_by_role("button", name="Assign role").click()
    held = page.get_by_role("list", name=f"Roles of {username}")
    expect(held.get_by_role("link", name="power-user")).to_be_visible()
    page.get_by_role("button", name="Remove role read-only").click()
    expect(held.get_by_role("link", name="read-only")).to_have_count(0)
    assert expect_status(admin_api.get(f"/api/v1/users/{username}/roles"), 200) == ["power-user"]

    # Delete, after confirming.
    page.get_by_role("button", name="Delete user").click()
    dialog = page.get_by_role("dialog", name=f"Delete {username}?")
    dialog.get_by_role("button", name="Delete user").click()
    expect(page).to_have_url(re.compile(r"/ui/users$"))
    expect(page.get_by_role("link", name=username, exact=True)).to_have_count(0)
    expect_status(admin_api.get(f"/api/v1/users/{username}"), 404)


def test_the_simulator_answers_allow_and_deny_with_the_deciding_statement(
    admin_page: Page, admin_api: Api, screenshot: Screenshot
) -> None:
    role = unique("reader")
    admin_api.create_role(
        role,
        [
            {"effect": "ALLOW", "actions": ["*:get", "*:list"], "resources": ["*"]},
            {"effect": "DENY", "actions": ["user:get"], "resources": ["user:*"]},
        ],
    )
    username = unique("erin")
    admin_api.create_user(username, role)
    page = admin_page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Policy simulator").click()
    form = page.get_by_role("form", name="Question")

    def ask(action: str, resource: str) -> Locator:
        form.get_by_label("User").fill(username)
        form.get_by_label("Action").fill(action)
        form.get_by_label("Resource").fill(resource)
        form.get_by_role("button", name="Simulate").click()
        return page.get_by_role("region", name=re.compile(r"^(ALLOW|DENY)"))

    answer = ask("role:get", "role:admin")
    expect(answer.get_by_role("heading", level=2)).to_contain_text("ALLOW")
    expect(answer).to_contain_text(f"Statement 1 (ALLOW) of role {role}")
    expect(answer.locator("tr[aria-current=true]")).to_contain_text("*:get")
    screenshot(page, "policy-simulator-allow", focus=answer)

    answer = ask("user:get", "user:someone@example.com")
    expect(answer.get_by_role("heading", level=2)).to_contain_text("DENY")
    expect(answer).to_contain_text(f"Statement 2 (DENY) of role {role}")

    answer = ask("role:delete", "role:admin")
    expect(answer.get_by_role("heading", level=2)).to_contain_text("DENY")
    expect(answer).to_contain_text("nothing allows it (default deny)")

    # The question is kept in the URL, and an unknown user is named beside its field.
    expect(page).to_have_url(re.compile(r"action=role%3Adelete"))
    form.get_by_label("User").fill("nobody-at-all")
    form.get_by_role("button", name="Simulate").click()
    expect(form.get_by_label("User")).to_have_attribute("aria-invalid", "true")


def test_a_read_only_user_sees_users_and_roles_but_no_buttons(
    admin_api: Api, sign_in_as: SignInAs
) -> None:
    someone = unique("frank")
    admin_api.create_user(someone, "power-user")
    page = sign_in_as("read-only").page

    page.goto("/ui/users")
    expect(page.get_by_role("link", name=someone, exact=True)).to_be_visible()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("link", name="New user")).to_have_count(0)

    page.get_by_role("link", name=someone, exact=True).click()
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()
    expect(page.get_by_role("list", name=f"Roles of {someone}")).to_contain_text("power-user")
    page.wait_for_load_state("networkidle")
    for name in (
        "Delete user",
        "Save profile",
        "Set password",
        "Assign role",
        "Remove role power-user",
    ):
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    expect(page.get_by_label("Email")).to_have_count(0)

    page.goto("/ui/roles")
    expect(page.get_by_role("link", name="power-user")).to_be_visible()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("link", name="New role")).to_have_count(0)
    page.get_by_role("link", name="power-user").click()
    expect(page.get_by_role("table", name="Policy statements")).to_be_visible()
    page.wait_for_load_state("networkidle")
    for name in ("Edit role", "Duplicate"):
        expect(page.get_by_role("link", name=name)).to_have_count(0)
    expect(page.get_by_role("button", name="Delete role")).to_have_count(0)

    # A deep link to the simulator says why there is nothing to press.
    page.goto("/ui/policy-simulator")
    expect(page.get_by_role("alert")).to_contain_text("may not use the policy simulator")
    expect(page.get_by_role("button", name="Simulate")).to_have_count(0)
