"""The admin journey of issue 8, in the browser only: from an empty gateway to a routed,
limited, fallback-protected resource whose usage the admin watches.

An admin who never read the docs signs in; the getting-started wizard makes a workspace, an
environment, a connection to a fake OpenAI (server A), a resource and a key (its secret
copied from the page); the Connections page adds a second provider (a fake Anthropic,
server B); the resource editor adds a routing rule from the condition builder, a fallback
model on the second connection and an enforced capacity limit; the dry run shows the rule
matching; the playground streams an answer with the key, then, with server A failing,
gets it from the fallback and shows the attempts, and, with the capacity lowered, shows the
429; Usage counts the requests and the Audit log shows the fallback request's attempts.
What the pages say is checked against the REST API and against what the fakes received.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from switchboard.testing import RunningGateway
from switchboard.testing.fakes.anthropic import AnthropicFake
from switchboard.testing.fakes.openai import OpenAIFake
from tests.core.api.client import ADMIN_PASSWORD, Api, Transcript, login
from tests.core.api.client import expect as expect_status
from tests.ui.conftest import TIMEOUT_MS, Screenshot, serve_gateway
from tests.ui.wizard_steps import continue_step, expect_step, secret_box

OPENAI_KEY = "sk-upstream-openai-journey"
ANTHROPIC_KEY = "sk-ant-upstream-journey"
ENV_PATH = "/api/v1/workspaces/acme/environments/production"
QUESTION = "What does an AI gateway do?"


@pytest.fixture
def gateway(
    ui_gateway: RunningGateway, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningGateway]:
    """An empty gateway of its own: nothing in it but the admin. Asks for ``ui_gateway`` so
    the UI build is checked first."""
    with serve_gateway(tmp_path_factory.mktemp("journey-gateway")) as running:
        yield running


@pytest.fixture
def server_a() -> Iterator[OpenAIFake]:
    """The fake OpenAI the wizard connects to."""
    with OpenAIFake(api_key=OPENAI_KEY) as fake:
        yield fake


@pytest.fixture
def server_b() -> Iterator[AnthropicFake]:
    """The fake Anthropic the second connection (the fallback) goes to."""
    with AnthropicFake(api_key=ANTHROPIC_KEY) as fake:
        yield fake


@pytest.fixture
def journey_page(browser: Browser, gateway: RunningGateway) -> Iterator[Page]:
    """A page at the empty gateway, signed in as nobody, that may use the clipboard."""
    context = browser.new_context(
        base_url=gateway.url,
        viewport={"width": 1280, "height": 800},
        permissions=["clipboard-read", "clipboard-write"],
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def _section(page: Page, heading: str) -> Locator:
    """The editor's card under the heading ``heading``."""
    return page.get_by_role("heading", name=heading, level=2, exact=True).locator("..")


def _records(admin: Api, count: int) -> list[dict[str, Any]]:
    """The environment's request records, once the recorder has stored ``count`` of them
    (it writes in batches)."""
    deadline = time.monotonic() + 20
    while True:
        items: list[dict[str, Any]] = expect_status(
            admin.get(f"{ENV_PATH}/audit", limit="50"), 200
        )["items"]
        if len(items) >= count:
            return items
        assert time.monotonic() < deadline, f"{len(items)} of {count} requests recorded"
        time.sleep(0.2)


def test_an_admin_goes_from_an_empty_gateway_to_a_protected_resource_and_its_usage(
    gateway: RunningGateway,
    journey_page: Page,
    server_a: OpenAIFake,
    server_b: AnthropicFake,
    screenshot: Screenshot,
) -> None:
    page = journey_page
    main = page.get_by_role("main")
    nav = page.get_by_role("navigation", name="Main")
    admin = login(gateway.url, Transcript(), "admin", ADMIN_PASSWORD)

    # -- Sign in: the gateway's address leads to the login page, then to getting started.
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in to Switchboard")).to_be_visible()
    page.get_by_label("Username or email").fill("admin")
    page.get_by_label("Password", exact=True).fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/ui/getting-started$"))
    workspace_choice = nav.get_by_label("Workspace", exact=True)
    expect(workspace_choice.locator("option")).to_have_text(["No workspace yet"])

    # -- The wizard: workspace, environment, connection to server A, resource, key.
    expect_step(page, "Your workspace")
    main.get_by_label("Name", exact=True).fill("acme")
    continue_step(page)
    expect_step(page, "An environment")
    expect(main.get_by_label("Name", exact=True)).to_have_value("production")
    # The shell's selector offers the new workspace at once, without a reload.
    expect(workspace_choice.locator("option", has_text="acme")).to_have_count(1)
    continue_step(page)

    expect_step(page, "A connection to a provider")
    expect(main.get_by_label("Provider", exact=True)).to_have_value("openai")
    main.get_by_label("Base URL", exact=True).fill(f"{server_a.url}/v1")
    secret_box(page, "API key").fill(OPENAI_KEY)
    screenshot(page, "journey-wizard-connection")
    continue_step(page)

    expect_step(page, "A resource for your applications")
    expect(main.get_by_label("Resource name", exact=True)).to_have_value("chat")
    main.get_by_label("Model", exact=True).fill("gpt-4o-mini")
    continue_step(page)

    expect_step(page, "An API key")
    main.get_by_label("Key name", exact=True).fill("support-bot")
    page.get_by_role("button", name="Create API key").click()
    expect_step(page, "Your gateway is ready")
    shown = main.get_by_label("API key", exact=True).inner_text()
    page.get_by_role("button", name="Copy api key").click()
    key: str = page.evaluate("navigator.clipboard.readText()")
    assert key == shown and key.startswith("sk-sb-")
    screenshot(page, "journey-wizard-done", hide=[key])

    # The shell now shows the new environment and offers its pages (no reload).
    expect(workspace_choice).to_have_value("acme")
    expect(nav.get_by_label("Environment", exact=True)).to_have_value("production")

    # -- A second connection, to server B, through the Connections page.
    nav.get_by_role("link", name="Connections").click()
    expect(page.get_by_role("table", name="Connections")).to_contain_text("openai")
    main.get_by_role("link", name="New connection").first.click()
    main.get_by_label("Name", exact=True).fill("anthropic")
    main.get_by_label("Provider").select_option("anthropic")
    main.get_by_label("Base URL").fill(server_b.url)
    main.get_by_label("API key").fill(ANTHROPIC_KEY)
    page.get_by_role("button", name="Create connection").click()
    expect(page.get_by_role("heading", name="anthropic", level=1)).to_be_visible()
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_role("status", name="Test result")).to_contain_text("The connection works")
    assert server_b.last.path == "/v1/messages"
    assert server_b.last.header("x-api-key") == ANTHROPIC_KEY
    screenshot(page, "journey-connection-tested")
    nav.get_by_role("link", name="Connections").click()
    connections = page.get_by_role("table", name="Connections")
    expect(connections.get_by_role("link", name="anthropic", exact=True)).to_be_visible()
    expect(connections.get_by_role("link", name="openai", exact=True)).to_be_visible()

    # -- The resource: a rule from the builder, a fallback on B, an enforced limit.
    nav.get_by_role("link", name="Resources").click()
    page.get_by_role("row").filter(has_text="chat").get_by_role("link", name="chat").click()
    main.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_role("button", name="Add rule").click()
    page.get_by_label("Rule 1 description").fill("Short questions")
    page.get_by_label("Rule 1 condition 1 field").select_option("requestTokens")
    page.get_by_label("Rule 1 condition 1 operator").select_option("lessThan")
    page.get_by_label("Rule 1 condition 1 value").fill("1000")
    page.get_by_label("Rule 1 target provider").select_option("openai")
    page.get_by_label("Rule 1 target model", exact=True).fill("gpt-4o")
    page.get_by_label("Rule 1 target connection").select_option("openai")

    page.get_by_label("Use the fallback chain").check()
    page.get_by_role("button", name="Add fallback model").click()
    page.get_by_label("Fallback 1 provider").select_option("anthropic")
    page.get_by_label("Fallback 1 model", exact=True).fill("claude-haiku-4-5")
    page.get_by_label("Fallback 1 connection").select_option("anthropic")

    capacity = _section(page, "Capacity")
    capacity.get_by_role("button", name="Add limit").click()
    requests_per_minute = page.get_by_label("Requests per period 1")
    requests_per_minute.fill("100")
    page.get_by_label("Enforce these limits").check()
    screenshot(page, "journey-resource-editor", focus=_section(page, "Routing rules"))
    screenshot(page, "journey-resource-fallback", focus=_section(page, "Capacity"))
    page.get_by_role("button", name="Save changes").click()

    expect(page.get_by_role("heading", name="chat", level=1, exact=True)).to_be_visible()
    configuration = page.get_by_role("region", name="Configuration")
    expect(configuration).to_contain_text("requestTokens lessThan 1000")
    expect(configuration).to_contain_text("100 requests per minute · enforced")
    saved = expect_status(admin.get(f"{ENV_PATH}/resources/chat"), 200)
    assert saved["routing"]["conditions"] == [
        {
            "description": "Short questions",
            "if": [{"field": "requestTokens", "operator": "lessThan", "value": 1000}],
            "then": {"provider": "openai", "model": "gpt-4o", "connection": "openai"},
        }
    ]
    assert saved["useFallback"] is True
    assert saved["fallbackModels"] == [
        {"provider": "anthropic", "model": "claude-haiku-4-5", "connection": "anthropic"}
    ]
    assert saved["capacity"] == [{"period": "minute", "requests": 100, "tokens": None}]
    assert saved["enforceCapacity"] is True

    # -- The dry run: a short question matches the rule; the chain ends on B.
    page.get_by_label("Sample message").fill(QUESTION)
    page.get_by_role("button", name="Test route").click()
    dry_run = page.get_by_role("region", name="Dry run result")
    expect(dry_run).to_contain_text("Rule 1 — Short questions")
    expect(dry_run.get_by_role("list", name="Chain").get_by_role("listitem")).to_have_text(
        ["openai/gpt-4o via openai", "anthropic/claude-haiku-4-5 via anthropic"]
    )
    screenshot(page, "journey-dry-run", focus=dry_run)

    # -- The playground: the key pasted, an answer streamed from server A.
    pieces = ["A gateway", " routes", " your requests."]
    server_a.script(
        server_a.stream(
            [
                server_a.chunk({"role": "assistant", "content": ""}),
                *(server_a.chunk({"content": piece}) for piece in pieces),
                server_a.chunk({}, finish_reason="stop"),
                server_a.usage_chunk(14, 6),
            ]
        )
    )
    main.get_by_role("link", name="Open in playground").click()
    expect(page.get_by_label("Resource", exact=True)).to_have_value("chat")
    page.get_by_label("API key").fill(key)
    page.get_by_label("Keep the key for this browser tab").check()
    page.get_by_label("Message", exact=True).fill(QUESTION)
    page.get_by_role("button", name="Send").click()
    conversation = page.get_by_role("log", name="Conversation")
    expect(conversation).to_contain_text("A gateway routes your requests.")
    details = page.get_by_role("region", name="Answer details")
    expect(details.locator("[data-header=x-switchboard-model]")).to_have_text("gpt-4o via openai")
    expect(details.locator("[data-header=x-switchboard-attempts]")).to_have_text("1")
    expect(details).to_contain_text("14 prompt + 6 completion = 20")
    assert server_a.last.json["model"] == "gpt-4o" and server_a.last.json["stream"] is True

    # Server A fails: the answer comes from the fallback on B, after two attempts.
    server_a.script(OpenAIFake.error(500, "server A is down", "server_error"))
    server_b.script(server_b.stream_text(["The fallback", " answers."]))
    page.get_by_label("Message", exact=True).fill("And if the provider is down?")
    page.get_by_role("button", name="Send").click()
    expect(conversation).to_contain_text("The fallback answers.")
    expect(details.locator("[data-header=x-switchboard-provider]")).to_have_text("anthropic")
    expect(details.locator("[data-header=x-switchboard-model]")).to_have_text(
        "claude-haiku-4-5 via anthropic"
    )
    expect(details.locator("[data-header=x-switchboard-attempts]")).to_have_text("2")
    expect(details).to_contain_text("the models before this one failed")
    fallback_id = details.locator("code").inner_text()
    expect(details.get_by_role("link", name="Every attempt in the audit log")).to_have_attribute(
        "href", re.compile(f"/audit/{re.escape(fallback_id)}$")
    )
    assert server_b.last.json["model"] == "claude-haiku-4-5"
    screenshot(page, "journey-playground-fallback")

    # -- The capacity set low: the next chat is refused with a 429, no provider called.
    nav.get_by_role("link", name="Resources").click()
    page.get_by_role("row").filter(has_text="chat").get_by_role("link", name="chat").click()
    main.get_by_role("link", name="Edit", exact=True).click()
    requests_per_minute.fill("1")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("region", name="Configuration")).to_contain_text(
        "1 requests per minute · enforced"
    )
    called = len(server_a.requests) + len(server_b.requests)
    nav.get_by_role("link", name="Playground").click()
    # The key was kept for this tab, as asked.
    expect(page.get_by_label("API key")).to_have_value(key)
    page.get_by_label("Message", exact=True).fill("One more?")
    page.get_by_role("button", name="Send").click()
    refused = page.get_by_role("alert").filter(has_text="Too many requests (429)")
    expect(refused).to_contain_text("resource 'chat' allows 1 requests per minute")
    expect(refused).to_contain_text(re.compile(r"Retry after \d+ seconds?"))
    assert len(server_a.requests) + len(server_b.requests) == called
    screenshot(page, "journey-playground-429")

    # -- Usage counts the three requests; the audit shows the fallback's attempts.
    records = _records(admin, 3)
    assert sorted(r["status"] for r in records) == [200, 200, 429]
    nav.get_by_role("link", name="Usage").click()
    totals = page.get_by_role("region", name="Totals")
    expect(totals.get_by_role("group", name="Requests", exact=True)).to_contain_text("3")
    expect(totals.get_by_role("group", name="Errors", exact=True)).to_contain_text("1")
    expect(page.get_by_role("img", name=re.compile(r"^Requests and errors"))).to_be_visible()
    screenshot(page, "journey-usage")

    nav.get_by_role("link", name="Audit log").click()
    listed = page.get_by_role("table", name="Requests, newest first")
    expect(listed.locator("tbody tr")).to_have_count(3)
    listed.get_by_role("link", name=f"Request {fallback_id}").click()
    expect(page.get_by_role("region", name="Details")).to_contain_text("anthropic")
    attempts = page.get_by_role("table", name="Attempts, in order").locator("tbody tr")
    expect(attempts).to_have_count(2)
    expect(attempts.first).to_contain_text("openai / gpt-4o")
    expect(attempts.first).to_contain_text("failed")
    expect(attempts.first).to_contain_text("500")
    expect(attempts.last).to_contain_text("anthropic / claude-haiku-4-5")
    expect(attempts.last).to_contain_text("ok")
    expect(page.get_by_role("region", name="Routing events")).to_contain_text("matched")
    screenshot(
        page,
        "journey-audit-detail",
        focus=page.get_by_role("region", name="Attempts"),
    )
