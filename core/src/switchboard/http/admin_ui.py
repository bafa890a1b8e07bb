"""The bundled admin web UI at ``/ui/``, and ``/`` redirecting there.

``admin_ui/`` (React + Vite) builds into :data:`BUILD_DIR`, a folder inside this package
that git ignores and the wheel ships as an artifact, so the same path serves a source
checkout (``make setup`` / ``make ui``) and an installed wheel. The UI is a single-page
app: a file that exists is served as it is, any other ``/ui/...`` path answers
``index.html`` so a deep link or a reload lands on the right page. Vite names what it puts
under ``assets/`` after the content's hash, so those files are cached for a year; every
other file, ``index.html`` first, is revalidated on each load so a new build shows at once.

Without a build, ``/ui/`` answers 503 saying how to build it (an HTML page for a browser,
the JSON error envelope otherwise), never a 500.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath
from litestar.response import File, Redirect
from litestar.types import ControllerRouterHandler

from switchboard.http.errors import error_response

__all__ = ["BUILD_DIR", "UI_PATH", "admin_ui_handlers"]

UI_PATH = "/ui"
BUILD_DIR = Path(__file__).resolve().parent.parent / "ui_build"
"""Where ``npm run build`` in ``admin_ui/`` writes the UI (see admin_ui/vite.config.ts)."""

HASHED_ASSETS = "assets"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

# The UI talks only to this origin; nothing may frame it (clickjacking) and it runs no
# inline script. Inline styles stay allowed for React's style attributes.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
        "base-uri 'self'; form-action 'self'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}

NOT_BUILT_MESSAGE = (
    "the admin UI is not built: run `make setup` (or `make ui`) in the source checkout; "
    "it needs node 20 and npm"
)

_NOT_BUILT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchboard: UI not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}
code{background:#f1f3f5;padding:0 .25rem;border-radius:4px}</style></head>
<body><h1>The admin UI is not built</h1>
<p>This gateway has no build of the web UI. In the source checkout run
<code>make setup</code> (or <code>make ui</code> to rebuild only the UI); it needs node 20
and npm. The REST API is at <a href="/api/docs">/api/docs</a>.</p></body></html>
"""


def admin_ui_handlers(build_dir: Path | None = None) -> list[ControllerRouterHandler]:
    """The route handlers for ``/``, ``/ui`` and everything under ``/ui/``.

    :param build_dir: the UI build to serve; defaults to :data:`BUILD_DIR`, read when the
        handlers are made. The folder is looked at on every request, so a rebuild while the
        gateway runs is served at once and a missing build is reported, not fatal.
    """
    root = (build_dir or BUILD_DIR).resolve()

    @get("/", include_in_schema=False, sync_to_thread=False)
    def to_ui() -> Redirect:
        """The gateway's front door is the admin UI."""
        return Redirect(path=f"{UI_PATH}/", status_code=302)

    @get(UI_PATH, include_in_schema=False, sync_to_thread=False)
    def ui_index(request: Request[Any, Any, Any]) -> Response[Any]:
        """The UI's entry page."""
        return _index(root, request)

    @get(f"{UI_PATH}/{{file_path:path}}", include_in_schema=False, sync_to_thread=False)
    def ui_file(file_path: FromPath[str], request: Request[Any, Any, Any]) -> Response[Any]:
        """A file of the build, else the entry page (the UI's router reads the path)."""
        relative = file_path.lstrip("/")
        found = _inside(root, relative)
        if found is not None:
            cache = IMMUTABLE if relative.startswith(f"{HASHED_ASSETS}/") else REVALIDATE
            return _file(found, cache)
        if relative.startswith(f"{HASHED_ASSETS}/"):
            # A missing script or style must not come back as HTML with 200: the browser
            # would report a confusing type error instead of the missing file.
            return error_response(404, f"{UI_PATH}/{relative} not found")
        return _index(root, request)

    return [to_ui, ui_index, ui_file]


def _inside(root: Path, relative: str) -> Path | None:
    """The regular file ``relative`` names inside ``root``; ``None`` for anything else,
    including paths that climb out of it (``..``, symbolic links)."""
    if not relative:
        return None
    candidate = (root / relative).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def _index(root: Path, request: Request[Any, Any, Any]) -> Response[Any]:
    index = root / "index.html"
    if index.is_file():
        return _file(index, REVALIDATE)
    if "text/html" in request.headers.get("accept", ""):
        return Response(
            _NOT_BUILT_PAGE,
            status_code=503,
            media_type="text/html; charset=utf-8",
            headers={"cache-control": "no-store"},
        )
    return error_response(503, NOT_BUILT_MESSAGE, code="ui_not_built")


def _file(path: Path, cache_control: str) -> File:
    media_type, _ = mimetypes.guess_type(path.name)
    return File(
        path,
        content_disposition_type="inline",
        media_type=media_type or "application/octet-stream",
        headers={"cache-control": cache_control, **SECURITY_HEADERS},
    )
