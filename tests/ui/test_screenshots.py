"""The docs' screenshots never show a secret: the screenshot fixture refuses a page that would
show a key's secret, and pictures one with the secrets it was told to hide replaced."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.ui import conftest
from tests.ui.conftest import Screenshot

SECRET = "sk-sb-" + "Q" * 43


@pytest.fixture
def shots(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Screenshots on, written to a temporary folder instead of docs/screenshots."""
    monkeypatch.setenv(conftest.SCREENSHOTS_ENV, "1")
    monkeypatch.setattr(conftest, "SCREENSHOTS_DIR", tmp_path)
    return tmp_path


def test_a_shown_secret_is_refused_unless_hidden(
    page: Page, screenshot: Screenshot, shots: Path
) -> None:
    page.set_content(
        f"<header class='app-header'>Switchboard</header><main><code>{SECRET}</code>"
        f"<textarea aria-label='Snippet'>curl -H 'Authorization: Bearer {SECRET}'</textarea>"
        "</main>"
    )
    with pytest.raises(AssertionError, match="would show a secret"):
        screenshot(page, "leaky")
    assert not (shots / "leaky.png").exists()

    path = screenshot(page, "hidden", hide=[SECRET])
    assert path == shots / "hidden.png" and path.stat().st_size > 0
    # The page is as it was once the picture is taken.
    expect(page.locator("code")).to_have_text(SECRET)
    expect(page.get_by_label("Snippet")).to_have_value(f"curl -H 'Authorization: Bearer {SECRET}'")


def test_nothing_is_written_without_the_switch(
    page: Page, screenshot: Screenshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(conftest.SCREENSHOTS_ENV, raising=False)
    page.set_content(f"<code>{SECRET}</code>")
    assert screenshot(page, "anything") is None
