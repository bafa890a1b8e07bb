"""The resources pages in a real browser: creating a resource with a routing rule from the
condition builder, the server's validation messages beside the rule part they concern, a
reordered fallback chain that stays reordered, the routing dry run, deleting, and what a
read-only user sees."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.core.api.client import ADMIN_PASSWORD, Api
from tests.core.api.client import expect as expect_status
from tests.ui.conftest import NewPage, SignInAs, sign_in, unique

ENVIRONMENT = "production"
MODELS = ["gpt-4o-mini", "gpt-4o", "gpt-4.1", "o3-mini"]


def _environment(admin_api: Api) -> tuple[str, str]:
    """A new workspace with an environment holding one OpenAI connection (nothing is
    called: the dry run plans without providers); its name and API path."""
    workspace = unique("routing")
    admin_api.create_workspace(workspace)
    admin_api.create_environment(workspace, ENVIRONMENT)
    path = f"/api/v1/workspaces/{workspace}/environments/{ENVIRONMENT}"
    connection = {
        "name": "openai-main",
        "provider": "openai",
        "settings": {"baseUrl": "http://127.0.0.1:9/v1"},
        "credentials": {"apiKey": "sk-never-called"},
        "allowedModels": MODELS,
    }
    expect_status(admin_api.post(f"{path}/connections", connection), 201)
    return workspace, path


def _resource(admin_api: Api, path: str, name: str, **fields: Any) -> dict[str, Any]:
    body = {"name": name, "model": {"provider": "openai", "model": "gpt-4o-mini"}, **fields}
    created: dict[str, Any] = expect_status(admin_api.post(f"{path}/resources", body), 201)
    return created


SMALL_REQUESTS = {
    "enabled": True,
    "conditions": [
        {
            "description": "Small requests",
            "if": [{"field": "requestTokens", "operator": "lessThan", "value": 100}],
            "then": {"provider": "openai", "model": "gpt-4o"},
        }
    ],
}


def test_create_a_resource_with_a_rule_from_the_builder_then_delete_it(
    admin_api: Api, admin_page: Page
) -> None:
    workspace, path = _environment(admin_api)
    page = admin_page
    page.goto(f"/ui/w/{workspace}/e/{ENVIRONMENT}/resources")
    expect(page.get_by_role("heading", name="No resources yet")).to_be_visible()
    page.get_by_role("link", name="New resource").first.click()

    page.get_by_label("Name", exact=True).fill("chat")
    page.get_by_label("Primary provider").select_option("openai")
    page.get_by_label("Primary model", exact=True).fill("gpt-4o-mini")

    routing = page.get_by_label("Route requests by these rules")
    expect(routing).not_to_be_checked()
    page.get_by_role("button", name="Add rule").click()
    expect(routing).to_be_checked()
    page.get_by_label("Rule 1 description").fill("Small requests")
    page.get_by_label("Rule 1 condition 1 field").select_option("requestTokens")
    page.get_by_label("Rule 1 condition 1 operator").select_option("lessThan")
    page.get_by_label("Rule 1 condition 1 value").fill("100")
    page.get_by_role("button", name="Add condition to rule 1").click()
    page.get_by_label("Rule 1 condition 2 field").select_option("hasTools")
    page.get_by_label("Rule 1 condition 2 value").select_option("false")
    page.get_by_label("Rule 1 target provider").select_option("openai")
    page.get_by_label("Rule 1 target model", exact=True).fill("gpt-4o")
    page.get_by_label("Rule 1 traffic share").fill("50")

    page.get_by_label("Use the fallback chain").check()
    page.get_by_role("button", name="Add fallback model").click()
    page.get_by_label("Fallback 1 provider").select_option("openai")
    page.get_by_label("Fallback 1 model", exact=True).fill("gpt-4.1")
    page.get_by_label("Fallback 1 connection").select_option("openai-main")

    page.get_by_role("button", name="Add limit").click()
    page.get_by_label("Requests per period 1").fill("50")
    page.get_by_label("Enforce these limits").check()
    page.get_by_role("button", name="Create resource").click()

    expect(page.get_by_role("heading", name="chat", level=1, exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile("/resources/chat$"))
    saved = expect_status(admin_api.get(f"{path}/resources/chat"), 200)
    assert saved["model"] == {"provider": "openai", "model": "gpt-4o-mini"}
    assert saved["routing"] == {
        "enabled": True,
        "conditions": [
            {
                "description": "Small requests",
                "if": [
                    {"field": "requestTokens", "operator": "lessThan", "value": 100},
                    {"field": "hasTools", "operator": "equals", "value": False},
                ],
                "then": {"provider": "openai", "model": "gpt-4o", "traffic": 50},
            }
        ],
    }
    assert saved["useFallback"] is True
    assert saved["fallbackModels"] == [
        {"provider": "openai", "model": "gpt-4.1", "connection": "openai-main"}
    ]
    assert saved["capacity"] == [{"period": "minute", "requests": 50, "tokens": None}]
    assert saved["enforceCapacity"] is True

    configuration = page.get_by_role("region", name="Configuration")
    expect(configuration).to_contain_text("requestTokens lessThan 100")
    expect(configuration).to_contain_text("50 requests per minute · enforced")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Resources").click()
    row = page.get_by_role("row").filter(has_text="chat")
    expect(row).to_contain_text("openai/gpt-4o-mini")
    expect(row).to_contain_text("On · 1 rule")
    expect(row).to_contain_text("openai/gpt-4.1")

    row.get_by_role("link", name="chat").click()
    page.get_by_role("button", name="Delete", exact=True).click()
    dialog = page.get_by_role("dialog", name="Delete chat?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Delete resource").click()
    expect(page.get_by_role("heading", name="No resources yet")).to_be_visible()
    expect_status(admin_api.get(f"{path}/resources/chat"), 404)


def test_the_servers_routing_messages_show_beside_the_rule_part(
    admin_api: Api, admin_page: Page
) -> None:
    workspace, path = _environment(admin_api)
    _resource(admin_api, path, "chat", routing=SMALL_REQUESTS)
    page = admin_page
    page.goto(f"/ui/w/{workspace}/e/{ENVIRONMENT}/resources/chat/edit")

    # The builder: a number compared with text is refused, beside the value.
    value = page.get_by_label("Rule 1 condition 1 value")
    expect(value).to_have_value("100")
    value.fill("lots")
    page.get_by_role("button", name="Save changes").click()
    expect(value).to_have_attribute("aria-invalid", "true")
    expect(value).to_have_accessible_description(
        re.compile("lessThan compares numbers; give a number")
    )
    expect(page.get_by_label("Rule 1 description")).not_to_have_attribute("aria-invalid", "true")
    value.fill("100")

    # The advanced mode starts from the builder's conditions.
    page.get_by_label("expressions (advanced)").check()
    expression = page.get_by_label("Rule 1 expression")
    expect(expression).to_have_value("requestTokens < 100")
    expression.fill("requestTokens < 100 && tokens > 3")
    page.get_by_role("button", name="Save changes").click()
    expect(expression).to_have_attribute("aria-invalid", "true")
    expect(expression).to_have_accessible_description(
        re.compile(r"unknown name 'tokens' at column 24")
    )
    assert expect_status(admin_api.get(f"{path}/resources/chat"), 200)["routing"] == SMALL_REQUESTS

    expression.fill("requestTokens < 100 && !hasTools")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", name="chat", level=1, exact=True)).to_be_visible()
    routing = expect_status(admin_api.get(f"{path}/resources/chat"), 200)["routing"]
    assert routing["mode"] == "advanced"
    assert routing["conditions"][0]["expression"] == "requestTokens < 100 && !hasTools"


def test_a_reordered_fallback_chain_is_saved_in_its_new_order(
    admin_api: Api, admin_page: Page
) -> None:
    workspace, path = _environment(admin_api)
    chain = [{"provider": "openai", "model": model} for model in ("gpt-4o", "gpt-4.1", "o3-mini")]
    _resource(admin_api, path, "chat", useFallback=True, fallbackModels=chain)
    page = admin_page
    page.goto(f"/ui/w/{workspace}/e/{ENVIRONMENT}/resources/chat/edit")
    expect(page.get_by_label("Fallback 3 model", exact=True)).to_have_value("o3-mini")
    expect(page.get_by_role("button", name="Move fallback 1 up")).to_be_disabled()

    page.get_by_role("button", name="Move fallback 3 up").click()
    page.get_by_role("button", name="Move fallback 2 up").click()
    expect(page.get_by_label("Fallback 1 model", exact=True)).to_have_value("o3-mini")
    page.get_by_role("button", name="Remove fallback 3").click()
    expect(page.get_by_label("Fallback 3 model", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Save changes").click()

    expect(page.get_by_role("heading", name="chat", level=1, exact=True)).to_be_visible()
    saved = expect_status(admin_api.get(f"{path}/resources/chat"), 200)
    assert [m["model"] for m in saved["fallbackModels"]] == ["o3-mini", "gpt-4o"]
    page.reload()
    expect(page.get_by_role("list", name="Fallback chain")).to_have_text(
        re.compile(r"openai/o3-mini\s*openai/gpt-4o")
    )


def test_the_dry_run_shows_the_rule_the_chain_and_the_events(
    admin_api: Api, admin_page: Page
) -> None:
    workspace, path = _environment(admin_api)
    _resource(
        admin_api,
        path,
        "chat",
        routing=SMALL_REQUESTS,
        useFallback=True,
        fallbackModels=[{"provider": "openai", "model": "gpt-4.1"}],
    )
    page = admin_page
    page.goto(f"/ui/w/{workspace}/e/{ENVIRONMENT}/resources/chat")
    page.get_by_label("Sample message").fill("Hi there")
    page.get_by_role("button", name="Test route").click()
    result = page.get_by_role("region", name="Dry run result")
    expect(result).to_contain_text("Rule 1 — Small requests")
    expect(result.get_by_role("list", name="Chain").get_by_role("listitem")).to_have_text(
        ["openai/gpt-4o via openai-main", "openai/gpt-4.1 via openai-main"]
    )
    expect(result.get_by_role("list", name="Routing events")).to_contain_text("matched")

    # A long message is no small request: the primary model.
    page.get_by_label("Sample message").fill("word " * 400)
    page.get_by_role("button", name="Test route").click()
    expect(result).to_contain_text("No rule matched: the primary model")
    expect(result.get_by_role("list", name="Chain").get_by_role("listitem").first).to_have_text(
        "openai/gpt-4o-mini via openai-main"
    )

    # The server's refusal of a simulated error rate shows beside that field.
    page.get_by_role("button", name="Add error rate").click()
    status = page.get_by_label("Error rate 1 status")
    status.fill("often")
    page.get_by_role("button", name="Test route").click()
    expect(status).to_have_attribute("aria-invalid", "true")
    expect(status).to_have_accessible_description(re.compile("an HTTP status such as 429"))


def test_a_read_only_user_reads_and_dry_runs_but_changes_nothing(
    admin_api: Api, sign_in_as: SignInAs
) -> None:
    workspace, path = _environment(admin_api)
    _resource(admin_api, path, "chat", routing=SMALL_REQUESTS)
    reader = sign_in_as("read-only", workspace=workspace).page
    reader.goto(f"/ui/w/{workspace}/e/{ENVIRONMENT}/resources")
    row = reader.get_by_role("row").filter(has_text="chat")
    expect(row).to_contain_text("On · 1 rule")
    reader.wait_for_load_state("networkidle")
    expect(reader.get_by_role("link", name="New resource")).to_have_count(0)

    row.get_by_role("link", name="chat").click()
    expect(reader.get_by_role("heading", name="chat", level=1, exact=True)).to_be_visible()
    reader.get_by_role("button", name="Test route").click()
    expect(reader.get_by_role("region", name="Dry run result")).to_contain_text("Rule 1")
    reader.wait_for_load_state("networkidle")
    for name in ("Edit", "Delete", "Open in playground"):
        expect(reader.get_by_role("link", name=name, exact=True)).to_have_count(0)
        expect(reader.get_by_role("button", name=name, exact=True)).to_have_count(0)

    # The editor's address shows no form to them.
    reader.goto(f"/ui/w/{workspace}/e/{ENVIRONMENT}/resources/chat/edit")
    expect(reader.get_by_text("Your roles do not allow this change.")).to_be_visible()
    expect(reader.get_by_role("button", name="Save changes")).to_have_count(0)


def test_the_editor_fits_a_narrow_screen(admin_api: Api, new_page: NewPage) -> None:
    workspace, path = _environment(admin_api)
    _resource(admin_api, path, "chat", routing=SMALL_REQUESTS)
    page = new_page(390, 844)
    sign_in(page, "admin", ADMIN_PASSWORD)
    page.goto(f"/ui/w/{workspace}/e/{ENVIRONMENT}/resources/chat/edit")
    expect(page.get_by_label("Rule 1 condition 1 value")).to_be_visible()
    page.get_by_role("button", name="Add fallback model").click()
    expect(page.get_by_role("button", name="Move fallback 1 down")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the editor is {width} px wide on a 390 px screen"
