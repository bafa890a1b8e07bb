"""The request audit in a real browser, over real traffic through the gateway: the list with
its keyset "Load more", filters (kept in the URL, errors beside the filter), the export
links, and one request's detail with its attempts, deep-linked."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from switchboard.testing import RunningGateway
from switchboard.testing.fakes.openai import OpenAIFake
from tests.core.api.client import Api
from tests.ui.conftest import SignInAs, unique
from tests.ui.traffic import CONNECTION, UPSTREAM_KEY, Sent, Traffic, open_environment

ANSWERED = 52
"""More than a page (50), so the list needs "Load more"."""


@pytest.fixture(scope="module")
def traffic(ui_gateway: RunningGateway, admin_api: Api) -> Iterator[Traffic]:
    """52 answered chats, then one the provider fails and one for a missing resource."""
    with OpenAIFake(api_key=UPSTREAM_KEY) as fake:
        world = open_environment(ui_gateway, admin_api, fake, unique("audit"))
        for index in range(ANSWERED):
            assert world.chat(prompt_tokens=10 + index, completion_tokens=5).status == 200
        assert world.chat(fail=True).status == 502
        assert world.chat(model="no-such-resource").status == 404
        world.wait_until_recorded()
        yield world


def _failed(traffic: Traffic) -> Sent:
    return next(s for s in traffic.sent if s.status == 502)


def _request_links(page: Page) -> list[str]:
    links = page.get_by_role("table", name="Requests, newest first").get_by_role(
        "link", name=re.compile(r"^Request ")
    )
    return [
        str(name).removeprefix("Request ")
        for name in links.evaluate_all(
            "links => links.map(link => link.getAttribute('aria-label'))"
        )
    ]


def test_every_request_is_listed_newest_first_page_by_page(
    admin_page: Page, traffic: Traffic
) -> None:
    page = admin_page
    page.goto(f"{traffic.ui_path}/audit")
    expect(page.get_by_role("heading", name="Audit log", level=1)).to_be_visible()
    table = page.get_by_role("table", name="Requests, newest first")
    expect(table.locator("tbody tr")).to_have_count(50)
    newest = [s.request_id for s in reversed(traffic.sent)]
    assert _request_links(page) == newest[:50]

    page.get_by_role("button", name="Load more").click()
    expect(table.locator("tbody tr")).to_have_count(len(traffic.sent))
    assert _request_links(page) == newest
    expect(page.get_by_role("button", name="Load more")).to_have_count(0)
    expect(page.get_by_text(f"{len(traffic.sent)} requests shown")).to_be_visible()


def test_filters_narrow_the_list_and_stay_in_the_url(admin_page: Page, traffic: Traffic) -> None:
    page = admin_page
    page.goto(f"{traffic.ui_path}/audit")
    filters = page.get_by_role("form", name="Filters")
    status = filters.get_by_label("Status")

    status.fill("5xx")
    filters.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"/audit\?status=5xx$"))
    expect(
        page.get_by_role("table", name="Requests, newest first").locator("tbody tr")
    ).to_have_count(1)
    assert _request_links(page) == [_failed(traffic).request_id]

    # Filters combine: answered requests of the resource, of the last hour.
    status.fill("2xx")
    filters.get_by_label("Resource").fill("chat")
    filters.get_by_label("Time range").select_option("1h")
    filters.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"range=1h.*resource=chat.*status=2xx"))
    expect(
        page.get_by_role("table", name="Requests, newest first").locator("tbody tr")
    ).to_have_count(50)
    expect(page.get_by_role("button", name="Load more")).to_be_visible()

    # The API's error about a filter shows beside it.
    status.fill("teapot")
    filters.get_by_role("button", name="Apply filters").click()
    expect(status).to_have_attribute("aria-invalid", "true")
    expect(status).to_have_accessible_description(re.compile("neither a status code"))

    status.fill("")
    filters.get_by_label("Resource").fill("nothing-like-this")
    filters.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("heading", name="No requests match these filters")).to_be_visible()
    page.get_by_role("button", name="Clear filters", exact=True).click()
    expect(page).to_have_url(re.compile(r"/audit$"))
    expect(
        page.get_by_role("table", name="Requests, newest first").locator("tbody tr")
    ).to_have_count(50)


def test_the_detail_shows_the_attempts_and_is_deep_linkable(
    admin_page: Page, traffic: Traffic
) -> None:
    page = admin_page
    failed = _failed(traffic)
    page.goto(f"{traffic.ui_path}/audit?status=5xx")
    page.get_by_role("link", name=f"Request {failed.request_id}").click()
    expect(page).to_have_url(re.compile(rf"/audit/{failed.request_id}$"))
    expect(page.get_by_role("heading", name="Request", level=1)).to_be_visible()
    details = page.get_by_role("region", name="Details")
    expect(details).to_contain_text("502")
    expect(details).to_contain_text("chat")
    attempts = page.get_by_role("table", name="Attempts, in order")
    row = attempts.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("failed")
    expect(row).to_contain_text("500")
    expect(row).to_contain_text(CONNECTION)
    expect(row).to_contain_text("openai / gpt-4o-mini")
    expect(page.get_by_role("region", name="Routing events")).to_be_visible()
    expect(page.get_by_role("region", name="Payload")).to_be_visible()

    # The address alone brings the same page back, and "back" returns to the filtered list.
    page.reload()
    expect(
        page.get_by_role("table", name="Attempts, in order").locator("tbody tr")
    ).to_contain_text("failed")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/audit\?status=5xx$"))

    answered = traffic.sent[0]
    page.goto(f"{traffic.ui_path}/audit/{answered.request_id}")
    attempt = page.get_by_role("table", name="Attempts, in order").locator("tbody tr")
    expect(attempt).to_contain_text("ok")
    expect(page.get_by_role("region", name="Details")).to_contain_text(str(answered.prompt_tokens))

    page.goto(f"{traffic.ui_path}/audit/no-such-request")
    expect(page.get_by_role("heading", name="No such request")).to_be_visible()


def test_the_export_links_carry_the_filters(admin_page: Page, traffic: Traffic) -> None:
    page = admin_page
    page.goto(f"{traffic.ui_path}/audit?status=5xx")
    expect(
        page.get_by_role("table", name="Requests, newest first").locator("tbody tr")
    ).to_have_count(1)
    csv_link = page.get_by_role("link", name="Export CSV")
    href = csv_link.get_attribute("href")
    assert href is not None and "status=5xx" in href and "format=csv" in href
    # The link works with the session alone (the browser's cookies), as a click would.
    answer = page.request.get(href)
    assert answer.ok, answer.text()
    rows = list(csv.DictReader(io.StringIO(answer.text())))
    assert [row["requestId"] for row in rows] == [_failed(traffic).request_id]

    jsonl = page.get_by_role("link", name="Export JSONL").get_attribute("href")
    assert jsonl is not None
    lines = [json.loads(line) for line in page.request.get(jsonl).text().splitlines() if line]
    assert [line["requestId"] for line in lines] == [_failed(traffic).request_id]
    assert lines[0]["attempts"][0]["outcome"] == "failed"


def test_a_read_only_member_reads_the_audit(traffic: Traffic, sign_in_as: SignInAs) -> None:
    page = sign_in_as("read-only", workspace=traffic.workspace, width=390, height=844).page
    page.goto(f"{traffic.ui_path}/audit?status=4xx")
    table = page.get_by_role("table", name="Requests, newest first")
    expect(table.locator("tbody tr")).to_have_count(1)
    # The read-only role holds completion-audit:export: the links are there.
    expect(page.get_by_role("link", name="Export CSV")).to_be_visible()
    missing = next(s for s in traffic.sent if s.status == 404)
    page.get_by_role("link", name=f"Request {missing.request_id}").click()
    expect(page.get_by_role("region", name="Details")).to_contain_text("404")
    expect(page.get_by_role("region", name="Attempts")).to_contain_text("No provider was called")


def test_an_environment_without_traffic_shows_the_empty_state(
    admin_api: Api, admin_page: Page
) -> None:
    workspace = unique("silent")
    admin_api.create_workspace(workspace)
    admin_api.create_environment(workspace, "prod")
    admin_page.goto(f"/ui/w/{workspace}/e/prod/audit")
    expect(admin_page.get_by_role("heading", name="No requests yet")).to_be_visible()
    expect(admin_page.get_by_role("button", name="Load more")).to_have_count(0)
