"""The UI's foundation in a real browser: the front door, signing in and out, the password
change, deep links, the narrow-screen menu, and navigation gated by permissions."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from switchboard.testing import RunningGateway
from tests.core.api.client import ADMIN_PASSWORD, Api
from tests.ui.conftest import NewPage, SignInAs, sign_in, unique


def test_the_root_redirects_to_the_ui(ui_gateway: RunningGateway, page: Page) -> None:
    response = httpx.get(f"{ui_gateway.url}/")
    assert response.status_code == 302 and response.headers["location"] == "/ui/"
    page.goto("/")
    # Not signed in: the UI sends the visitor on to its login page.
    expect(page).to_have_url(re.compile(r"/ui/login$"))
    expect(page.get_by_role("heading", name="Sign in to Switchboard")).to_be_visible()


def test_a_wrong_password_shows_the_error(page: Page) -> None:
    page.goto("/ui/login")
    page.get_by_label("Username or email").fill("admin")
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("invalid username or password")
    expect(page).to_have_url(re.compile(r"/ui/login$"))


def test_sign_in_and_sign_out(admin_page: Page) -> None:
    page = admin_page
    expect(page).to_have_url(re.compile(r"/ui/getting-started$"))
    header = page.get_by_role("banner")
    expect(header.get_by_role("link", name="admin")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/ui/login$"))
    # The session is over on the server too: a reload stays on the login page.
    page.goto("/ui/account")
    expect(page).to_have_url(re.compile(r"/ui/login\?next=%2Faccount$"))


def test_changing_the_password_shows_errors_beside_their_fields(
    sign_in_as: SignInAs, new_page: NewPage
) -> None:
    user = sign_in_as("read-only")
    page = user.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Account").click()
    current = page.get_by_label("Current password")
    new = page.get_by_label("New password", exact=True)
    repeat = page.get_by_label("Repeat the new password")

    current.fill("wrong-password-1")
    new.fill("brand-New-Password-2")
    repeat.fill("brand-New-Password-2")
    page.get_by_role("button", name="Change password").click()
    # The API's error (param currentPassword) is beside the field it concerns.
    expect(current).to_have_attribute("aria-invalid", "true")
    expect(current).to_have_accessible_description(re.compile("currentPassword is wrong"))
    expect(new).not_to_have_attribute("aria-invalid", "true")

    current.fill(user.password)
    new.fill("short")
    repeat.fill("short")
    page.get_by_role("button", name="Change password").click()
    expect(new).to_have_accessible_description(re.compile("length >= 8"))
    expect(current).not_to_have_attribute("aria-invalid", "true")

    new.fill("brand-New-Password-2")
    repeat.fill("brand-New-Password-2")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status").filter(has_text="password was changed")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    other = new_page()
    sign_in(other, user.username, "brand-New-Password-2")


def test_a_deep_link_survives_a_reload_and_a_sign_in(admin_api: Api, new_page: NewPage) -> None:
    workspace = unique("acme")
    admin_api.create_workspace(workspace)
    admin_api.create_environment(workspace, "production")
    page = new_page()
    deep = f"/ui/w/{workspace}/e/production/connections"
    page.goto(deep)
    # Signed out: to the login page, and back to the deep link after signing in.
    expect(page).to_have_url(re.compile(r"/ui/login\?next="))
    page.get_by_label("Username or email").fill("admin")
    page.get_by_label("Password", exact=True).fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(deep) + "$"))
    expect(page.get_by_role("heading", name="Connections", level=1)).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Connections", level=1)).to_be_visible()
    expect(page.get_by_label("Workspace")).to_have_value(workspace)
    expect(page.get_by_label("Environment")).to_have_value("production")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Connections")).to_have_attribute("aria-current", "page")


def test_switching_the_environment_keeps_the_page(admin_api: Api, admin_page: Page) -> None:
    workspace = unique("switch")
    admin_api.create_workspace(workspace)
    admin_api.create_environment(workspace, "dev")
    admin_api.create_environment(workspace, "prod")
    page = admin_page
    page.goto(f"/ui/w/{workspace}/e/dev/usage")
    expect(page.get_by_role("heading", name="Usage", level=1)).to_be_visible()
    page.get_by_label("Environment").select_option("prod")
    expect(page).to_have_url(re.compile(f"/ui/w/{workspace}/e/prod/usage$"))


def test_a_narrow_screen_gets_a_collapsible_menu(new_page: NewPage) -> None:
    page = new_page(390, 844)
    sign_in(page, "admin", ADMIN_PASSWORD)
    nav = page.get_by_role("navigation", name="Main")
    menu = page.get_by_role("button", name="Open menu")
    expect(nav).to_be_hidden()
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(nav).to_be_visible()
    expect(page.get_by_role("button", name="Close menu")).to_have_attribute("aria-expanded", "true")
    nav.get_by_role("link", name="Account").click()
    expect(page.get_by_role("heading", name="Account", level=1)).to_be_visible()
    expect(nav).to_be_hidden()


def test_the_wide_layout_shows_the_menu_without_a_button(admin_page: Page) -> None:
    expect(admin_page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(admin_page.get_by_role("button", name="Open menu")).to_be_hidden()


def test_a_read_only_user_sees_no_admin_only_entries_or_buttons(
    admin_api: Api, admin_page: Page, sign_in_as: SignInAs
) -> None:
    workspace = unique("readers")
    admin_api.create_workspace(workspace)
    admin_api.create_environment(workspace, "production")
    # The admin sees the simulator and may create workspaces.
    admin_nav = admin_page.get_by_role("navigation", name="Main")
    expect(admin_nav.get_by_role("link", name="Policy simulator")).to_be_visible()
    expect(admin_nav.get_by_role("link", name="+ New workspace")).to_be_visible()

    reader = sign_in_as("read-only", workspace=workspace).page
    reader.goto(f"/ui/w/{workspace}/e/production/connections")
    nav = reader.get_by_role("navigation", name="Main")
    # Reading is allowed: the environment's pages and the user list show ...
    expect(nav.get_by_role("link", name="Connections")).to_be_visible()
    expect(nav.get_by_role("link", name="Users")).to_be_visible()
    # ... but nothing the read-only role may not do (every answer has arrived by now).
    reader.wait_for_load_state("networkidle")
    expect(nav.get_by_role("link", name="Policy simulator")).to_have_count(0)
    expect(nav.get_by_role("link", name="Playground")).to_have_count(0)
    expect(nav.get_by_role("link", name="+ New workspace")).to_have_count(0)
