"""Request and response bodies of the identity endpoints (auth, users, roles)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from switchboard.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from switchboard.api.shapes import ApiShape, Description, Email, Name
from switchboard.db.models import User

__all__ = [
    "LoginRequest",
    "LoginResponse",
    "PasswordChange",
    "PasswordSet",
    "RoleCreate",
    "RoleOut",
    "RoleUpdate",
    "TokenCreate",
    "TokenCreated",
    "TokenOut",
    "UserCreate",
    "UserOut",
    "UserUpdate",
    "user_out",
]

Password = Annotated[
    str,
    msgspec.Meta(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        description=f"At least {MIN_PASSWORD_LENGTH} characters.",
    ),
]


class LoginRequest(ApiShape):
    """``username`` is the username or the email address."""

    username: Annotated[str, msgspec.Meta(min_length=1, max_length=320)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_PASSWORD_LENGTH)]


class UserOut(ApiShape):
    """A user as the API shows it (never the password hash)."""

    id: str
    username: str
    email: str
    display_name: str
    enabled: bool
    roles: list[str]
    created_at: datetime
    updated_at: datetime
    memberships: dict[str, str] | None = None


class LoginResponse(ApiShape):
    """The signed-in user and the CSRF token to send as ``x-csrf-token`` on writes."""

    user: UserOut
    csrf_token: str
    expires_at: datetime


class PasswordChange(ApiShape):
    """Change one's own password."""

    current_password: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_PASSWORD_LENGTH)]
    new_password: Password


class PasswordSet(ApiShape):
    """Set another user's password (``user:update``)."""

    password: Password


class TokenCreate(ApiShape):
    """A personal access token; without ``expiresInDays`` it lasts until revoked."""

    name: Name
    expires_in_days: Annotated[int, msgspec.Meta(ge=1, le=3650)] | None = None


class TokenOut(ApiShape):
    """A personal access token as listed: never the secret."""

    id: str
    name: str
    prefix: str
    expires_at: datetime | None
    last_used_at: datetime | None
    created_at: datetime


class TokenCreated(ApiShape):
    """The new token; ``token`` is shown only in this answer."""

    id: str
    name: str
    token: str
    prefix: str
    expires_at: datetime | None
    created_at: datetime


class UserCreate(ApiShape):
    """A new local account; without ``password`` it cannot sign in until one is set."""

    username: Name
    email: Email
    display_name: Annotated[str, msgspec.Meta(max_length=255)] = ""
    password: Password | None = None
    enabled: bool = True
    roles: list[Name] = msgspec.field(default_factory=list)


class UserUpdate(ApiShape):
    """Fields to change; absent fields stay as they are."""

    email: Email | msgspec.UnsetType = msgspec.UNSET
    display_name: Annotated[str, msgspec.Meta(max_length=255)] | msgspec.UnsetType = msgspec.UNSET
    enabled: bool | msgspec.UnsetType = msgspec.UNSET


class RoleOut(ApiShape):
    """A role and its policy statements."""

    id: str
    name: str
    description: str
    statements: list[dict[str, Any]]
    builtin: bool
    created_at: datetime
    updated_at: datetime


class RoleCreate(ApiShape):
    """A custom role. ``statements`` are validated with their index and field named."""

    name: Name
    description: Description = ""
    statements: list[Any] = msgspec.field(default_factory=list)


class RoleUpdate(ApiShape):
    """Fields to change; absent fields stay as they are."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    statements: list[Any] | msgspec.UnsetType = msgspec.UNSET


def user_out(user: User, roles: list[str], memberships: dict[str, str] | None = None) -> UserOut:
    """The API view of ``user``."""
    return UserOut(
        id=user.id,
        username=user.username,
        email=user.email,
        display_name=user.display_name,
        enabled=user.enabled,
        roles=sorted(roles),
        created_at=user.created_at,
        updated_at=user.updated_at,
        memberships=memberships,
    )
