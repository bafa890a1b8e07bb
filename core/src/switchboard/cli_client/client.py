"""A small synchronous client for the control plane (``/api/v1``), as the CLI uses it.

Answers are decoded into the Structs below, which accept fields they do not know so that a
newer gateway still works with an older CLI. Every failure is one of two exceptions:
:class:`RemoteError` (the gateway answered with an error; ``message`` is the envelope's) or
:class:`Unreachable` (no answer at all).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from types import TracebackType
from typing import Any, Generic, TypeVar
from urllib.parse import quote, urlencode

import httpx
import msgspec

__all__ = [
    "Client",
    "LoginResult",
    "RemoteError",
    "Role",
    "TokenCreated",
    "TokenInfo",
    "Unreachable",
    "User",
]

T = TypeVar("T")

API = "/api/v1"
PAGE_SIZE = 500  # the gateway's largest page
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_TIMEOUT_SECONDS = 30.0


class RemoteError(Exception):
    """The gateway answered with an error: ``status`` and the envelope's ``message``."""

    def __init__(
        self, status: int, message: str, *, param: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code


class Unreachable(Exception):
    """No answer from ``url``: refused, timed out, DNS or TLS failure; ``reason`` says which."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot reach {url}: {reason}")
        self.url = url
        self.reason = reason


class _Shape(msgspec.Struct, rename="camel", kw_only=True):
    """Base of the shapes the client sends and reads: camelCase like the control plane."""


class User(_Shape):
    """A user as ``/api/v1/users`` shows it."""

    id: str
    username: str
    email: str
    display_name: str = ""
    enabled: bool = True
    roles: list[str] = msgspec.field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None


class Role(_Shape):
    """A role and its policy statements."""

    id: str
    name: str
    description: str = ""
    statements: list[dict[str, Any]] = msgspec.field(default_factory=list)
    builtin: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None


class LoginResult(_Shape):
    """The signed-in user and the session's CSRF token."""

    user: User
    csrf_token: str


class TokenCreated(_Shape):
    """A new personal access token; ``token`` is the secret, shown only once."""

    id: str
    name: str
    token: str


class TokenInfo(_Shape):
    """A personal access token as listed: its id, name and shown prefix, never the secret."""

    id: str
    name: str
    prefix: str


class _Page(_Shape, Generic[T]):
    items: list[T]
    total: int


class _Error(msgspec.Struct):
    message: str
    param: str | None = None
    code: str | None = None


class _Envelope(msgspec.Struct):
    error: _Error


class _Login(_Shape, omit_defaults=True):
    username: str
    password: str


class _TokenCreate(_Shape):
    name: str


class _UserCreate(_Shape, omit_defaults=True):
    username: str
    email: str
    display_name: str = ""
    password: str | None = None
    roles: list[str] = msgspec.field(default_factory=list)


class _PasswordSet(_Shape):
    password: str


def _key(value: str) -> str:
    """``value`` as one path segment: ids and names may hold anything but ``/``."""
    return quote(value, safe="")


def _reason(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    return str(exc) or type(exc).__name__


def _remote_error(response: httpx.Response) -> RemoteError:
    status = response.status_code
    if 300 <= status < 400:
        where = response.headers.get("location", "elsewhere")
        return RemoteError(status, f"the gateway redirects to {where}: use that URL")
    try:
        body = msgspec.json.decode(response.content, type=_Envelope).error
    except (msgspec.DecodeError, msgspec.ValidationError):
        return RemoteError(status, f"unexpected answer: HTTP {status} {response.reason_phrase}")
    return RemoteError(status, body.message, param=body.param, code=body.code)


class Client:
    """The control plane at ``url``, authenticated by ``token`` or by :meth:`login`.

    Use as a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        headers = {"authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=self.url, headers=headers, timeout=timeout, transport=transport
        )
        self._csrf: str | None = None

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    # -- sessions and tokens ---------------------------------------------------------

    def login(self, username: str, password: str) -> LoginResult:
        """Sign in; later calls use the session cookie (and its CSRF token for writes)."""
        result = self._call(
            "POST", "/auth/login", LoginResult, body=_Login(username=username, password=password)
        )
        self._csrf = result.csrf_token
        return result

    def logout(self) -> None:
        """End the session :meth:`login` started."""
        self._send("POST", "/auth/logout")
        self._csrf = None

    def create_token(self, name: str) -> TokenCreated:
        """Create a personal access token for the signed-in user."""
        return self._call("POST", "/auth/tokens", TokenCreated, body=_TokenCreate(name=name))

    def revoke_token(self, token_id: str) -> None:
        """Revoke one of the caller's personal access tokens."""
        self._send("DELETE", f"/auth/tokens/{_key(token_id)}")

    def tokens(self) -> list[TokenInfo]:
        """The caller's personal access tokens that are not revoked."""
        return list(self._pages("/auth/tokens", _Page[TokenInfo]))

    def me(self) -> User:
        """The caller."""
        return self._call("GET", "/auth/me", User)

    # -- users -----------------------------------------------------------------------

    def users(self) -> list[User]:
        """Every user the caller may list, following pagination to the end."""
        return list(self._pages("/users", _Page[User]))

    def create_user(
        self,
        username: str,
        email: str,
        *,
        display_name: str = "",
        password: str | None = None,
        roles: list[str] | None = None,
    ) -> User:
        """Create a user; without ``password`` it cannot sign in until one is set."""
        body = _UserCreate(
            username=username,
            email=email,
            display_name=display_name,
            password=password,
            roles=list(roles or []),
        )
        return self._call("POST", "/users", User, body=body)

    def set_password(self, user: str, password: str) -> None:
        """Set the password of ``user`` (id, username or email); it is signed out everywhere."""
        self._send("PUT", f"/users/{_key(user)}/password", body=_PasswordSet(password))

    # -- roles -----------------------------------------------------------------------

    def roles(self) -> list[Role]:
        """Every role the caller may list, following pagination to the end."""
        return list(self._pages("/roles", _Page[Role]))

    def role(self, name: str) -> Role:
        """One role by id or name."""
        return self._call("GET", f"/roles/{_key(name)}", Role)

    # -- usage and the request audit ---------------------------------------------------

    def usage(self, workspace: str, environment: str, query: dict[str, Any]) -> Any:
        """``POST .../usage/query``: the answer as the gateway gave it (decoded JSON)."""
        path = f"{self._environment(workspace, environment)}/usage/query"
        return self.request("POST", path, query)

    def audit_page(
        self,
        workspace: str,
        environment: str,
        filters: Sequence[tuple[str, str]],
        *,
        limit: int,
        cursor: str | None = None,
    ) -> Any:
        """One page of request records, newest first (decoded JSON: ``items``,
        ``nextCursor``); ``filters`` are query parameters, a name may repeat."""
        params = [*filters, ("limit", str(limit))]
        if cursor is not None:
            params.append(("cursor", cursor))
        path = f"{self._environment(workspace, environment)}/audit?{urlencode(params)}"
        return self.request("GET", path)

    def audit_record(self, workspace: str, environment: str, request_id: str) -> Any:
        """One request record with its attempts and routing events (decoded JSON)."""
        path = f"{self._environment(workspace, environment)}/audit/{_key(request_id)}"
        return self.request("GET", path)

    @contextmanager
    def audit_export(
        self, workspace: str, environment: str, params: Sequence[tuple[str, str]]
    ) -> Iterator[Iterator[bytes]]:
        """The export's body as it arrives, chunk by chunk: never held whole in memory.

        The gateway's refusal (a bad filter or format, no permission) is raised on entry,
        before any byte is handed over.
        """
        query = urlencode(params)
        path = f"{API}{self._environment(workspace, environment)}/audit/export?{query}"
        try:
            with self._http.stream("GET", path) as response:
                if not response.is_success:
                    response.read()
                    raise _remote_error(response)
                yield response.iter_bytes()
        except httpx.TransportError as exc:
            # Also what the body's iteration raises when the connection drops mid-export.
            raise Unreachable(self.url, _reason(exc)) from None

    # -- plumbing --------------------------------------------------------------------

    @staticmethod
    def _environment(workspace: str, environment: str) -> str:
        """The path of an environment, both given by id or name."""
        return f"/workspaces/{_key(workspace)}/environments/{_key(environment)}"

    def request(self, method: str, path: str, body: object = None) -> Any:
        """Any call under ``/api/v1`` (``path`` may carry a query): the decoded JSON answer,
        or None when the answer has no body. For callers that need no typed shapes."""
        response = self._send(method, path, body=body)
        if not response.content:
            return None
        try:
            return msgspec.json.decode(response.content)
        except msgspec.DecodeError as exc:
            raise RemoteError(response.status_code, f"unexpected answer: {exc}") from None

    def _pages(self, path: str, page_type: type[_Page[T]]) -> Iterator[T]:
        offset = 0
        while True:
            page = self._call("GET", path, page_type, params={"limit": PAGE_SIZE, "offset": offset})
            yield from page.items
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return

    def _call(
        self,
        method: str,
        path: str,
        answer: type[T],
        *,
        body: msgspec.Struct | None = None,
        params: dict[str, int] | None = None,
    ) -> T:
        response = self._send(method, path, body=body, params=params)
        try:
            return msgspec.json.decode(response.content, type=answer)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise RemoteError(response.status_code, f"unexpected answer: {exc}") from None

    def _send(
        self,
        method: str,
        path: str,
        *,
        body: object = None,
        params: dict[str, int] | None = None,
    ) -> httpx.Response:
        headers = {}
        if self._csrf is not None and method not in SAFE_METHODS:
            headers["x-csrf-token"] = self._csrf
        if body is not None:
            headers["content-type"] = "application/json"
        try:
            response = self._http.request(
                method,
                API + path,
                content=msgspec.json.encode(body) if body is not None else None,
                params=params,
                headers=headers,
            )
        except httpx.TransportError as exc:
            raise Unreachable(self.url, _reason(exc)) from None
        if not response.is_success:
            raise _remote_error(response)
        return response
