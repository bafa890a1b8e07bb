"""Browser tests of the admin UI: a real gateway serving the real build, driven by Chromium.

One gateway (SQLite in a temporary folder, admin password :data:`ADMIN_PASSWORD`) and one
browser for all the tests under tests/ui; every test gets a fresh browser context (no
cookies, no storage), so tests share the gateway but not a session. Tests that share the
gateway use names of their own (``unique("alice")``).

Playwright's synchronous API runs an event loop in the test thread while the browser is up,
so ``asyncio.run()`` (``run_db``, async fixtures) does not work in these tests: build and
check a test's world through the REST API (``admin_api``). The browser is closed when the
tests of this folder end (package scope), so the rest of the suite is not affected.

Fixtures:

``ui_gateway``
    the :class:`~switchboard.testing.RunningGateway` serving ``/ui/``.
``admin_api``
    the admin's REST client (:class:`tests.core.api.client.Api`, bearer token) to build a
    test's world: ``admin_api.create_workspace("acme")``, ``create_user``, ...
``browser``
    the UI tests' Chromium (``/usr/bin/chromium``, headless).
``new_page``
    ``new_page(width=1280, height=800) -> Page``: a page in a fresh context, at the gateway.
``page``
    ``new_page()`` at 1280 x 800, signed in as nobody.
``admin_page``
    a page signed in as ``admin``, showing the start page.
``sign_in_as``
    ``sign_in_as(*roles, workspace=None, member_role="member", width=1280, height=800)
    -> UiUser``: a new user holding ``roles`` (and a member of ``workspace``), signed in on
    a fresh page; ``UiUser`` has ``page``, ``username``, ``email`` and ``password``.
``screenshot``
    ``screenshot(page, name, *, focus=None, full_page=False, hide=()) -> Path | None``:
    writes ``docs/screenshots/<name>.png`` when ``SWITCHBOARD_UI_SCREENSHOTS=1``, else does
    nothing. The picture is the viewport (the sticky header and menu where they belong),
    scrolled to show ``focus``; the strings in ``hide`` (a key's secret) are replaced by a
    placeholder first, and a picture that would still show a key or token secret is refused.

and the helpers :func:`sign_in` (fill the login form), :func:`unique` and
:func:`serve_gateway` (a gateway of its own, for tests that need an empty one).

Without ``/usr/bin/chromium`` or without a UI build (``make ui``) the tests skip, or fail
under ``SWITCHBOARD_REQUIRE_SERVICES=1`` as CI runs them.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from switchboard.accounts.throttle import MemoryLoginThrottle
from switchboard.http.admin_ui import BUILD_DIR
from switchboard.plugins.host import PluginHost
from switchboard.settings import load_settings
from switchboard.testing import RunningGateway, serve_in_thread
from switchboard.testing.services import REQUIRE_SERVICES_ENV
from tests.core.api.client import ADMIN_PASSWORD, Api, Transcript, login

__all__ = [
    "ADMIN_PASSWORD",
    "NewPage",
    "Screenshot",
    "SignInAs",
    "UiUser",
    "serve_gateway",
    "sign_in",
    "unique",
]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS_ENV = "SWITCHBOARD_UI_SCREENSHOTS"
SCREENSHOTS_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
USER_PASSWORD = "ui-User-Password-1"
TIMEOUT_MS = 10_000

_counter = itertools.count(1)


def unique(prefix: str) -> str:
    """A name no other test of the session uses: ``alice-3``."""
    return f"{prefix}-{next(_counter)}"


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_SERVICES_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_SERVICES_ENV}=1)", pytrace=False)
    pytest.skip(reason)


@contextmanager
def serve_gateway(folder: Path) -> Iterator[RunningGateway]:
    """A gateway of its own with SQLite in ``folder``, holding nothing but the admin
    (password :data:`ADMIN_PASSWORD`), with the installed plugins."""
    database = f"sqlite+aiosqlite:///{folder / 'switchboard.db'}"
    settings = load_settings(
        {}, data_dir=str(folder / "data"), database_url=database, admin_password=ADMIN_PASSWORD
    )
    plugins = PluginHost(settings)
    plugins.load_entry_points()
    with serve_in_thread(settings, plugins) as running:
        yield running


@pytest.fixture(scope="package")
def ui_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    """The UI tests' gateway, serving the UI build; SQLite in a temporary folder."""
    if not (BUILD_DIR / "index.html").is_file():
        _unavailable(f"the admin UI is not built ({BUILD_DIR}): run `make ui`")
    with serve_gateway(tmp_path_factory.mktemp("ui-gateway")) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_login_throttle(request: pytest.FixtureRequest) -> None:
    """Forget failed sign-ins between tests: all come from 127.0.0.1, and a few wrong
    passwords in one test must not lock the next test out."""
    if "ui_gateway" in request.fixturenames:
        gateway: RunningGateway = request.getfixturevalue("ui_gateway")
        gateway.state.login_throttle = MemoryLoginThrottle()


@pytest.fixture(scope="package")
def admin_api(ui_gateway: RunningGateway) -> Api:
    """The admin's REST client (a personal access token) for building a test's world."""
    return login(ui_gateway.url, Transcript(), "admin", ADMIN_PASSWORD).as_token("ui-tests")


@pytest.fixture(scope="package")
def playwright_driver() -> Iterator[Playwright]:
    """The Playwright driver (one for the UI tests)."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless, once for the UI tests."""
    if not CHROMIUM.is_file():
        _unavailable(f"{CHROMIUM} is missing: apt-get install chromium")
    launched = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    expect.set_options(timeout=TIMEOUT_MS)
    yield launched
    launched.close()


NewPage = Callable[..., Page]


@pytest.fixture
def new_page(browser: Browser, ui_gateway: RunningGateway) -> Iterator[NewPage]:
    """``new_page(width=1280, height=800)``: a page in a fresh context (closed after the test)."""
    contexts: list[BrowserContext] = []

    def make(width: int = 1280, height: int = 800) -> Page:
        context = browser.new_context(
            base_url=ui_gateway.url, viewport={"width": width, "height": height}
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: NewPage) -> Page:
    """A page at 1280 x 800 that is signed in as nobody."""
    return new_page()


def sign_in(page: Page, username: str, password: str) -> None:
    """Open the login page, sign in, and wait for the app's header to show the user."""
    page.goto("/ui/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


@pytest.fixture
def admin_page(page: Page) -> Page:
    """A page signed in as ``admin``."""
    sign_in(page, "admin", ADMIN_PASSWORD)
    return page


@dataclass(frozen=True)
class UiUser:
    """A user made for one test, signed in on ``page``."""

    page: Page
    username: str
    email: str
    password: str


SignInAs = Callable[..., UiUser]


@pytest.fixture
def sign_in_as(admin_api: Api, new_page: NewPage) -> SignInAs:
    """``sign_in_as(*roles, workspace=None, member_role="member", width=1280, height=800)``:
    create a user holding ``roles`` (a member of ``workspace`` when given) and sign them in
    on a fresh page."""

    def make(
        *roles: str,
        workspace: str | None = None,
        member_role: str = "member",
        width: int = 1280,
        height: int = 800,
    ) -> UiUser:
        username = unique("-".join(roles) or "user")
        created = admin_api.create_user(username, *roles, password=USER_PASSWORD)
        if workspace is not None:
            admin_api.add_member(workspace, username, member_role)
        page = new_page(width, height)
        sign_in(page, username, USER_PASSWORD)
        return UiUser(page, username, created["email"], USER_PASSWORD)

    return make


SECRET = re.compile(r"(sk-sb-|sbp_)[A-Za-z0-9_-]{16,}")
"""An API key's or a personal access token's secret (lists show only their first 12
characters, which this does not match)."""
HIDDEN = "sk-sb-••••••••••••••••"
"""What a hidden secret shows as in a screenshot."""

# Scroll so that the element shows whole, as low in the window as it fits (with what leads
# to it above), and never under the sticky header; a tall element shows from its top.
_FOCUS_JS = """element => {
    const header = document.querySelector('.app-header');
    const headerHeight = header ? header.getBoundingClientRect().height : 0;
    const box = element.getBoundingClientRect();
    const top = box.top + window.scrollY - headerHeight - 16;
    const bottom = box.bottom + window.scrollY + 24 - window.innerHeight;
    window.scrollTo(0, Math.max(0, Math.min(top, bottom)));
}"""

# Replace each of `hidden` in the page's text and boxes; return the undo.
_HIDE_JS = """([hidden, shown]) => {
    const undo = [];
    const swap = text => hidden.reduce((t, secret) => t.split(secret).join(shown), text);
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.nodeValue;
        if (hidden.some(secret => text.includes(secret))) {
            undo.push([node, 'nodeValue', text]);
            node.nodeValue = swap(text);
        }
    }
    for (const box of document.querySelectorAll('input, textarea')) {
        if (hidden.some(secret => box.value.includes(secret))) {
            undo.push([box, 'value', box.value]);
            box.value = swap(box.value);
        }
    }
    window.__unhide = () => undo.forEach(([target, key, value]) => { target[key] = value; });
}"""

# Everything a picture of the page shows in words: its text and the boxes' values (a
# password box shows dots, not its value).
_VISIBLE_TEXT_JS = """() => [
    document.body.innerText,
    ...[...document.querySelectorAll('input:not([type=password]), textarea')].map(b => b.value),
].join('\\n')"""


class Screenshot(Protocol):
    """``screenshot(page, name, *, focus=None, full_page=False, hide=())``."""

    def __call__(
        self,
        page: Page,
        name: str,
        *,
        focus: Locator | None = None,
        full_page: bool = False,
        hide: Sequence[str] = (),
    ) -> Path | None: ...


@pytest.fixture
def screenshot() -> Screenshot:
    """``screenshot(page, name, *, focus=None, full_page=False, hide=())``:
    docs/screenshots/<name>.png, only when ``SWITCHBOARD_UI_SCREENSHOTS=1`` (screenshots are
    for the docs, not for every run).

    The picture is the window (1280 x 800 for most pages) scrolled to show ``focus`` (else
    the top); ``full_page`` takes the whole page instead, from the top. The strings in
    ``hide`` (a secret shown once) show as :data:`HIDDEN` in the picture, and are back in
    the page afterwards. A page that would still show a secret is not pictured: the test
    fails instead.
    """

    def take(
        page: Page,
        name: str,
        *,
        focus: Locator | None = None,
        full_page: bool = False,
        hide: Sequence[str] = (),
    ) -> Path | None:
        if os.environ.get(SCREENSHOTS_ENV) != "1":
            return None
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
            raise ValueError(f"screenshot names are lower-case words with dashes: {name!r}")
        if focus is not None and not full_page:
            focus.evaluate(_FOCUS_JS)
        else:
            # A full-page picture taken while scrolled draws the sticky header part-way down.
            page.evaluate("window.scrollTo(0, 0)")
        hidden = [secret for secret in hide if secret]
        if hidden:
            page.evaluate(_HIDE_JS, [hidden, HIDDEN])
        try:
            leaked = SECRET.search(page.evaluate(_VISIBLE_TEXT_JS))
            if leaked is not None:
                raise AssertionError(
                    f"screenshot {name!r} would show a secret ({leaked.group()[:12]}…): "
                    "pass it in hide="
                )
            SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
            path = SCREENSHOTS_DIR / f"{name}.png"
            page.screenshot(path=str(path), full_page=full_page, animations="disabled")
        finally:
            if hidden:
                page.evaluate("window.__unhide()")
        return path

    return take
