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
    ``screenshot(page, name) -> Path | None``: writes ``docs/screenshots/<name>.png`` when
    ``SWITCHBOARD_UI_SCREENSHOTS=1``, else does nothing.

and the helpers :func:`sign_in` (fill the login form) and :func:`unique`.

Without ``/usr/bin/chromium`` or without a UI build (``make ui``) the tests skip, or fail
under ``SWITCHBOARD_REQUIRE_SERVICES=1`` as CI runs them.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from switchboard.accounts.throttle import MemoryLoginThrottle
from switchboard.http.admin_ui import BUILD_DIR
from switchboard.plugins.host import PluginHost
from switchboard.settings import load_settings
from switchboard.testing import RunningGateway, serve_in_thread
from switchboard.testing.services import REQUIRE_SERVICES_ENV
from tests.core.api.client import ADMIN_PASSWORD, Api, Transcript, login

__all__ = ["ADMIN_PASSWORD", "NewPage", "Screenshot", "SignInAs", "UiUser", "sign_in", "unique"]

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


@pytest.fixture(scope="package")
def ui_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    """The UI tests' gateway, serving the UI build; SQLite in a temporary folder."""
    if not (BUILD_DIR / "index.html").is_file():
        _unavailable(f"the admin UI is not built ({BUILD_DIR}): run `make ui`")
    folder = tmp_path_factory.mktemp("ui-gateway")
    database = f"sqlite+aiosqlite:///{folder / 'switchboard.db'}"
    settings = load_settings(
        {}, data_dir=str(folder / "data"), database_url=database, admin_password=ADMIN_PASSWORD
    )
    plugins = PluginHost(settings)
    plugins.load_entry_points()
    with serve_in_thread(settings, plugins) as running:
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


Screenshot = Callable[[Page, str], Path | None]


@pytest.fixture
def screenshot() -> Screenshot:
    """``screenshot(page, name)``: docs/screenshots/<name>.png, only when
    ``SWITCHBOARD_UI_SCREENSHOTS=1`` (screenshots are for the docs, not for every run)."""

    def take(page: Page, name: str) -> Path | None:
        if os.environ.get(SCREENSHOTS_ENV) != "1":
            return None
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
            raise ValueError(f"screenshot names are lower-case words with dashes: {name!r}")
        SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
