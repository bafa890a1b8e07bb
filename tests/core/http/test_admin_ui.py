"""The admin UI at /ui/ over real sockets: files, caching, the SPA fallback, no build."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from switchboard.http import admin_ui
from switchboard.plugins import PluginHost
from switchboard.settings import load_settings
from switchboard.testing import RunningGateway, serve_in_thread

INDEX = '<!doctype html><html><body><div id="root"></div></body></html>'
SCRIPT = "console.log('switchboard')"


def _serve(
    tmp_path: Path, build: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RunningGateway]:
    monkeypatch.setattr(admin_ui, "BUILD_DIR", build)
    settings = load_settings({}, data_dir=str(tmp_path / "data"))
    with serve_in_thread(settings, PluginHost(settings)) as running:
        yield running


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningGateway]:
    """A gateway serving a small stand-in build (what Vite writes: index.html, assets/)."""
    build = tmp_path / "ui_build"
    (build / "assets").mkdir(parents=True)
    (build / "index.html").write_text(INDEX)
    (build / "assets" / "index-Ab12Cd34.js").write_text(SCRIPT)
    (build / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "secret.txt").write_text("outside the build")
    yield from _serve(tmp_path, build, monkeypatch)


@pytest.fixture
def not_built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningGateway]:
    """A gateway whose UI build folder does not exist."""
    yield from _serve(tmp_path, tmp_path / "missing", monkeypatch)


def test_the_root_redirects_to_the_ui(built: RunningGateway) -> None:
    response = httpx.get(f"{built.url}/")
    assert response.status_code == 302
    assert response.headers["location"] == "/ui/"


@pytest.mark.parametrize("path", ["/ui/", "/ui"])
def test_the_entry_page_is_served_and_always_revalidated(built: RunningGateway, path: str) -> None:
    response = httpx.get(f"{built.url}{path}")
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-request-id"]


def test_hashed_assets_are_cached_for_a_year(built: RunningGateway) -> None:
    response = httpx.get(f"{built.url}/ui/assets/index-Ab12Cd34.js")
    assert response.status_code == 200
    assert response.text == SCRIPT
    assert "javascript" in response.headers["content-type"]
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_other_files_are_served_and_revalidated(built: RunningGateway) -> None:
    response = httpx.get(f"{built.url}/ui/favicon.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "path", ["/ui/w/acme/e/production/connections", "/ui/account/password", "/ui/unknown"]
)
def test_unknown_ui_paths_answer_the_entry_page(built: RunningGateway, path: str) -> None:
    response = httpx.get(f"{built.url}{path}")
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["cache-control"] == "no-cache"


def test_a_missing_asset_is_a_404_not_the_entry_page(built: RunningGateway) -> None:
    response = httpx.get(f"{built.url}/ui/assets/gone-0000.js")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found_error"


@pytest.mark.parametrize(
    "path", ["/ui/../secret.txt", "/ui/%2e%2e/secret.txt", "/ui/..%2fsecret.txt"]
)
def test_files_outside_the_build_are_never_served(built: RunningGateway, path: str) -> None:
    # httpx would normalise the dots away; send the path exactly as written.
    with httpx.Client(base_url=built.url) as client:
        request = client.build_request("GET", built.url)
        request.url = request.url.copy_with(raw_path=path.encode())
        response = client.send(request)
    assert "outside the build" not in response.text


def test_the_api_is_not_shadowed_by_the_ui(built: RunningGateway) -> None:
    response = httpx.get(f"{built.url}/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"


def test_without_a_build_a_browser_gets_a_page_saying_how_to_build_it(
    not_built: RunningGateway,
) -> None:
    response = httpx.get(f"{not_built.url}/ui/", headers={"accept": "text/html"})
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert "make setup" in response.text and "make ui" in response.text


def test_without_a_build_other_clients_get_the_json_error(not_built: RunningGateway) -> None:
    response = httpx.get(f"{not_built.url}/ui/w/acme/e/production/connections")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "ui_not_built"
    assert "make setup" in error["message"]
