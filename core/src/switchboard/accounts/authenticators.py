"""The control plane's authenticators: the UI's session cookie and personal access tokens."""

from __future__ import annotations

from datetime import timedelta
from http.cookies import CookieError, SimpleCookie
from typing import ClassVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.accounts.principals import load_user_principal
from switchboard.accounts.secrets import digest, same
from switchboard.context import GatewayContext, Principal, RequestInfo
from switchboard.db.engine import begin_writing
from switchboard.db.models import PersonalAccessToken, User, UserSession, utcnow
from switchboard.errors import Forbidden, Unauthorized
from switchboard.interfaces import Authenticator

__all__ = [
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "TOKEN_PREFIX",
    "SessionAuthenticator",
    "TokenAuthenticator",
    "bearer_token",
    "session_cookie",
]

SESSION_COOKIE = "sb_session"
CSRF_COOKIE = "sb_csrf"
CSRF_HEADER = "x-csrf-token"
TOKEN_PREFIX = "sbp_"  # noqa: S105 - a public prefix, not a secret
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Writing last_used_at on every request would turn reads into writes; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def session_cookie(request: RequestInfo) -> str | None:
    """The session cookie's value, if the request carries one."""
    raw = request.header("cookie")
    if not raw:
        return None
    try:
        jar = SimpleCookie(raw)
    except CookieError:
        return None
    morsel = jar.get(SESSION_COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


def bearer_token(request: RequestInfo) -> str | None:
    """The bearer credential of ``Authorization``, if any."""
    header = request.header("authorization") or ""
    scheme, _, credential = header.partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        return None
    return credential.strip()


async def _principal(session: AsyncSession, user_id: str, authenticator: str) -> Principal:
    user = await session.get(User, user_id)
    if user is None or not user.enabled:
        raise Unauthorized("the account is disabled or no longer exists")
    return await load_user_principal(session, user, authenticator=authenticator)


class SessionAuthenticator(Authenticator):
    """The ``sb_session`` cookie set by ``POST /api/v1/auth/login``.

    Writes (any method but GET, HEAD, OPTIONS) must echo the session's CSRF token in the
    ``x-csrf-token`` header: a cross-site form can send the cookie but cannot read the token.
    """

    name: ClassVar[str] = "session"

    def __init__(self, gateway: GatewayContext) -> None:
        self._gateway = gateway

    async def authenticate(self, request: RequestInfo) -> Principal | None:
        cookie = session_cookie(request)
        if cookie is None or bearer_token(request) is not None:
            # A request with a bearer token is the token's (a script beside a browser
            # session); it needs no CSRF token, since a cross-site form cannot add it.
            return None
        async with self._gateway.sessions()() as session:
            row = await session.get(UserSession, digest(cookie))
            if row is None or row.expires_at <= utcnow():
                raise Unauthorized("the session has expired or was signed out; sign in again")
            if request.method not in SAFE_METHODS and not same(
                request.header(CSRF_HEADER) or "", row.csrf_token
            ):
                raise Forbidden(
                    f"missing or wrong CSRF token: send the {CSRF_HEADER} header given at login",
                    code="csrf_failed",
                )
            return await _principal(session, row.user_id, self.name)


class TokenAuthenticator(Authenticator):
    """Personal access tokens (``Authorization: Bearer sbp_...``) for the CLI and automation."""

    name: ClassVar[str] = "personal-token"

    def __init__(self, gateway: GatewayContext) -> None:
        self._gateway = gateway

    async def authenticate(self, request: RequestInfo) -> Principal | None:
        token = bearer_token(request)
        if token is None or not token.startswith(TOKEN_PREFIX):
            return None
        async with self._gateway.sessions()() as session:
            row = (
                await session.execute(
                    select(PersonalAccessToken).where(
                        PersonalAccessToken.token_hash == digest(token)
                    )
                )
            ).scalar_one_or_none()
            now = utcnow()
            if row is None or row.revoked_at is not None:
                raise Unauthorized("the personal access token is invalid or revoked")
            if row.expires_at is not None and row.expires_at <= now:
                raise Unauthorized("the personal access token has expired")
            principal = await _principal(session, row.user_id, self.name)
            stale = row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION
        if stale:
            # A transaction of its own, holding the write lock only for the update.
            async with self._gateway.sessions()() as session:
                await begin_writing(session)
                await session.execute(
                    update(PersonalAccessToken)
                    .where(PersonalAccessToken.id == row.id)
                    .values(last_used_at=now)
                )
                await session.commit()
        return principal
