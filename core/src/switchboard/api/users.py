"""``/api/v1/users``: local accounts, their passwords and the roles they hold."""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post, put
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT
from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from switchboard.accounts.passwords import hash_password
from switchboard.api.audit_log import commit_change
from switchboard.api.deps import CallerDep, Db, Limit, Offset, gateway_of
from switchboard.api.lookup import find_role, find_user, role_names, role_resource, user_resource
from switchboard.api.shapes import Page, paginate
from switchboard.api.users_shapes import PasswordSet, UserCreate, UserOut, UserUpdate, user_out
from switchboard.db.models import (
    Role,
    RoleAssignment,
    User,
    UserSession,
    Workspace,
    WorkspaceMember,
)
from switchboard.errors import Conflict
from switchboard.roles_default import ADMIN_ROLE

__all__ = ["UsersController"]


class UsersController(Controller):
    """Users; each is the policy resource ``user:<email>``."""

    path = "/users"
    tags = ["users"]

    @get()
    async def list_users(
        self, caller: CallerDep, db: Db, limit: Limit = 50, offset: Offset = 0
    ) -> Page[UserOut]:
        """The users the caller may list (``user:list``), by username."""
        users = (await db.execute(select(User).order_by(User.username))).scalars().all()
        visible = [u for u in users if await caller.may("user:list", user_resource(u))]
        page = paginate(visible, limit, offset)
        roles = await _roles_of(db, [u.id for u in page.items])
        return Page(
            items=[user_out(u, roles.get(u.id, [])) for u in page.items],
            total=page.total,
            limit=limit,
            offset=offset,
        )

    @post()
    async def create_user(
        self, data: JSONBody[UserCreate], state: State, caller: CallerDep, db: Db
    ) -> UserOut:
        """Create a local account (``user:create``; ``role:assign`` for each role given)."""
        email = data.email.lower()
        await caller.require("user:create", user_resource(email))
        roles = [await find_role(db, name) for name in dict.fromkeys(data.roles)]
        for role in roles:
            await caller.require("role:assign", role_resource(role))
        await _refuse_taken(db, username=data.username, email=email)
        user = User(
            username=data.username,
            email=email,
            display_name=data.display_name,
            password_hash=await hash_password(data.password) if data.password else None,
            enabled=data.enabled,
        )
        db.add(user)
        await _flush_or_conflict(db, data.username, email)
        for role in roles:
            db.add(RoleAssignment(user_id=user.id, role_id=role.id))
        created = user_out(user, [r.name for r in roles])
        await commit_change(
            db,
            gateway_of(state),
            caller,
            action="user:create",
            resource=user_resource(user),
            after=created,
        )
        return created

    @get("/{user_key:str}")
    async def get_user(self, user_key: FromPath[str], caller: CallerDep, db: Db) -> UserOut:
        """One user by id, username or email (``user:get``)."""
        user = await find_user(db, user_key)
        await caller.require("user:get", user_resource(user))
        return user_out(user, await role_names(db, user.id))

    @patch("/{user_key:str}")
    async def update_user(
        self,
        user_key: FromPath[str],
        data: JSONBody[UserUpdate],
        state: State,
        caller: CallerDep,
        db: Db,
    ) -> UserOut:
        """Change email, display name or enabled (``user:update``).

        Disabling signs the user out everywhere; the last enabled admin cannot be disabled.
        """
        user = await find_user(db, user_key)
        await caller.require("user:update", user_resource(user))
        roles = await role_names(db, user.id)
        before = user_out(user, roles)
        if isinstance(data.email, str) and data.email.lower() != user.email:
            await _refuse_taken(db, email=data.email.lower())
            user.email = data.email.lower()
        if isinstance(data.display_name, str):
            user.display_name = data.display_name
        if isinstance(data.enabled, bool) and data.enabled != user.enabled:
            if not data.enabled:
                await _refuse_last_admin(db, user, "disabled")
                await db.execute(sql_delete(UserSession).where(UserSession.user_id == user.id))
            user.enabled = data.enabled
        await _flush_or_conflict(db, user.username, user.email)
        after = user_out(user, roles)
        await commit_change(
            db,
            gateway_of(state),
            caller,
            action="user:update",
            resource=user_resource(user),
            before=before,
            after=after,
        )
        return after

    @delete("/{user_key:str}", status_code=HTTP_204_NO_CONTENT)
    async def delete_user(
        self, user_key: FromPath[str], state: State, caller: CallerDep, db: Db
    ) -> None:
        """Delete a user (``user:delete``); not the last admin nor a workspace's last owner."""
        user = await find_user(db, user_key)
        await caller.require("user:delete", user_resource(user))
        await _refuse_last_admin(db, user, "deleted")
        await _refuse_last_owner(db, user)
        before = user_out(user, await role_names(db, user.id))
        await db.delete(user)
        await commit_change(
            db,
            gateway_of(state),
            caller,
            action="user:delete",
            resource=user_resource(before.email),
            before=before,
        )

    @put("/{user_key:str}/password", status_code=HTTP_204_NO_CONTENT)
    async def set_password(
        self,
        user_key: FromPath[str],
        data: JSONBody[PasswordSet],
        state: State,
        caller: CallerDep,
        db: Db,
    ) -> None:
        """Set a user's password (``user:update``) and sign them out everywhere."""
        user = await find_user(db, user_key)
        await caller.require("user:update", user_resource(user))
        user.password_hash = await hash_password(data.password)
        await db.execute(sql_delete(UserSession).where(UserSession.user_id == user.id))
        await commit_change(
            db,
            gateway_of(state),
            caller,
            action="user:update",
            resource=user_resource(user),
            after={"password": "set"},
        )

    @get("/{user_key:str}/roles")
    async def list_user_roles(
        self, user_key: FromPath[str], caller: CallerDep, db: Db
    ) -> list[str]:
        """Names of the roles a user holds (``user:get``)."""
        user = await find_user(db, user_key)
        await caller.require("user:get", user_resource(user))
        return await role_names(db, user.id)

    @put("/{user_key:str}/roles/{role_key:str}", status_code=HTTP_204_NO_CONTENT)
    async def assign_role(
        self,
        user_key: FromPath[str],
        role_key: FromPath[str],
        state: State,
        caller: CallerDep,
        db: Db,
    ) -> None:
        """Give a user a role (``role:assign`` on the role); assigning twice changes nothing."""
        user, role = await find_user(db, user_key), await find_role(db, role_key)
        await caller.require("role:assign", role_resource(role))
        if await _assignment(db, user, role) is not None:
            return
        db.add(RoleAssignment(user_id=user.id, role_id=role.id))
        await commit_change(
            db,
            gateway_of(state),
            caller,
            action="role:assign",
            resource=role_resource(role),
            after={"user": user.username, "role": role.name},
        )

    @delete("/{user_key:str}/roles/{role_key:str}", status_code=HTTP_204_NO_CONTENT)
    async def unassign_role(
        self,
        user_key: FromPath[str],
        role_key: FromPath[str],
        state: State,
        caller: CallerDep,
        db: Db,
    ) -> None:
        """Take a role from a user (``role:unassign``); not the last admin's admin role."""
        user, role = await find_user(db, user_key), await find_role(db, role_key)
        await caller.require("role:unassign", role_resource(role))
        assignment = await _assignment(db, user, role)
        if assignment is None:
            return
        if role.name == ADMIN_ROLE:
            await _refuse_last_admin(db, user, "left without the admin role")
        await db.delete(assignment)
        await commit_change(
            db,
            gateway_of(state),
            caller,
            action="role:unassign",
            resource=role_resource(role),
            before={"user": user.username, "role": role.name},
        )


async def _roles_of(db: Db, user_ids: list[str]) -> dict[str, list[str]]:
    rows = await db.execute(
        select(RoleAssignment.user_id, Role.name)
        .join(Role, Role.id == RoleAssignment.role_id)
        .where(RoleAssignment.user_id.in_(user_ids))
    )
    found: dict[str, list[str]] = {}
    for user_id, name in rows:
        found.setdefault(user_id, []).append(name)
    return found


async def _assignment(db: Db, user: User, role: Role) -> RoleAssignment | None:
    return (
        await db.execute(
            select(RoleAssignment).where(
                RoleAssignment.user_id == user.id, RoleAssignment.role_id == role.id
            )
        )
    ).scalar_one_or_none()


async def _refuse_taken(db: Db, *, username: str | None = None, email: str | None = None) -> None:
    if username is not None and await db.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"a user named {username!r} already exists", param="username")
    if email is not None and await db.scalar(select(User.id).where(User.email == email)):
        raise Conflict(f"a user with email {email!r} already exists", param="email")


async def _flush_or_conflict(db: Db, username: str, email: str) -> None:
    # The checks above race with concurrent requests; the unique constraints decide.
    try:
        await db.flush()
    except IntegrityError:
        await db.rollback()
        raise Conflict(f"username {username!r} or email {email!r} is already taken") from None


async def _refuse_last_admin(db: Db, user: User, what: str) -> None:
    admins = await db.scalar(
        select(func.count())
        .select_from(RoleAssignment)
        .join(Role, Role.id == RoleAssignment.role_id)
        .join(User, User.id == RoleAssignment.user_id)
        .where(Role.name == ADMIN_ROLE, User.enabled.is_(True), User.id != user.id)
    )
    holds_admin = ADMIN_ROLE in await role_names(db, user.id)
    if holds_admin and user.enabled and not admins:
        raise Conflict(f"{user.username!r} is the last enabled admin and cannot be {what}")


async def _refuse_last_owner(db: Db, user: User) -> None:
    owned = await db.execute(
        select(Workspace.name)
        .join(WorkspaceMember, WorkspaceMember.workspace_id == Workspace.id)
        .where(WorkspaceMember.user_id == user.id, WorkspaceMember.role == "owner")
    )
    for (workspace,) in owned:
        others = await db.scalar(
            select(func.count())
            .select_from(WorkspaceMember)
            .join(Workspace, Workspace.id == WorkspaceMember.workspace_id)
            .where(
                Workspace.name == workspace,
                WorkspaceMember.role == "owner",
                WorkspaceMember.user_id != user.id,
            )
        )
        if not others:
            raise Conflict(
                f"{user.username!r} is the last owner of workspace {workspace!r}: "
                "make someone else an owner first"
            )
