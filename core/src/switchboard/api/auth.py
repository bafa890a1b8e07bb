"""``/api/v1/auth``: sign in and out, who am I, password change, personal access tokens."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import Cookie, State
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT
from sqlalchemy import delete as sql_delete
from sqlalchemy import func, or_, select

from switchboard.accounts.authenticators import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    TOKEN_PREFIX,
    session_cookie,
)
from switchboard.accounts.passwords import hash_password, verify_password
from switchboard.accounts.secrets import digest, new_secret
from switchboard.api.audit_log import commit_change
from switchboard.api.deps import CallerDep, Db, Limit, Offset, gateway_of, request_info
from switchboard.api.lookup import role_names, user_resource
from switchboard.api.shapes import Page
from switchboard.api.users_shapes import (
    LoginRequest,
    LoginResponse,
    PasswordChange,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserOut,
    user_out,
)
from switchboard.db.models import PersonalAccessToken, User, UserSession, utcnow
from switchboard.errors import BadRequest, GatewayError, NotFound, Unauthorized

__all__ = ["AuthController"]

TOKEN_PREFIX_SHOWN = 12


class TooManyAttempts(GatewayError):
    """429 with ``Retry-After``: the login throttle locked this account or address."""

    status_code = 429
    error_type = "rate_limit_error"


def _secure(request: Request[Any, Any, Any]) -> bool:
    """Whether the client reached us over TLS, directly or through a proxy that says so."""
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded.split(",")[0].strip() == "https"


async def _user(db: Db, caller: CallerDep) -> User:
    user = await db.get(User, caller.principal.id)
    if user is None:
        raise Unauthorized("the account no longer exists")
    return user


class AuthController(Controller):
    """Sessions for the UI, tokens for the CLI."""

    path = "/auth"
    tags = ["auth"]

    @post("/login", status_code=HTTP_200_OK)
    async def login(
        self,
        data: JSONBody[LoginRequest],
        request: Request[Any, Any, Any],
        state: State,
        db: Db,
    ) -> Response[LoginResponse]:
        """Sign in with a username (or email) and password; sets the session cookie.

        Repeated failures lock the account and the client address for exponentially longer
        (429 with ``Retry-After``).
        """
        gateway = gateway_of(state)
        info = request_info(request)
        account_key = f"account:{data.username.lower()}"
        keys = [account_key, f"ip:{info.client_ip or '-'}"]
        wait = await gateway.login_throttle.retry_after(keys)
        if wait > 0:
            seconds = math.ceil(wait)
            raise TooManyAttempts(
                f"too many failed sign-ins; try again in {seconds} s",
                headers={"retry-after": str(seconds)},
            )
        user = (
            await db.execute(
                select(User).where(
                    or_(User.username == data.username, User.email == data.username.lower())
                )
            )
        ).scalar_one_or_none()
        if not await verify_password(user.password_hash if user else None, data.password):
            await gateway.login_throttle.failed(keys)
            raise Unauthorized("invalid username or password")
        assert user is not None
        if not user.enabled:
            raise Unauthorized("the account is disabled")
        await gateway.login_throttle.succeeded(account_key)
        cookie, csrf = new_secret(), new_secret(nbytes=24)
        lifetime = timedelta(hours=gateway.settings.session_hours)
        expires_at = utcnow() + lifetime
        db.add(
            UserSession(
                id=digest(cookie),
                user_id=user.id,
                csrf_token=csrf,
                expires_at=expires_at,
                client_ip=info.client_ip,
                user_agent=(info.header("user-agent") or "")[:1000] or None,
            )
        )
        await db.commit()
        roles = await role_names(db, user.id)
        secure, max_age = _secure(request), int(lifetime.total_seconds())
        return Response(
            LoginResponse(user=user_out(user, roles), csrf_token=csrf, expires_at=expires_at),
            cookies=[
                Cookie(
                    key=SESSION_COOKIE,
                    value=cookie,
                    httponly=True,
                    samesite="lax",
                    secure=secure,
                    path="/",
                    max_age=max_age,
                ),
                # Readable by the UI's script, which echoes it in x-csrf-token.
                Cookie(
                    key=CSRF_COOKIE,
                    value=csrf,
                    httponly=False,
                    samesite="lax",
                    secure=secure,
                    path="/",
                    max_age=max_age,
                ),
            ],
        )

    @post("/logout", status_code=HTTP_204_NO_CONTENT)
    async def logout(
        self, request: Request[Any, Any, Any], caller: CallerDep, db: Db
    ) -> Response[None]:
        """End the current session; the cookie stops working at once, everywhere."""
        cookie = session_cookie(request_info(request))
        if cookie is not None:
            await db.execute(sql_delete(UserSession).where(UserSession.id == digest(cookie)))
            await db.commit()
        response: Response[None] = Response(None, status_code=HTTP_204_NO_CONTENT)
        response.delete_cookie(SESSION_COOKIE, path="/")
        response.delete_cookie(CSRF_COOKIE, path="/")
        return response

    @get("/me")
    async def me(self, caller: CallerDep, db: Db) -> UserOut:
        """The signed-in user, with roles and workspace memberships."""
        user = await _user(db, caller)
        return user_out(user, list(caller.principal.role_names), dict(caller.principal.memberships))

    @post("/password", status_code=HTTP_204_NO_CONTENT)
    async def change_password(
        self,
        data: JSONBody[PasswordChange],
        request: Request[Any, Any, Any],
        state: State,
        caller: CallerDep,
        db: Db,
    ) -> None:
        """Change one's own password; every other session of the account is signed out."""
        user = await _user(db, caller)
        if not await verify_password(user.password_hash, data.current_password):
            raise BadRequest("currentPassword is wrong", param="currentPassword")
        user.password_hash = await hash_password(data.new_password)
        current = session_cookie(request_info(request))
        others = sql_delete(UserSession).where(UserSession.user_id == user.id)
        if current is not None:
            others = others.where(UserSession.id != digest(current))
        await db.execute(others)
        await commit_change(
            db,
            gateway_of(state),
            caller,
            action="user:update",
            resource=user_resource(user),
            after={"password": "changed"},
        )

    @post("/tokens", status_code=201)
    async def create_token(
        self, data: JSONBody[TokenCreate], state: State, caller: CallerDep, db: Db
    ) -> TokenCreated:
        """Create a personal access token; its secret is in this answer only."""
        user = await _user(db, caller)
        secret = new_secret(TOKEN_PREFIX)
        expires_at = (
            utcnow() + timedelta(days=data.expires_in_days) if data.expires_in_days else None
        )
        token = PersonalAccessToken(
            user_id=user.id,
            name=data.name,
            token_hash=digest(secret),
            token_prefix=secret[:TOKEN_PREFIX_SHOWN],
            expires_at=expires_at,
        )
        db.add(token)
        await db.flush()
        created = TokenCreated(
            id=token.id,
            name=token.name,
            token=secret,
            prefix=token.token_prefix,
            expires_at=token.expires_at,
            created_at=token.created_at,
        )
        await commit_change(
            db,
            gateway_of(state),
            caller,
            action="personal-token:create",
            resource=user_resource(user),
            after=_token_out(token),
        )
        return created

    @get("/tokens")
    async def list_tokens(
        self, caller: CallerDep, db: Db, limit: Limit = 50, offset: Offset = 0
    ) -> Page[TokenOut]:
        """The caller's tokens that are not revoked (never their secrets)."""
        mine = (
            PersonalAccessToken.user_id == caller.principal.id,
            PersonalAccessToken.revoked_at.is_(None),
        )
        total = await db.scalar(select(func.count()).select_from(PersonalAccessToken).where(*mine))
        rows = await db.execute(
            select(PersonalAccessToken)
            .where(*mine)
            .order_by(PersonalAccessToken.created_at)
            .limit(limit)
            .offset(offset)
        )
        return Page(
            items=[_token_out(t) for t in rows.scalars()],
            total=total or 0,
            limit=limit,
            offset=offset,
        )

    @delete("/tokens/{token_id:str}", status_code=HTTP_204_NO_CONTENT)
    async def revoke_token(
        self, token_id: FromPath[str], state: State, caller: CallerDep, db: Db
    ) -> None:
        """Revoke one of the caller's tokens; it stops working at once."""
        token = await db.get(PersonalAccessToken, token_id)
        if token is None or token.user_id != caller.principal.id or token.revoked_at is not None:
            raise NotFound(f"personal access token {token_id!r} not found")
        token.revoked_at = utcnow()
        await commit_change(
            db,
            gateway_of(state),
            caller,
            action="personal-token:delete",
            resource=user_resource(caller.principal.email or caller.principal.name),
            before=_token_out(token),
        )


def _token_out(token: PersonalAccessToken) -> TokenOut:
    return TokenOut(
        id=token.id,
        name=token.name,
        prefix=token.token_prefix,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        created_at=token.created_at,
    )
