"""Finding objects by id or name (every path parameter accepts either), with clear 404s,
and the policy resource names of each kind of object."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db.models import Base, Environment, Role, RoleAssignment, User, Workspace
from switchboard.errors import Conflict, NotFound

__all__ = [
    "environment_resource",
    "find_environment",
    "find_in_environment",
    "find_role",
    "find_scope",
    "find_user",
    "find_workspace",
    "refuse_taken",
    "role_names",
    "role_resource",
    "user_resource",
    "workspace_resource",
]

M = TypeVar("M", bound=Base)


def workspace_resource(workspace: Workspace | str) -> str:
    """``workspace:<name>``."""
    name = workspace if isinstance(workspace, str) else workspace.name
    return f"workspace:{name}"


def environment_resource(workspace: Workspace | str, environment: Environment | str) -> str:
    """``workspace:<ws>:environment:<env>``."""
    name = environment if isinstance(environment, str) else environment.name
    return f"{workspace_resource(workspace)}:environment:{name}"


def user_resource(user: User | str) -> str:
    """``user:<email>``."""
    return f"user:{user if isinstance(user, str) else user.email}"


def role_resource(role: Role | str) -> str:
    """``role:<name>``."""
    return f"role:{role if isinstance(role, str) else role.name}"


async def _find(
    session: AsyncSession,
    model: type[M],
    key: str,
    names: list[Any],
    what: str,
    *scope: ColumnElement[bool],
    where: str = "",
) -> M:
    id_column: Any = model.id  # type: ignore[attr-defined]
    rows = (
        (
            await session.execute(
                select(model).where(
                    or_(id_column == key, *(column == key for column in names)), *scope
                )
            )
        )
        .scalars()
        .all()
    )
    # An id wins over a name that happens to look like one.
    for row in rows:
        if row.id == key:  # type: ignore[attr-defined]
            return row
    if rows:
        return rows[0]
    raise NotFound(f"{what} {key!r} not found{where}")


async def find_scope(
    session: AsyncSession, workspace_key: str, environment_key: str
) -> tuple[Workspace, Environment]:
    """The workspace and environment of an environment-scoped path (ids or names)."""
    workspace = await find_workspace(session, workspace_key)
    return workspace, await find_environment(session, workspace, environment_key)


async def find_in_environment(
    session: AsyncSession, model: type[M], environment: Environment, key: str, what: str
) -> M:
    """The ``model`` row of ``environment`` with id or name ``key`` (404 naming ``what``)."""
    column: Any = model
    return await _find(
        session,
        model,
        key,
        [column.name],
        what,
        column.environment_id == environment.id,
        where=f" in environment {environment.name!r}",
    )


async def refuse_taken(
    session: AsyncSession, model: type[Base], name: str, message: str, *scope: ColumnElement[bool]
) -> None:
    """409 naming ``name`` when a ``model`` row of that name exists in ``scope``."""
    column: Any = model
    if await session.scalar(select(column.id).where(column.name == name, *scope)):
        raise Conflict(message, param="name")


async def find_workspace(session: AsyncSession, key: str) -> Workspace:
    """The workspace with id or name ``key``."""
    return await _find(session, Workspace, key, [Workspace.name], "workspace")


async def find_environment(session: AsyncSession, workspace: Workspace, key: str) -> Environment:
    """The environment of ``workspace`` with id or name ``key``."""
    return await _find(
        session,
        Environment,
        key,
        [Environment.name],
        f"environment in workspace {workspace.name!r}:",
        Environment.workspace_id == workspace.id,
    )


async def find_user(session: AsyncSession, key: str) -> User:
    """The user with id, username or email ``key``."""
    return await _find(session, User, key, [User.username, User.email], "user")


async def find_role(session: AsyncSession, key: str) -> Role:
    """The role with id or name ``key``."""
    return await _find(session, Role, key, [Role.name], "role")


async def role_names(session: AsyncSession, user_id: str) -> list[str]:
    """Names of the roles ``user_id`` holds, sorted."""
    rows = await session.execute(
        select(Role.name)
        .join(RoleAssignment, RoleAssignment.role_id == Role.id)
        .where(RoleAssignment.user_id == user_id)
        .order_by(Role.name)
    )
    return [name for (name,) in rows]
