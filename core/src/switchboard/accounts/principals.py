"""Turning a user row into the :class:`Principal` that authorizers judge.

Loaded once per request, with the roles' statements and the workspace memberships, so
every authorization decision of the request is pure computation.
"""

from __future__ import annotations

from typing import Literal, cast

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.context import Principal
from switchboard.db.models import Role, RoleAssignment, User, Workspace, WorkspaceMember
from switchboard.policy import RoleGrant, Statement

__all__ = ["load_user_principal"]


async def load_user_principal(
    session: AsyncSession, user: User, *, authenticator: str
) -> Principal:
    """The principal of ``user`` with its role grants and workspace memberships."""
    roles = await session.execute(
        select(Role.name, Role.statements)
        .join(RoleAssignment, RoleAssignment.role_id == Role.id)
        .where(RoleAssignment.user_id == user.id)
        .order_by(Role.name)
    )
    grants = tuple(
        RoleGrant(role=name, statements=msgspec.convert(statements, tuple[Statement, ...]))
        for name, statements in roles
    )
    memberships = await session.execute(
        select(Workspace.name, WorkspaceMember.role)
        .join(WorkspaceMember, WorkspaceMember.workspace_id == Workspace.id)
        .where(WorkspaceMember.user_id == user.id)
    )
    return Principal(
        kind="user",
        id=user.id,
        name=user.username,
        email=user.email,
        authenticator=authenticator,
        grants=grants,
        memberships={name: cast(Literal["owner", "member"], role) for name, role in memberships},
    )
