"""The usage dashboard in a real browser, over real traffic: chats sent through the gateway to
a fake OpenAI server, recorded, and read back by the page as totals, charts (with their
empty buckets filled) and a breakdown."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from switchboard.testing import RunningGateway
from switchboard.testing.fakes.openai import OpenAIFake
from tests.core.api.client import ADMIN_PASSWORD, Api
from tests.ui.conftest import NewPage, SignInAs, unique
from tests.ui.traffic import UPSTREAM_KEY, Traffic, open_environment


@pytest.fixture(scope="module")
def traffic(ui_gateway: RunningGateway, admin_api: Api) -> Iterator[Traffic]:
    """Four answered chats with known token counts, one the provider fails, one for a
    resource that does not exist."""
    with OpenAIFake(api_key=UPSTREAM_KEY) as fake:
        world = open_environment(ui_gateway, admin_api, fake, unique("usage"))
        for prompt, completion in [(11, 3), (13, 7), (17, 2), (19, 8)]:
            assert world.chat(prompt_tokens=prompt, completion_tokens=completion).status == 200
        assert world.chat(fail=True).status == 502
        assert world.chat(model="no-such-resource").status == 404
        world.wait_until_recorded()
        yield world


def test_the_totals_and_charts_show_what_was_sent(admin_page: Page, traffic: Traffic) -> None:
    page = admin_page
    page.goto(f"{traffic.ui_path}/usage?range=1h")
    expect(page.get_by_role("heading", name="Usage", level=1)).to_be_visible()
    totals = page.get_by_role("region", name="Totals")
    sent = traffic.sent
    requests = len(sent)
    errors = sum(1 for s in sent if s.status >= 400)
    prompt = sum(s.prompt_tokens for s in sent)
    completion = sum(s.completion_tokens for s in sent)
    expect(totals.get_by_role("group", name="Requests", exact=True)).to_contain_text(str(requests))
    expect(totals.get_by_role("group", name="Errors", exact=True)).to_contain_text(str(errors))
    expect(totals.get_by_role("group", name="Tokens in", exact=True)).to_contain_text(str(prompt))
    expect(totals.get_by_role("group", name="Tokens out", exact=True)).to_contain_text(
        str(completion)
    )
    expect(totals.get_by_role("group", name="Latency p95", exact=True)).to_contain_text("ms")

    # The chart draws the same numbers, and says them in its accessible summary.
    chart = page.get_by_role("img", name=re.compile(r"^Requests and errors"))
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute(
        "aria-label", re.compile(rf"Requests {requests} in total.*Errors {errors} in total")
    )
    assert chart.locator("path.chart-line, circle.chart-dot").count() > 0
    tokens = page.get_by_role("img", name=re.compile(r"^Tokens,"))
    expect(tokens).to_have_attribute("aria-label", re.compile(rf"In \(prompt\) {prompt} in total"))
    expect(page.get_by_role("img", name=re.compile(r"^Latency percentiles"))).to_be_visible()

    # Its table holds every minute of the hour, the empty ones as 0 (the API sends only
    # the minutes that had requests).
    figure = page.get_by_role("figure", name="Requests and errors")
    figure.get_by_text("Show data").click()
    cells = figure.get_by_role("table").locator("tbody tr td:first-of-type")
    expect(cells.first).to_be_visible()
    counts = [int(text) for text in cells.all_inner_texts()]
    assert len(counts) in (60, 61)
    assert sum(counts) == requests
    assert counts.count(0) >= len(counts) - 3


def test_grouping_by_resource_breaks_the_totals_down(admin_page: Page, traffic: Traffic) -> None:
    page = admin_page
    page.goto(f"{traffic.ui_path}/usage?range=24h")
    expect(page.get_by_label("Granularity")).to_have_value("")
    page.get_by_label("Group by").select_option("resource")
    expect(page).to_have_url(re.compile(r"groupBy=resource"))
    expect(page.get_by_role("heading", name="By resource")).to_be_visible()
    table = page.get_by_role("table", name="Usage by resource")
    chat = table.get_by_role("row").filter(has=page.get_by_role("cell", name="chat", exact=True))
    answered = [s for s in traffic.sent if s.status != 404]
    expect(chat.get_by_role("cell").nth(1)).to_have_text(str(len(answered)))
    # The request for a resource that does not exist is counted under the name asked for.
    missing = table.get_by_role("row").filter(
        has=page.get_by_role("cell", name="no-such-resource", exact=True)
    )
    expect(missing.get_by_role("cell").nth(1)).to_have_text("1")
    expect(page.get_by_role("img", name=re.compile(r"^Requests by resource"))).to_be_visible()
    expect(page.get_by_role("img", name=re.compile(r"^Tokens by resource: chat"))).to_be_visible()

    # A granularity too fine for the range is offered, but cannot be chosen.
    page.get_by_label("Time range").select_option("7d")
    expect(page.get_by_label("Granularity").locator("option[value=minute]")).to_be_disabled()
    expect(page.get_by_label("Granularity").locator("option[value=hour]")).to_be_enabled()
    page.get_by_label("Granularity").select_option("day")
    expect(page).to_have_url(re.compile(r"granularity=day"))
    expect(
        page.get_by_role("region", name="Totals").get_by_role("group", name="Requests", exact=True)
    ).to_contain_text(str(len(traffic.sent)))


def test_a_custom_range_is_checked_beside_its_fields(admin_page: Page, traffic: Traffic) -> None:
    page = admin_page
    page.goto(f"{traffic.ui_path}/usage")
    page.get_by_label("Time range").select_option("custom")
    start = page.get_by_label("From (UTC)")
    end = page.get_by_label("To (UTC)")
    expect(start).not_to_have_value("")
    end.fill("2020-01-01T00:00")
    expect(end).to_have_attribute("aria-invalid", "true")
    expect(end).to_have_accessible_description(re.compile("the end must be after the start"))
    # Nothing was asked of the API meanwhile: no totals, no stale charts.
    expect(page.get_by_role("region", name="Totals")).to_have_count(0)
    start.fill("2019-12-31T00:00")
    expect(page.get_by_role("heading", name="No requests in this range")).to_be_visible()


def test_an_environment_without_traffic_shows_the_empty_state(
    admin_api: Api, admin_page: Page
) -> None:
    workspace = unique("quiet")
    admin_api.create_workspace(workspace)
    admin_api.create_environment(workspace, "prod")
    admin_page.goto(f"/ui/w/{workspace}/e/prod/usage")
    expect(admin_page.get_by_role("heading", name="No requests in this range")).to_be_visible()


def test_a_read_only_member_sees_the_dashboard_on_a_narrow_screen(
    traffic: Traffic, sign_in_as: SignInAs
) -> None:
    page = sign_in_as("read-only", workspace=traffic.workspace, width=390, height=844).page
    page.goto(f"{traffic.ui_path}/usage?range=1h")
    requests = page.get_by_role("region", name="Totals").get_by_role(
        "group", name="Requests", exact=True
    )
    expect(requests).to_contain_text(str(len(traffic.sent)))
    chart = page.get_by_role("img", name=re.compile(r"^Requests and errors"))
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] <= 390


def test_the_dashboard_needs_a_sign_in(new_page: NewPage, traffic: Traffic) -> None:
    page = new_page()
    page.goto(f"{traffic.ui_path}/usage?range=7d")
    expect(page).to_have_url(re.compile(r"/ui/login\?next="))
    page.get_by_label("Username or email").fill("admin")
    page.get_by_label("Password", exact=True).fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/usage\?range=7d$"))
    expect(page.get_by_label("Time range")).to_have_value("7d")
