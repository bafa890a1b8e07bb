"""The getting-started wizard in a real browser: from an empty gateway to a key whose shown
snippets answer a chat through a fake OpenAI, resuming with objects that exist already,
and the server's errors beside the fields they concern."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from switchboard.testing import RunningGateway
from switchboard.testing.fakes.openai import OpenAIFake
from tests.core.api.client import ADMIN_PASSWORD, Api, Transcript, login
from tests.core.api.client import expect as expect_status
from tests.ui.conftest import TIMEOUT_MS, SignInAs, serve_gateway, sign_in, unique
from tests.ui.wizard_steps import continue_step, expect_step, secret_box

UPSTREAM_KEY = "sk-upstream-for-the-wizard"
FAKE_ANSWER = "Hello from the fake."


@pytest.fixture(scope="module")
def openai_fake() -> Iterator[OpenAIFake]:
    """A fake OpenAI that wants :data:`UPSTREAM_KEY` and answers every chat."""
    with OpenAIFake(api_key=UPSTREAM_KEY) as fake:
        yield fake


@pytest.fixture(scope="module")
def empty_gateway(
    ui_gateway: RunningGateway, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningGateway]:
    """A gateway of its own with nothing in it but the admin (the shared one fills up with
    the other tests' workspaces). Asks for ``ui_gateway`` so the UI build is checked first."""
    with serve_gateway(tmp_path_factory.mktemp("empty-gateway")) as running:
        yield running


@pytest.fixture
def empty_page(browser: Browser, empty_gateway: RunningGateway) -> Iterator[Page]:
    """A page at the empty gateway, signed in as the admin."""
    context = browser.new_context(
        base_url=empty_gateway.url, viewport={"width": 1280, "height": 800}
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    sign_in(page, "admin", ADMIN_PASSWORD)
    yield page
    context.close()


def _snippet(page: Page, tab: str) -> str:
    page.get_by_role("tab", name=tab).click()
    code = page.get_by_role("tabpanel").get_by_label(f"{tab} snippet", exact=True)
    expect(code).to_be_visible()
    return code.inner_text()


def test_the_wizard_takes_an_empty_gateway_to_a_key_whose_snippets_answer(
    empty_gateway: RunningGateway,
    empty_page: Page,
    openai_fake: OpenAIFake,
    tmp_path: Path,
) -> None:
    page = empty_page
    # An admin of an empty gateway lands here, and nothing exists to choose from.
    expect(page).to_have_url(re.compile(r"/ui/getting-started$"))
    page.goto("/ui/workspaces")
    expect(page.get_by_role("heading", name="No workspaces yet")).to_be_visible()
    page.get_by_role("link", name="Getting started").first.click()

    expect_step(page, "Your workspace")
    expect(page.get_by_role("radio")).to_have_count(0)
    page.get_by_label("Name", exact=True).fill("acme")
    page.get_by_label("Description", exact=True).fill("Our first team")
    continue_step(page)

    expect_step(page, "An environment")
    expect(page.get_by_label("Name", exact=True)).to_have_value("production")
    continue_step(page)

    expect_step(page, "A connection to a provider")
    expect(page.get_by_label("Provider", exact=True)).to_have_value("openai")
    expect(page.get_by_label("Connection name", exact=True)).to_have_value("openai")
    page.get_by_label("Base URL", exact=True).fill(f"{openai_fake.url}/v1")
    secret_box(page, "API key").fill(UPSTREAM_KEY)
    page.get_by_role("button", name="Add limit").click()
    page.get_by_label("Requests per period 1", exact=True).fill("600")
    continue_step(page)

    expect_step(page, "A resource for your applications")
    expect(page.get_by_label("Resource name", exact=True)).to_have_value("chat")
    page.get_by_label("Model", exact=True).fill("gpt-4o-mini")
    page.get_by_label("Add a fallback model", exact=True).check()
    expect(page.get_by_label("Fallback connection", exact=True)).to_have_value("openai")
    page.get_by_label("Fallback model", exact=True).fill("gpt-4o")
    continue_step(page)

    expect_step(page, "An API key")
    page.get_by_label("Key name", exact=True).fill("backend")
    page.get_by_role("button", name="Create API key").click()

    expect_step(page, "Your gateway is ready")
    key = page.get_by_label("API key", exact=True).inner_text()
    assert key.startswith("sk-sb-")

    # What the wizard made, read back through the API.
    admin = login(empty_gateway.url, Transcript(), "admin", ADMIN_PASSWORD)
    env = "/api/v1/workspaces/acme/environments/production"
    connection = expect_status(admin.get(f"{env}/connections/openai"), 200)
    assert connection["capacity"] == [{"period": "minute", "requests": 600, "tokens": None}]
    assert connection["settings"]["baseUrl"] == f"{openai_fake.url}/v1"
    resource = expect_status(admin.get(f"{env}/resources/chat"), 200)
    assert resource["model"] == {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "connection": "openai",
    }
    assert resource["useFallback"] is True and resource["assignApiKeys"] == ["backend"]
    assert resource["fallbackModels"] == [
        {"provider": "openai", "model": "gpt-4o", "connection": "openai"}
    ]

    # The snippets as shown, run as they are: each answers through the gateway.
    curl = _snippet(page, "curl")
    assert empty_gateway.url in curl and key in curl and '"model":"chat"' in curl
    if shutil.which("curl"):
        answer = subprocess.run(
            ["bash", "-c", curl], capture_output=True, text=True, timeout=30, check=True
        )
        body = json.loads(answer.stdout)
        assert body["choices"][0]["message"]["content"] == FAKE_ANSWER, answer.stdout
        assert openai_fake.last.header("authorization") == f"Bearer {UPSTREAM_KEY}"
        assert openai_fake.last.json["model"] == "gpt-4o-mini"

    python = _snippet(page, "Python")
    assert f'base_url="{empty_gateway.url}/v1"' in python
    script = tmp_path / "hello.py"
    script.write_text(python)
    ran = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=False
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == FAKE_ANSWER

    node = _snippet(page, "Node.js")
    assert f'baseURL: "{empty_gateway.url}/v1"' in node and f'apiKey: "{key}"' in node
    if shutil.which("node"):
        module = tmp_path / "hello.mjs"
        module.write_text(node)
        checked = subprocess.run(
            ["node", "--check", str(module)], capture_output=True, text=True, timeout=30
        )
        assert checked.returncode == 0, checked.stderr
    page.get_by_role("button", name="Copy Node.js snippet").click()
    expect(page.get_by_role("button", name="Copy Node.js snippet")).to_contain_text("Copied")


def test_the_wizard_resumes_with_what_exists_and_survives_a_reload(
    admin_api: Api, admin_page: Page
) -> None:
    workspace = unique("resume")
    admin_api.create_workspace(workspace)
    admin_api.create_environment(workspace, "staging")
    env = f"/api/v1/workspaces/{workspace}/environments/staging"
    expect_status(
        admin_api.post(
            f"{env}/connections",
            {
                "name": "main",
                "provider": "openai",
                "settings": {"baseUrl": "http://127.0.0.1:9/v1"},
                "credentials": {"apiKey": "sk-x"},
            },
        ),
        201,
    )
    page = admin_page
    page.goto("/ui/getting-started")
    expect_step(page, "Your workspace")
    # Workspaces exist: the step offers them first.
    expect(page.get_by_role("radio", name="Use an existing workspace")).to_be_checked()
    main = page.get_by_role("main")
    main.get_by_label("Workspace", exact=True).select_option(workspace)
    continue_step(page)
    expect_step(page, "An environment")
    expect(main.get_by_label("Environment", exact=True)).to_have_value("staging")
    continue_step(page)
    expect_step(page, "A connection to a provider")
    expect(page.get_by_label("Connection", exact=True)).to_have_value("main")
    continue_step(page)
    # No resource yet: a new one, through the connection chosen.
    expect_step(page, "A resource for your applications")
    expect(page.get_by_role("radio")).to_have_count(0)
    page.reload()
    expect_step(page, "A resource for your applications")
    expect(page).to_have_url(re.compile(f"ws={workspace}.*env=staging.*connection=main"))
    page.get_by_label("Resource name", exact=True).fill("summarize")
    page.get_by_label("Model", exact=True).fill("gpt-4o")
    continue_step(page)
    expect_step(page, "An API key")
    # The steps done so far can be revisited, showing what was chosen.
    steps = page.get_by_role("list", name="Steps")
    steps.get_by_role("button", name="Back to connection: main").click()
    expect_step(page, "A connection to a provider")
    expect(page.get_by_role("radio", name="Use an existing connection")).to_be_checked()


def test_server_errors_show_beside_their_fields(admin_api: Api, admin_page: Page) -> None:
    taken = unique("taken")
    admin_api.create_workspace(taken)
    page = admin_page
    page.goto("/ui/getting-started")
    page.get_by_role("radio", name="Create a new workspace").check()
    name = page.get_by_label("Name", exact=True)
    name.fill(taken)
    continue_step(page)
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_accessible_description(re.compile("already exists"))

    name.fill(unique("fresh"))
    continue_step(page)
    expect_step(page, "An environment")
    continue_step(page)
    expect_step(page, "A connection to a provider")
    base_url = page.get_by_label("Base URL", exact=True)
    base_url.fill("not a url")
    secret_box(page, "API key").fill("sk-anything")
    continue_step(page)
    expect(base_url).to_have_attribute("aria-invalid", "true")
    expect(secret_box(page, "API key")).not_to_have_attribute("aria-invalid", "true")
    expect_step(page, "A connection to a provider")


def test_a_read_only_user_is_offered_nothing_to_create(sign_in_as: SignInAs) -> None:
    page = sign_in_as("read-only").page
    page.goto("/ui/getting-started")
    # The notice needs the permission answers, so they have arrived by now.
    expect(page.get_by_text("may not create one")).to_be_visible()
    expect(page.get_by_role("button", name="Continue")).to_have_count(0)
    expect(page.get_by_label("Name", exact=True)).to_have_count(0)
