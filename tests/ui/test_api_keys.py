"""API keys in a real browser: create one whose secret, shown once, answers the data plane;
rotate it (the old secret stops working), edit it, revoke it; server errors beside their
fields; the empty state; and what a read-only user sees."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from switchboard.testing import RunningGateway
from switchboard.testing.fakes.openai import OpenAIFake
from tests.core.api.client import Api, seg
from tests.core.api.client import expect as expect_status
from tests.ui.conftest import Screenshot, SignInAs, unique

UPSTREAM_KEY = "sk-upstream-ui-keys"


@pytest.fixture
def openai_fake() -> Iterator[OpenAIFake]:
    """A fake OpenAI that accepts :data:`UPSTREAM_KEY`."""
    with OpenAIFake(api_key=UPSTREAM_KEY) as fake:
        yield fake


def _environment(admin_api: Api, prefix: str, fake: OpenAIFake | None = None) -> tuple[str, str]:
    """A workspace with environment ``prod`` (and, given a fake, a connection to it and a
    resource ``chat``); the environment's API path."""
    workspace = unique(prefix)
    admin_api.create_workspace(workspace)
    admin_api.create_environment(workspace, "prod")
    env = f"/api/v1/workspaces/{seg(workspace)}/environments/prod"
    if fake is not None:
        connection = {
            "name": "openai-main",
            "provider": "openai",
            "settings": {"baseUrl": fake.url + "/v1"},
            "credentials": {"apiKey": UPSTREAM_KEY},
        }
        expect_status(admin_api.post(f"{env}/connections", connection), 201)
        resource = {
            "name": "chat",
            "model": {"provider": "openai", "model": "gpt-4o-mini", "connection": "openai-main"},
        }
        expect_status(admin_api.post(f"{env}/resources", resource), 201)
    return workspace, env


def _models(gateway: RunningGateway, secret: str) -> httpx.Response:
    return httpx.get(f"{gateway.url}/v1/models", headers={"authorization": f"Bearer {secret}"})


def test_a_key_created_in_the_ui_answers_a_chat(
    ui_gateway: RunningGateway,
    admin_api: Api,
    admin_page: Page,
    openai_fake: OpenAIFake,
    screenshot: Screenshot,
) -> None:
    workspace, env = _environment(admin_api, "keys", openai_fake)
    page = admin_page
    page.goto(f"/ui/w/{workspace}/e/prod/api-keys")
    expect(page.get_by_role("heading", name="No API keys yet")).to_be_visible()
    page.get_by_role("link", name="New API key").first.click()

    page.get_by_label("Name", exact=True).fill("backend")
    page.get_by_role("group", name="Resources").get_by_label("chat").check()
    page.get_by_label("Labels").fill("team-a, batch")
    page.get_by_role("button", name="Create key").click()

    expect(page.get_by_text("you will not see it again")).to_be_visible()
    secret = page.get_by_label("Secret key", exact=True).inner_text().strip()
    assert secret.startswith("sk-sb-")
    expect(page.get_by_role("button", name="Copy secret key")).to_be_visible()

    # The secret works against the data plane: the key lists its resource and chats.
    listed = _models(ui_gateway, secret)
    assert listed.status_code == 200, listed.text
    assert [model["id"] for model in listed.json()["data"]] == ["chat"]
    chat = httpx.post(
        f"{ui_gateway.url}/v1/chat/completions",
        headers={"authorization": f"Bearer {secret}"},
        json={"model": "chat", "messages": [{"role": "user", "content": "Hi"}]},
    )
    assert chat.status_code == 200, chat.text
    assert chat.json()["choices"][0]["message"]["content"] == "Hello from the fake."

    # Once left, the secret is nowhere to be seen again.
    page.get_by_role("link", name="Done").click()
    expect(page.get_by_role("heading", name="backend", level=1)).to_be_visible()
    overview = page.get_by_role("region", name="Overview")
    expect(overview).to_contain_text(secret[:12])
    expect(overview).to_contain_text("team-a, batch")
    assert secret not in page.content()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="API keys").click()
    table = page.get_by_role("table", name="API keys")
    row = table.get_by_role("row").filter(has_text="backend")
    expect(row).to_contain_text("chat")
    expect(row).to_contain_text("Active")
    assert secret not in page.content()
    screenshot(page, "api-keys-list")
    stored = expect_status(admin_api.get(f"{env}/api-keys/backend"), 200)
    assert stored["resources"] == ["chat"] and stored["labels"] == ["team-a", "batch"]


def test_rotate_then_revoke_a_key(
    ui_gateway: RunningGateway,
    admin_api: Api,
    admin_page: Page,
    openai_fake: OpenAIFake,
) -> None:
    workspace, env = _environment(admin_api, "keys-rotate", openai_fake)
    body = {"name": "worker", "resources": ["chat"]}
    old = expect_status(admin_api.post(f"{env}/api-keys", body), 201)["key"]
    assert _models(ui_gateway, old).status_code == 200
    page = admin_page
    page.goto(f"/ui/w/{workspace}/e/prod/api-keys/worker")

    page.get_by_role("button", name="Rotate").click()
    dialog = page.get_by_role("dialog", name="Rotate key worker?")
    dialog.get_by_label("The current secret").select_option("0")
    dialog.get_by_role("button", name="Rotate key").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("you will not see it again")).to_be_visible()
    new = page.get_by_label("Secret key", exact=True).inner_text().strip()
    assert new.startswith("sk-sb-") and new != old
    assert _models(ui_gateway, new).status_code == 200
    assert _models(ui_gateway, old).status_code == 401
    page.get_by_role("button", name="I have copied it").click()
    expect(page.get_by_label("Secret key", exact=True)).to_have_count(0)
    assert new not in page.content()

    page.get_by_role("button", name="Revoke").click()
    dialog = page.get_by_role("dialog", name="Revoke key worker?")
    dialog.get_by_role("button", name="Revoke key").click()
    expect(page.get_by_role("status").filter(has_text="Key worker was revoked")).to_be_visible()
    expect(page.get_by_role("heading", name="No API keys yet")).to_be_visible()
    assert _models(ui_gateway, new).status_code == 401
    expect_status(admin_api.get(f"{env}/api-keys/worker"), 404)


def test_errors_show_beside_their_fields_and_edit_saves(
    admin_api: Api, admin_page: Page, openai_fake: OpenAIFake
) -> None:
    workspace, env = _environment(admin_api, "keys-edit", openai_fake)
    expect_status(admin_api.post(f"{env}/api-keys", {"name": "taken"}), 201)
    page = admin_page
    page.goto(f"/ui/w/{workspace}/e/prod/api-keys/new")
    name = page.get_by_label("Name", exact=True)
    expires = page.get_by_label("Expires")
    create = page.get_by_role("button", name="Create key")

    name.fill("taken")
    create.click()
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_accessible_description(re.compile("already has an API key named"))

    name.fill("nightly")
    expires.fill("2020-01-01T10:00")
    create.click()
    expect(expires).to_have_attribute("aria-invalid", "true")
    expect(expires).to_have_accessible_description(re.compile("is not in the future"))
    expect(name).not_to_have_attribute("aria-invalid", "true")

    expires.fill("")
    page.get_by_role("button", name="Add limit").click()
    page.get_by_label("Requests per period 1").fill("0")
    create.click()
    capacity = page.get_by_role("group", name="Capacity")
    expect(capacity.get_by_role("alert")).to_have_text("Limit 1 (requests): Expected `int` >= 1")
    expect(page.get_by_label("Requests per period 1")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Requests per period 1").fill("60")
    page.get_by_label("Hold requests to these limits").check()
    create.click()
    expect(page.get_by_label("Secret key", exact=True)).to_be_visible()
    page.get_by_role("link", name="Done").click()

    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Requests per period 1")).to_have_value("60")
    page.get_by_label("Enabled").uncheck()
    page.get_by_role("group", name="Resources").get_by_label("chat").check()
    page.get_by_role("button", name="Save changes").click()
    overview = page.get_by_role("region", name="Overview")
    expect(overview).to_contain_text("Disabled")
    expect(overview).to_contain_text("60 requests per minute")
    stored = expect_status(admin_api.get(f"{env}/api-keys/nightly"), 200)
    assert stored["enabled"] is False
    assert stored["resources"] == ["chat"]
    assert stored["capacity"] == [{"period": "minute", "requests": 60, "tokens": None}]
    assert stored["enforceCapacity"] is True


def test_a_read_only_user_sees_keys_without_actions(admin_api: Api, sign_in_as: SignInAs) -> None:
    workspace, env = _environment(admin_api, "keys-ro")
    expect_status(admin_api.post(f"{env}/api-keys", {"name": "reporting"}), 201)
    page = sign_in_as("read-only", workspace=workspace).page
    page.goto(f"/ui/w/{workspace}/e/prod/api-keys")
    expect(page.get_by_role("table", name="API keys")).to_contain_text("reporting")
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("link", name="New API key")).to_have_count(0)
    page.get_by_role("link", name="reporting").click()
    expect(page.get_by_role("region", name="Overview")).to_contain_text("Active")
    page.wait_for_load_state("networkidle")
    for name in ("Edit", "Rotate", "Revoke"):
        expect(page.get_by_role("link", name=name)).to_have_count(0)
        expect(page.get_by_role("button", name=name)).to_have_count(0)
