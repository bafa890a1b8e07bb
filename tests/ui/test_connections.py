"""Connections in a real browser: create one through the provider's schema-drawn form with
server errors beside their fields, test it against a fake OpenAI server (its answer, its
error, the limits it announces), edit it without retyping the credentials, delete it, and
what a read-only user and a narrow screen see."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from switchboard.testing.fakes.openai import OpenAIFake
from tests.core.api.client import Api, seg
from tests.core.api.client import expect as expect_status
from tests.ui.conftest import ADMIN_PASSWORD, NewPage, SignInAs, sign_in, unique

UPSTREAM_KEY = "sk-upstream-ui-connections"
RATE_LIMIT_HEADERS = {
    "x-ratelimit-limit-requests": "500",
    "x-ratelimit-remaining-requests": "499",
    "x-ratelimit-limit-tokens": "30000",
    "x-ratelimit-remaining-tokens": "29990",
}


@pytest.fixture
def openai_fake() -> Iterator[OpenAIFake]:
    """A fake OpenAI that accepts :data:`UPSTREAM_KEY`."""
    with OpenAIFake(api_key=UPSTREAM_KEY) as fake:
        yield fake


def _environment(admin_api: Api, prefix: str) -> tuple[str, str]:
    """A new workspace with an environment ``prod``; the API path of the environment."""
    workspace = unique(prefix)
    admin_api.create_workspace(workspace)
    admin_api.create_environment(workspace, "prod")
    return workspace, f"/api/v1/workspaces/{seg(workspace)}/environments/prod"


def _create_connection(
    admin_api: Api, env: str, name: str, base_url: str, api_key: str = UPSTREAM_KEY
) -> dict[str, Any]:
    body = {
        "name": name,
        "provider": "openai",
        "settings": {"baseUrl": base_url},
        "credentials": {"apiKey": api_key},
    }
    created: dict[str, Any] = expect_status(admin_api.post(f"{env}/connections", body), 201)
    return created


def test_create_test_and_edit_a_connection(
    admin_api: Api, admin_page: Page, openai_fake: OpenAIFake
) -> None:
    workspace, env = _environment(admin_api, "conn")
    page = admin_page
    page.goto(f"/ui/w/{workspace}/e/prod/connections")
    expect(page.get_by_role("heading", name="No connections yet")).to_be_visible()
    page.get_by_role("link", name="New connection").first.click()

    page.get_by_label("Name", exact=True).fill("openai-main")
    page.get_by_label("Provider").select_option("openai")
    base_url = page.get_by_label("Base URL")
    # The provider's schema draws the form: its default is the placeholder, its
    # description the hint.
    expect(base_url).to_have_attribute("placeholder", "https://api.openai.com/v1")
    expect(base_url).to_have_accessible_description(re.compile("base URL, up to /v1"))
    base_url.fill("ftp://nowhere")
    api_key = page.get_by_label("API key")
    expect(api_key).to_have_attribute("type", "password")
    api_key.fill(UPSTREAM_KEY)

    page.get_by_label("Allow every model").uncheck()
    page.get_by_role("button", name="Allow gpt-4o-mini").click()
    page.get_by_label("Model to allow").fill("my-own-model")
    page.get_by_role("button", name="Add model").click()
    allowed = page.get_by_role("list", name="Allowed models")
    expect(allowed).to_contain_text("my-own-model")
    page.get_by_role("button", name="Remove model my-own-model").click()
    expect(allowed.get_by_role("listitem")).to_have_count(1)

    page.get_by_role("button", name="Add limit").click()
    page.get_by_label("Requests per period 1").fill("100")
    page.get_by_label("Tokens per period 1").fill("50000")
    page.get_by_role("button", name="Add limit").click()
    page.get_by_label("Period 2", exact=True).select_option("minute")
    page.get_by_label("Tokens per period 2").fill("10")
    create = page.get_by_role("button", name="Create connection")

    # The server's errors, one at a time, beside the field they name.
    create.click()
    expect(base_url).to_have_attribute("aria-invalid", "true")
    expect(base_url).to_have_accessible_description(re.compile("matching regex"))
    base_url.fill(openai_fake.url + "/v1")
    create.click()
    capacity = page.get_by_role("group", name="Capacity")
    expect(capacity.get_by_role("alert")).to_contain_text("a second entry for period 'minute'")
    expect(page.get_by_label("Period 2", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(base_url).not_to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Remove limit 2").click()
    create.click()

    expect(page.get_by_role("heading", name="openai-main", level=1)).to_be_visible()
    stored = expect_status(admin_api.get(f"{env}/connections/openai-main"), 200)
    assert stored["settings"]["baseUrl"] == openai_fake.url + "/v1"
    assert stored["allowedModels"] == ["gpt-4o-mini"]
    assert stored["capacity"] == [{"period": "minute", "requests": 100, "tokens": 50000}]
    assert stored["credentialFields"] == ["apiKey"]
    overview = page.get_by_role("region", name="Overview")
    expect(overview).to_contain_text("Set (hidden)")
    expect(overview).not_to_contain_text(UPSTREAM_KEY)
    discovered = page.get_by_role("region", name="Discovered capacity")
    expect(discovered).to_contain_text("Nothing announced yet")

    # The Test button: a real call to the fake, its answer, and the limits it announced.
    openai_fake.script(openai_fake.completion("OK", headers=RATE_LIMIT_HEADERS))
    page.get_by_role("button", name="Test connection").click()
    result = page.get_by_role("status", name="Test result")
    expect(result).to_contain_text("The connection works")
    expect(result).to_contain_text("gpt-4o-mini answered")
    expect(result).to_contain_text("OK")
    assert openai_fake.last.header("authorization") == f"Bearer {UPSTREAM_KEY}"
    assert openai_fake.last.json["model"] == "gpt-4o-mini"
    table = discovered.get_by_role("table", name="Discovered capacity")
    expect(table).to_contain_text("500 per minute, 499 left")
    expect(table).to_contain_text("30,000 per minute")

    # Edit: the credentials are never shown; left empty, they stay.
    page.get_by_role("link", name="Edit").click()
    api_key = page.get_by_label("API key")
    expect(api_key).to_have_value("")
    expect(api_key).to_have_accessible_description(re.compile("Set. Leave empty to keep it."))
    expect(page.get_by_label("Base URL")).to_have_value(openai_fake.url + "/v1")
    page.get_by_label("Requests per period 1").fill("200")
    _create_connection(admin_api, env, "openai-backup", openai_fake.url + "/v1")
    name = page.get_by_label("Name", exact=True)
    name.fill("openai-backup")
    save = page.get_by_role("button", name="Save changes")
    save.click()
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_accessible_description(re.compile("already has a connection named"))
    name.fill("openai-main")
    save.click()
    expect(page.get_by_role("heading", name="openai-main", level=1)).to_be_visible()
    expect(page.get_by_role("region", name="Overview")).to_contain_text("200 requests")
    stored = expect_status(admin_api.get(f"{env}/connections/openai-main"), 200)
    assert stored["capacity"] == [{"period": "minute", "requests": 200, "tokens": 50000}]
    # The stored key still works: the edit did not send credentials.
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_role("status", name="Test result")).to_contain_text("The connection works")


def test_the_test_shows_the_providers_error_and_delete_asks_first(
    admin_api: Api, admin_page: Page, openai_fake: OpenAIFake
) -> None:
    workspace, env = _environment(admin_api, "conn-err")
    _create_connection(admin_api, env, "wrong-key", openai_fake.url + "/v1", api_key="sk-wrong")
    page = admin_page
    page.goto(f"/ui/w/{workspace}/e/prod/connections")
    page.get_by_role("link", name="wrong-key").click()
    page.get_by_label("Model to test with").fill("gpt-4.1")
    page.get_by_role("button", name="Test connection").click()
    result = page.get_by_role("alert", name="Test result")
    expect(result).to_contain_text("The provider refused the call")
    expect(result).to_contain_text("Incorrect API key provided.")
    expect(result).to_contain_text("status 401")
    expect(result).to_contain_text("model gpt-4.1")

    page.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog", name="Delete connection wrong-key?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect_status(admin_api.get(f"{env}/connections/wrong-key"), 200)
    page.get_by_role("button", name="Delete").click()
    dialog.get_by_role("button", name="Delete connection").click()
    expect(page.get_by_role("heading", name="No connections yet")).to_be_visible()
    expect_status(admin_api.get(f"{env}/connections/wrong-key"), 404)


def test_a_read_only_user_sees_connections_without_actions(
    admin_api: Api, sign_in_as: SignInAs, openai_fake: OpenAIFake
) -> None:
    workspace, env = _environment(admin_api, "conn-ro")
    _create_connection(admin_api, env, "shared", openai_fake.url + "/v1")
    page = sign_in_as("read-only", workspace=workspace).page
    page.goto(f"/ui/w/{workspace}/e/prod/connections")
    expect(page.get_by_role("table", name="Connections")).to_contain_text("Every model")
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("link", name="New connection")).to_have_count(0)
    page.get_by_role("link", name="shared").click()
    expect(page.get_by_role("region", name="Overview")).to_contain_text("OpenAI")
    expect(page.get_by_role("region", name="Discovered capacity")).to_be_visible()
    page.wait_for_load_state("networkidle")
    for name in ("Edit", "Delete"):
        expect(page.get_by_role("link", name=name)).to_have_count(0)
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    expect(page.get_by_role("button", name="Test connection")).to_have_count(0)


def test_the_form_fits_a_narrow_screen(admin_api: Api, new_page: NewPage) -> None:
    workspace, _ = _environment(admin_api, "conn-narrow")
    page = new_page(390, 844)
    sign_in(page, "admin", ADMIN_PASSWORD)
    page.goto(f"/ui/w/{workspace}/e/prod/connections/new")
    page.get_by_label("Provider").select_option("bedrock")
    page.get_by_role("button", name="Add limit").click()
    expect(page.get_by_label("Tokens per period 1")).to_be_visible()
    expect(page.get_by_label("Region")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width}px wide"
