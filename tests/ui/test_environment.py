"""An environment's settings in a real browser: name and description, which plugins are on
(with their settings, checked by each plugin), what request records keep, and a read-only
user who may look but not change."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.core.api.client import Api
from tests.core.api.client import expect as expect_status
from tests.ui.conftest import Screenshot, SignInAs, unique


def _environment(admin_api: Api, workspace: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = expect_status(
        admin_api.get(f"/api/v1/workspaces/{workspace}/environments/{name}"), 200
    )
    return found


def _settings_page(admin_api: Api, page: Page, prefix: str) -> str:
    workspace = unique(prefix)
    admin_api.create_workspace(workspace)
    admin_api.create_environment(workspace, "production")
    page.goto(f"/ui/w/{workspace}/e/production/settings")
    expect(page.get_by_role("heading", name="Environment settings", level=1)).to_be_visible()
    return workspace


def test_plugins_are_switched_and_set_and_the_choice_persists(
    admin_api: Api, admin_page: Page, screenshot: Screenshot
) -> None:
    page = admin_page
    workspace = _settings_page(admin_api, page, "plugins")
    plugins = page.get_by_role("form", name="Plugins")
    recorder = plugins.get_by_role("checkbox", name="log-recorder")
    tokenizer = plugins.get_by_role("checkbox", name="tokenizer")
    # What the API reports: off by default and off here; on by default and on here.
    expect(recorder).not_to_be_checked()
    expect(tokenizer).to_be_checked()
    expect(plugins.get_by_text("Logs every data-plane request")).to_be_visible()

    recorder.check()
    level = plugins.get_by_label("Level", exact=True)
    level.select_option("warning")
    tokenizer.uncheck()
    plugins.get_by_role("button", name="Save plugins").click()
    expect(plugins.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    screenshot(page, "environment-settings", focus=level)
    assert _environment(admin_api, workspace, "production")["plugins"] == {
        "log-recorder": {"enabled": True, "settings": {"level": "warning"}},
        "tokenizer": {"enabled": False},
    }

    # A setting the plugin refuses: its message beside the box, nothing saved.
    limiter = plugins.get_by_role("checkbox", name="redis-limiter")
    limiter.check()
    prefix = plugins.get_by_label("Key prefix", exact=True)
    prefix.fill("not a valid prefix!")
    plugins.get_by_role("button", name="Save plugins").click()
    expect(prefix).to_have_attribute("aria-invalid", "true")
    expect(prefix).to_have_accessible_description(re.compile("matching regex"))
    assert "redis-limiter" not in _environment(admin_api, workspace, "production")["plugins"]
    prefix.fill("team-a")
    plugins.get_by_role("button", name="Save plugins").click()
    expect(prefix).not_to_have_attribute("aria-invalid", "true")
    expect(plugins.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    saved = _environment(admin_api, workspace, "production")["plugins"]
    assert saved["redis-limiter"] == {"enabled": True, "settings": {"keyPrefix": "team-a"}}

    # After a reload the page shows what was saved.
    page.reload()
    expect(page.get_by_role("checkbox", name="log-recorder")).to_be_checked()
    expect(page.get_by_role("checkbox", name="tokenizer")).not_to_be_checked()
    expect(page.get_by_label("Level", exact=True)).to_have_value("warning")


def test_recording_and_renaming(admin_api: Api, admin_page: Page) -> None:
    page = admin_page
    workspace = _settings_page(admin_api, page, "recording")
    payloads = page.get_by_label("Payloads", exact=True)
    paths = page.get_by_label("Redacted paths", exact=True)
    expect(payloads).to_have_value("metadata")
    payloads.select_option("full")
    paths.fill("request.messages[*].content\nrequest..broken")
    page.get_by_role("button", name="Save recording").click()
    expect(paths).to_have_attribute("aria-invalid", "true")
    expect(payloads).not_to_have_attribute("aria-invalid", "true")
    assert _environment(admin_api, workspace, "production")["recording"]["payload"] == "metadata"

    paths.fill("request.messages[*].content\nrequest.metadata.email")
    page.get_by_role("button", name="Save recording").click()
    expect(paths).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    assert _environment(admin_api, workspace, "production")["recording"] == {
        "payload": "full",
        "redactPaths": ["request.messages[*].content", "request.metadata.email"],
    }

    page.get_by_label("Description", exact=True).fill("Live traffic")
    page.get_by_label("Name", exact=True).fill("live")
    page.get_by_role("button", name="Save name and description").click()
    expect(page).to_have_url(re.compile(f"/ui/w/{workspace}/e/live/settings$"))
    assert _environment(admin_api, workspace, "live")["description"] == "Live traffic"


def test_a_read_only_member_sees_the_settings_but_cannot_change_them(
    admin_api: Api, sign_in_as: SignInAs
) -> None:
    workspace = unique("look")
    admin_api.create_workspace(workspace)
    admin_api.create_environment(workspace, "production")
    page = sign_in_as("read-only", workspace=workspace).page
    page.goto(f"/ui/w/{workspace}/e/production/settings")
    tokenizer = page.get_by_role("checkbox", name="tokenizer")
    expect(tokenizer).to_be_checked()
    page.wait_for_load_state("networkidle")
    expect(tokenizer).to_be_disabled()
    expect(page.get_by_label("Name", exact=True)).not_to_be_editable()
    expect(page.get_by_label("Payloads", exact=True)).to_be_disabled()
    expect(page.get_by_role("button", name=re.compile("^Save"))).to_have_count(0)
