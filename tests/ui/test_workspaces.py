"""Workspaces in a real browser: create, rename, delete; a workspace's environments; its
members; and what members and read-only users may not do (no buttons for it)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.core.api.client import ADMIN_PASSWORD, Api
from tests.core.api.client import expect as expect_status
from tests.ui.conftest import NewPage, Screenshot, SignInAs, sign_in, unique


def _eventually(check: Callable[[], bool], seconds: float = 5.0) -> None:
    """Wait for ``check`` (a change the page sent in the background) to hold."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the change did not arrive"
        time.sleep(0.05)


def _members(admin_api: Api, workspace: str) -> dict[str, str]:
    answer = expect_status(admin_api.get(f"/api/v1/workspaces/{workspace}/members"), 200)
    return {member["username"]: member["role"] for member in answer}


def test_a_workspace_is_created_renamed_and_deleted(admin_api: Api, admin_page: Page) -> None:
    taken = unique("taken")
    admin_api.create_workspace(taken)
    page = admin_page
    page.goto("/ui/workspaces")
    expect(page.get_by_role("link", name=taken, exact=True)).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="New workspace").click()
    name = page.get_by_label("Name", exact=True)
    # A name in use: the server's 409 beside the field.
    name.fill(taken)
    page.get_by_role("button", name="Create workspace").click()
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_accessible_description(re.compile("already exists"))

    created = unique("team")
    name.fill(created)
    page.get_by_label("Description", exact=True).fill("The team's models")
    page.get_by_role("button", name="Create workspace").click()
    expect(page).to_have_url(re.compile(f"/ui/w/{created}$"))
    expect(page.get_by_role("heading", name=created, level=1)).to_be_visible()
    expect(page.get_by_text("You are owner")).to_be_visible()
    expect(page.get_by_role("heading", name="No environments yet")).to_be_visible()

    renamed = unique("renamed")
    page.get_by_role("button", name="Edit workspace").click()
    dialog = page.get_by_role("dialog", name="Edit workspace")
    dialog.get_by_label("Name", exact=True).fill(renamed)
    dialog.get_by_role("button", name="Save changes").click()
    expect(page).to_have_url(re.compile(f"/ui/w/{renamed}$"))
    expect(page.get_by_role("heading", name=renamed, level=1)).to_be_visible()
    assert expect_status(admin_api.get(f"/api/v1/workspaces/{renamed}"), 200)["description"] == (
        "The team's models"
    )

    page.get_by_role("button", name="Delete workspace").click()
    confirm = page.get_by_role("dialog", name=f"Delete workspace {renamed}?")
    confirm.get_by_role("button", name="Delete workspace").click()
    expect(page).to_have_url(re.compile("/ui/workspaces$"))
    expect(page.get_by_role("link", name=taken, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=renamed, exact=True)).to_have_count(0)
    expect_status(admin_api.get(f"/api/v1/workspaces/{renamed}"), 404)


def test_a_workspace_lists_creates_and_deletes_its_environments(
    admin_api: Api, admin_page: Page
) -> None:
    workspace = unique("envs")
    admin_api.create_workspace(workspace)
    admin_api.create_environment(workspace, "production")
    page = admin_page
    page.goto(f"/ui/w/{workspace}")
    table = page.get_by_role("table", name=f"Environments of {workspace}")
    expect(table.get_by_role("link", name="production", exact=True)).to_be_visible()

    page.get_by_role("button", name="New environment").click()
    dialog = page.get_by_role("dialog", name="New environment")
    name = dialog.get_by_label("Name", exact=True)
    name.fill("production")
    dialog.get_by_role("button", name="Create environment").click()
    expect(name).to_have_accessible_description(re.compile("already has an environment"))
    name.fill("staging")
    dialog.get_by_role("button", name="Create environment").click()
    expect(dialog).to_be_hidden()
    expect(table.get_by_role("link", name="staging", exact=True)).to_be_visible()

    page.get_by_role("button", name="Delete environment staging").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete environment").click()
    expect(table.get_by_role("link", name="staging", exact=True)).to_have_count(0)
    expect_status(admin_api.get(f"/api/v1/workspaces/{workspace}/environments/staging"), 404)

    # Into an environment: its pages, and its settings.
    table.get_by_role("link", name="Settings of production").click()
    expect(page).to_have_url(re.compile(f"/ui/w/{workspace}/e/production/settings$"))
    page.go_back()
    table.get_by_role("link", name="production", exact=True).click()
    expect(page).to_have_url(re.compile(f"/ui/w/{workspace}/e/production/connections$"))


def test_owners_add_re_role_and_remove_members(
    admin_api: Api, admin_page: Page, screenshot: Screenshot
) -> None:
    workspace = unique("crew")
    admin_api.create_workspace(workspace)
    mia = unique("mia")
    admin_api.create_user(mia, "power-user", password="mia-Password-123")
    page = admin_page
    page.goto(f"/ui/w/{workspace}")
    page.get_by_role("tab", name="Members").click()
    expect(page).to_have_url(re.compile(f"/ui/w/{workspace}/members$"))
    form = page.get_by_role("form", name="Add a member")
    user = form.get_by_label("User", exact=True)
    # Nobody of that name: the error beside the box.
    user.fill("nobody-at-all")
    form.get_by_role("button", name="Add member").click()
    expect(user).to_have_attribute("aria-invalid", "true")

    user.fill(mia)
    form.get_by_role("button", name="Add member").click()
    table = page.get_by_role("table", name=f"Members of {workspace}")
    expect(table.get_by_role("cell", name=mia, exact=True)).to_be_visible()
    assert _members(admin_api, workspace)[mia] == "member"
    screenshot(page, "workspace-members")

    table.get_by_label(f"Role of {mia}").select_option("owner")
    _eventually(lambda: _members(admin_api, workspace)[mia] == "owner")

    table.get_by_role("button", name=f"Remove {mia}").click()
    page.get_by_role("dialog").get_by_role("button", name="Remove member").click()
    expect(table.get_by_role("cell", name=mia, exact=True)).to_have_count(0)
    assert mia not in _members(admin_api, workspace)


def test_members_and_read_only_users_see_no_buttons_they_may_not_use(
    admin_api: Api, sign_in_as: SignInAs
) -> None:
    workspace = unique("guarded")
    admin_api.create_workspace(workspace)
    admin_api.create_environment(workspace, "production")

    reader = sign_in_as("read-only", workspace=workspace).page
    reader.goto(f"/ui/w/{workspace}")
    table = reader.get_by_role("table", name=f"Environments of {workspace}")
    expect(table.get_by_role("link", name="production", exact=True)).to_be_visible()
    reader.wait_for_load_state("networkidle")
    for button in ("Edit workspace", "Delete workspace", "New environment"):
        expect(reader.get_by_role("button", name=button)).to_have_count(0)
    expect(table.get_by_role("button", name="Delete environment production")).to_have_count(0)
    # Members are for those who may read them: not the read-only role.
    expect(reader.get_by_role("tab", name="Members")).to_have_count(0)
    reader.goto("/ui/workspaces")
    expect(reader.get_by_role("link", name=workspace, exact=True)).to_be_visible()
    reader.wait_for_load_state("networkidle")
    expect(reader.get_by_role("link", name="New workspace")).to_have_count(0)

    # A member (not an owner) works in it but does not manage it or its members.
    member = sign_in_as("power-user", workspace=workspace).page
    member.goto(f"/ui/w/{workspace}/members")
    members = member.get_by_role("table", name=f"Members of {workspace}")
    expect(members.get_by_role("cell", name="admin", exact=True)).to_be_visible()
    member.wait_for_load_state("networkidle")
    expect(member.get_by_role("button", name="Edit workspace")).to_be_visible()
    expect(member.get_by_role("button", name="Delete workspace")).to_have_count(0)
    expect(member.get_by_role("form", name="Add a member")).to_have_count(0)
    expect(members.get_by_role("button", name=re.compile("^Remove "))).to_have_count(0)
    expect(members.get_by_role("combobox")).to_have_count(0)


def test_the_pages_fit_a_narrow_screen(admin_api: Api, new_page: NewPage) -> None:
    workspace = unique("narrow")
    admin_api.create_workspace(workspace)
    admin_api.create_environment(workspace, "production")
    page = new_page(390, 844)
    sign_in(page, "admin", ADMIN_PASSWORD)
    views = [
        (f"/ui/w/{workspace}", workspace),
        (f"/ui/w/{workspace}/members", workspace),
        (f"/ui/w/{workspace}/e/production/settings", "Environment settings"),
        (f"/ui/getting-started?ws={workspace}&env=production", "Getting started"),
    ]
    for path, heading in views:
        page.goto(path)
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        expect(page.get_by_role("main").get_by_role("button").first).to_be_visible()
        page.wait_for_load_state("networkidle")
        # Nothing wider than the screen: no sideways scrolling of the page.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide"
