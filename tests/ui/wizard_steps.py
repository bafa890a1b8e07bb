"""Moving through the getting-started wizard in a browser, for the tests that walk it."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect


def continue_step(page: Page) -> None:
    """Submit the current step."""
    page.get_by_role("button", name="Continue").click()


def expect_step(page: Page, title: str) -> None:
    """Wait until the step titled ``title`` shows."""
    expect(page.get_by_role("heading", name=title, level=2)).to_be_visible()


def secret_box(page: Page, label: str) -> Locator:
    """A password box (no ARIA role) by its label; a required one's label ends with " *"."""
    return page.locator("input[type=password]").and_(
        page.get_by_label(re.compile(f"^{re.escape(label)}( \\*)?$"))
    )
