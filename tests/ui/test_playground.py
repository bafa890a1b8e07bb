"""The playground in a real browser: a reply streamed from a fake OpenAI server through the
gateway with an API key, tokens shown as they arrive, the gateway's headers and usage, the
Stop button, the non-streamed mode, and the gateway's errors (a bad key, 429 with its
retry-after, 502 with what each attempt got)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from switchboard.testing.fakes.base import Reply
from switchboard.testing.fakes.openai import OpenAIFake, sse
from tests.core.api.client import Api
from tests.core.api.client import expect as expect_status
from tests.ui.conftest import SignInAs, unique

ENVIRONMENT = "production"
UPSTREAM_KEY = "sk-upstream-playground"


@dataclass
class World:
    """A workspace whose environment has the resource ``chat`` (openai/gpt-4o-mini through
    ``openai-main``, falling back to gpt-4o through ``openai-backup``), both connections
    pointing at fakes, and the key ``playground`` assigned to it."""

    workspace: str
    fake: OpenAIFake
    backup: OpenAIFake
    key: str
    records: int = 0
    """How many chats the test sent with the key (the gateway records each one)."""

    @property
    def url(self) -> str:
        return f"/ui/w/{self.workspace}/e/{ENVIRONMENT}/playground"


@pytest.fixture
def world(admin_api: Api) -> Iterator[World]:
    with OpenAIFake(api_key=UPSTREAM_KEY) as fake, OpenAIFake(api_key=UPSTREAM_KEY) as backup:
        workspace = unique("playground")
        admin_api.create_workspace(workspace)
        admin_api.create_environment(workspace, ENVIRONMENT)
        path = f"/api/v1/workspaces/{workspace}/environments/{ENVIRONMENT}"
        for name, server in (("openai-main", fake), ("openai-backup", backup)):
            connection = {
                "name": name,
                "provider": "openai",
                "settings": {"baseUrl": f"{server.url}/v1"},
                "credentials": {"apiKey": UPSTREAM_KEY},
            }
            expect_status(admin_api.post(f"{path}/connections", connection), 201)
        resource = {
            "name": "chat",
            "model": {"provider": "openai", "model": "gpt-4o-mini", "connection": "openai-main"},
            "useFallback": True,
            "fallbackModels": [
                {"provider": "openai", "model": "gpt-4o", "connection": "openai-backup"}
            ],
        }
        expect_status(admin_api.post(f"{path}/resources", resource), 201)
        key = expect_status(
            admin_api.post(f"{path}/api-keys", {"name": "playground", "resources": ["chat"]}), 201
        )["key"]
        world = World(workspace, fake, backup, key)
        yield world
        _wait_until_recorded(admin_api, path, world.records)


def _wait_until_recorded(admin_api: Api, path: str, count: int) -> None:
    """Return once the environment's audit holds ``count`` requests: the recorder writes in
    batches, and a batch landing during the next test's sign-in can make SQLite refuse it."""
    deadline = time.monotonic() + 20
    while True:
        page = expect_status(admin_api.get(f"{path}/audit", limit="500"), 200)
        if len(page["items"]) >= count:
            return
        assert time.monotonic() < deadline, f"{len(page['items'])} of {count} chats recorded"
        time.sleep(0.2)


def _ask(page: Page, key: str, message: str) -> None:
    page.get_by_label("API key").fill(key)
    page.get_by_label("Message", exact=True).fill(message)
    page.get_by_role("button", name="Send").click()


def test_a_streamed_reply_arrives_token_by_token(world: World, admin_page: Page) -> None:
    fake = world.fake
    pieces = ["Hello", " from", " the", " stream."]
    fake.script(
        Reply(
            events=sse(
                fake.chunk({"role": "assistant", "content": ""}),
                *(fake.chunk({"content": piece}) for piece in pieces),
                fake.chunk({}, finish_reason="stop"),
                fake.usage_chunk(12, 4),
            ),
            content_type="text/event-stream",
            event_delay=0.4,
        )
    )
    page = admin_page
    page.goto(world.url)
    expect(page.get_by_label("Resource", exact=True)).to_have_value("chat")
    page.get_by_label("System prompt (optional)").fill("Answer briefly.")
    # Every text the conversation showed, as the browser drew it.
    page.evaluate(
        """() => {
            window.seen = [];
            const log = document.querySelector('[role=log]');
            new MutationObserver(() => window.seen.push(log.textContent))
                .observe(log, {subtree: true, childList: true, characterData: true});
        }"""
    )
    _ask(page, world.key, "Say hello")

    conversation = page.get_by_role("log", name="Conversation")
    # The first words show while the rest is on its way (Stop is offered until the end).
    expect(conversation).to_contain_text("Hello from")
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    expect(conversation).to_contain_text("Hello from the stream.")
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    seen: list[str] = page.evaluate("window.seen")
    partial = [text for text in seen if "Hello" in text and "stream." not in text]
    assert partial, f"the answer did not show before it was complete: {seen}"

    details = page.get_by_role("region", name="Answer details")
    expect(details.locator("[data-header=x-switchboard-provider]")).to_have_text("openai")
    expect(details.locator("[data-header=x-switchboard-model]")).to_have_text(
        "gpt-4o-mini via openai-main"
    )
    expect(details.locator("[data-header=x-switchboard-route]")).to_have_text("primary")
    expect(details.locator("[data-header=x-switchboard-attempts]")).to_have_text("1")
    expect(details).to_contain_text("12 prompt + 4 completion = 16")

    sent = fake.last.json
    assert sent["stream"] is True
    assert sent["messages"] == [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "Say hello"},
    ]
    # The key lives in the page only: nothing in local storage, nor (unasked) the session's.
    storage = page.evaluate("JSON.stringify([localStorage, sessionStorage])")
    assert world.key not in storage

    # The next turn carries the conversation; without streaming the answer comes whole.
    page.get_by_label("Stream the answer").uncheck()
    page.get_by_label("Message", exact=True).fill("And again")
    page.get_by_role("button", name="Send").click()
    expect(conversation).to_contain_text("Hello from the fake.")
    assert "stream" not in fake.last.json
    assert [m["content"] for m in fake.last.json["messages"]] == [
        "Answer briefly.",
        "Say hello",
        "Hello from the stream.",
        "And again",
    ]
    world.records = 2


def test_stop_ends_a_stream_and_keeps_what_arrived(world: World, admin_page: Page) -> None:
    fake = world.fake
    fake.script(
        Reply(
            events=sse(*(fake.chunk({"content": f"word{i} "}) for i in range(8))),
            content_type="text/event-stream",
            event_delay=0.5,
        )
    )
    page = admin_page
    page.goto(world.url)
    _ask(page, world.key, "Talk for a while")
    conversation = page.get_by_role("log", name="Conversation")
    expect(conversation).to_contain_text("word1")
    page.get_by_role("button", name="Stop").click()
    expect(conversation).to_contain_text("Stopped.")
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    assert "word7" not in (conversation.text_content() or "")
    world.records = 1


def test_a_bad_key_is_refused_readably_even_for_a_read_only_user(
    world: World, sign_in_as: SignInAs
) -> None:
    # A read-only user has no menu entry but the same page at its address: it works only
    # with a key, and the gateway judges the key.
    # On a phone-sized screen, too.
    reader = sign_in_as("read-only", workspace=world.workspace, width=390, height=844).page
    reader.goto(world.url)
    _ask(reader, "sk-sb-not-a-real-key", "Hello?")
    alert = reader.get_by_role("alert").filter(has_text="refused the API key")
    expect(alert).to_contain_text("The gateway refused the API key (401)")
    expect(alert).to_contain_text("invalid API key")
    assert world.fake.requests == []

    # The message waits to be sent again, now with the key.
    fake = world.fake
    fake.script(
        Reply(events=sse(fake.chunk({"content": "Hi, reader."})), content_type="text/event-stream")
    )
    reader.get_by_label("API key").fill(world.key)
    reader.get_by_role("button", name="Send").click()
    expect(reader.get_by_role("log", name="Conversation")).to_contain_text("Hi, reader.")
    expect(alert).to_have_count(0)
    width = reader.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the playground is {width} px wide on a 390 px screen"
    world.records = 1  # the refused key reached no environment


def test_rate_limits_and_failed_chains_are_explained(world: World, admin_page: Page) -> None:
    limited = OpenAIFake.error(429, "Rate limit reached", "requests", headers={"retry-after": "7"})
    world.fake.script(limited)
    world.backup.script(limited)
    page = admin_page
    page.goto(world.url)
    _ask(page, world.key, "Hi")
    alert = page.get_by_role("alert").filter(has_text="Too many requests")
    expect(alert).to_contain_text("Retry after 7 seconds")

    world.fake.script(OpenAIFake.error(500, "upstream exploded", "server_error"))
    world.backup.script(OpenAIFake.error(502, "backup is down", "server_error"))
    page.get_by_label("Message", exact=True).fill("Hi again")
    page.get_by_role("button", name="Send").click()
    failed = page.get_by_role("alert").filter(has_text="Every model in the chain failed")
    attempts = failed.get_by_role("list", name="Attempts").get_by_role("listitem")
    expect(attempts).to_have_count(2)
    expect(attempts.first).to_contain_text("upstream exploded")
    expect(attempts.last).to_contain_text("backup is down")
    world.records = 2
