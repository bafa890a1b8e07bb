"""A small typed HTTP client for the control plane, and helpers that build test worlds.

Every response body any :class:`Api` receives is kept in a shared transcript, so tests can
check afterwards that no password or token ever came back where it should not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db.engine import create_engine, session_factory

__all__ = [
    "ADMIN_PASSWORD",
    "Api",
    "Transcript",
    "expect",
    "expect_error",
    "login",
    "run_db",
    "seg",
]

ADMIN_PASSWORD = "first-admin-Secret-4711"
T = TypeVar("T")


def seg(name: str) -> str:
    """``name`` as one URL path segment (quotes, spaces, unicode and ``%`` encoded)."""
    return quote(name, safe="")


@dataclass
class Transcript:
    """Every response body seen, in order (for the 'secrets never come back' checks)."""

    bodies: list[tuple[str, str]] = field(default_factory=list)

    def containing(self, secret: str) -> list[str]:
        """The requests (``METHOD url``) whose response body contains ``secret``."""
        return [where for where, body in self.bodies if secret in body]


def expect(response: httpx.Response, status: int) -> Any:
    """Assert the status (showing the body otherwise) and return the decoded JSON body."""
    assert response.status_code == status, (
        f"{response.request.method} {response.request.url} -> {response.status_code}, "
        f"expected {status}: {response.text}"
    )
    return response.json() if response.content else None


def expect_error(
    response: httpx.Response, status: int, *, param: str | None = None, says: str = ""
) -> dict[str, Any]:
    """Assert an error envelope with ``status``, ``param`` (when given) and a message part."""
    body = expect(response, status)
    assert isinstance(body, dict) and "error" in body, body
    error: dict[str, Any] = body["error"]
    if param is not None:
        assert error["param"] == param, f"param {error['param']!r} != {param!r}: {error}"
    assert says in error["message"], f"{says!r} not in {error['message']!r}"
    return error


class Api:
    """One caller of the gateway: a bearer token, a session cookie (+ CSRF), or nobody."""

    def __init__(
        self,
        base_url: str,
        transcript: Transcript,
        *,
        token: str | None = None,
        name: str = "anonymous",
    ) -> None:
        self.base_url = base_url
        self.transcript = transcript
        self.name = name
        self.token = token
        self.csrf: str | None = None
        headers = {"authorization": f"Bearer {token}"} if token else {}
        # A connection per request: on a kept-alive connection the test server's separate
        # header and body writes wait for delayed ACKs, some 40 ms a request.
        self.http = httpx.Client(
            base_url=base_url,
            headers=headers,
            timeout=30.0,
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    def close(self) -> None:
        self.http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send a request; a session's writes carry the CSRF token unless ``headers`` say."""
        sent = dict(headers or {})
        if self.csrf and method not in ("GET", "HEAD", "OPTIONS"):
            sent.setdefault("x-csrf-token", self.csrf)
        response = self.http.request(method, path, json=json, params=params, headers=sent)
        if self.csrf is None:
            # Only a session client keeps cookies: a login made by a token or anonymous
            # client must not turn it into a session client (test_auth checks both at once).
            self.http.cookies.clear()
        self.transcript.bodies.append((f"{method} {response.request.url}", response.text))
        return response

    def get(self, path: str, **params: str) -> httpx.Response:
        return self.request("GET", path, params=params or None)

    def post(self, path: str, json: Any = None) -> httpx.Response:
        return self.request("POST", path, json=json)

    def patch(self, path: str, json: Any) -> httpx.Response:
        return self.request("PATCH", path, json=json)

    def put(self, path: str, json: Any = None) -> httpx.Response:
        return self.request("PUT", path, json=json)

    def delete(self, path: str, **params: str) -> httpx.Response:
        return self.request("DELETE", path, params=params or None)

    # -- the helpers tests build their worlds with -----------------------------------

    def create_token(self, name: str = "cli", expires_in_days: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name}
        if expires_in_days is not None:
            body["expiresInDays"] = expires_in_days
        created: dict[str, Any] = expect(self.post("/api/v1/auth/tokens", body), 201)
        return created

    def as_token(self, name: str = "cli") -> Api:
        """A bearer-token client acting as this caller."""
        token = self.create_token(name)["token"]
        return Api(self.base_url, self.transcript, token=token, name=self.name)

    def create_user(
        self,
        username: str,
        *roles: str,
        password: str | None = None,
        email: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "username": username,
            "email": email or f"{username}@example.com",
            "roles": list(roles),
        }
        if password is not None:
            body["password"] = password
        created: dict[str, Any] = expect(self.post("/api/v1/users", body), 201)
        return created

    def create_role(self, name: str, statements: list[dict[str, Any]]) -> dict[str, Any]:
        body = {"name": name, "statements": statements}
        created: dict[str, Any] = expect(self.post("/api/v1/roles", body), 201)
        return created

    def create_workspace(self, name: str, *, description: str = "") -> dict[str, Any]:
        body = {"name": name, "description": description}
        created: dict[str, Any] = expect(self.post("/api/v1/workspaces", body), 201)
        return created

    def add_member(self, workspace: str, user: str, role: str = "member") -> dict[str, Any]:
        path = f"/api/v1/workspaces/{seg(workspace)}/members"
        added: dict[str, Any] = expect(self.post(path, {"user": user, "role": role}), 201)
        return added

    def create_environment(self, workspace: str, name: str) -> dict[str, Any]:
        path = f"/api/v1/workspaces/{seg(workspace)}/environments"
        created: dict[str, Any] = expect(self.post(path, {"name": name}), 201)
        return created


def login(
    base_url: str,
    transcript: Transcript,
    username: str,
    password: str,
    *,
    headers: dict[str, str] | None = None,
) -> Api:
    """Sign in through ``POST /api/v1/auth/login``; the client then carries the session
    cookie and sends the CSRF token on writes."""
    api = Api(base_url, transcript, name=username)
    response = api.http.post(
        "/api/v1/auth/login",
        json={"username": username, "password": password},
        headers=headers or {},
    )
    transcript.bodies.append((f"POST {response.request.url}", response.text))
    body = expect(response, 200)
    api.csrf = body["csrfToken"]
    return api


def run_db(database_url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in a session of our own on the gateway's database, then commit.

    The gateway's engine lives on the server thread's event loop; a test thread needs its
    own engine and loop.
    """

    async def main() -> T:
        engine = create_engine(database_url)
        try:
            async with session_factory(engine)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(main())
