"""``/api/v1/workspaces`` and their members.

A workspace is the policy resource ``workspace:<name>``. Besides roles, the seed's
membership rule holds (enforced by the rbac plugin's membership authorizer): a user acts in
a workspace only as its owner or member (admins aside), and only an owner may delete it or
manage its members. The creator becomes its first owner; it always keeps at least one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, cast

from litestar import Controller, delete, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, Parameter
from litestar.status_codes import HTTP_204_NO_CONTENT
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from switchboard.api.audit_log import commit_change
from switchboard.api.deps import CallerDep, Db, Limit, Offset, gateway_of
from switchboard.api.lookup import (
    find_user,
    find_workspace,
    refuse_taken,
    workspace_resource,
)
from switchboard.api.shapes import ApiShape, Description, Name, Page, paginate
from switchboard.db.models import Environment, User, Workspace, WorkspaceMember
from switchboard.errors import BadRequest, Conflict, NotFound

__all__ = ["MembersController", "WorkspacesController"]

MemberRole = Literal["owner", "member"]
Force = Annotated[
    bool, Parameter(description="Delete even when it still holds environments or objects.")
]


class WorkspaceOut(ApiShape):
    """A workspace; ``role`` is the caller's membership, if any."""

    id: str
    name: str
    description: str
    created_at: datetime
    updated_at: datetime
    role: MemberRole | None = None


class WorkspaceCreate(ApiShape):
    """A new workspace; the caller becomes its owner."""

    name: Name
    description: Description = ""


class WorkspaceUpdate(ApiShape):
    """Fields to change; absent fields stay as they are."""

    name: Name | None = None
    description: Description | None = None


class MemberOut(ApiShape):
    """A member of a workspace."""

    user_id: str
    username: str
    email: str
    role: MemberRole
    created_at: datetime


class MemberAdd(ApiShape):
    """Add ``user`` (id, username or email) as ``owner`` or ``member``."""

    user: str
    role: MemberRole = "member"


class MemberUpdate(ApiShape):
    """Change a member's role."""

    role: MemberRole


def _workspace_out(workspace: Workspace, caller: CallerDep) -> WorkspaceOut:
    return WorkspaceOut(
        id=workspace.id,
        name=workspace.name,
        description=workspace.description,
        created_at=workspace.created_at,
        updated_at=workspace.updated_at,
        role=caller.principal.memberships.get(workspace.name),
    )


class WorkspacesController(Controller):
    """Workspaces: the top-level tenancy."""

    path = "/workspaces"
    tags = ["workspaces"]

    @get()
    async def list_workspaces(
        self, caller: CallerDep, db: Db, limit: Limit = 50, offset: Offset = 0
    ) -> Page[WorkspaceOut]:
        """The workspaces the caller may list: members see theirs, admins see all."""
        rows = (await db.execute(select(Workspace).order_by(Workspace.name))).scalars().all()
        visible = [
            _workspace_out(w, caller)
            for w in rows
            if await caller.may("workspace:list", workspace_resource(w))
        ]
        return paginate(visible, limit, offset)

    @post()
    async def create_workspace(
        self, data: JSONBody[WorkspaceCreate], state: State, caller: CallerDep, db: Db
    ) -> WorkspaceOut:
        """Create a workspace (``workspace:create``); the caller becomes its owner."""
        await caller.require("workspace:create", workspace_resource(data.name))
        await refuse_taken(
            db, Workspace, data.name, f"a workspace named {data.name!r} already exists"
        )
        workspace = Workspace(name=data.name, description=data.description)
        db.add(workspace)
        try:
            await db.flush()
        except IntegrityError:
            raise Conflict(
                f"a workspace named {data.name!r} already exists", param="name"
            ) from None
        if caller.principal.kind == "user":
            db.add(
                WorkspaceMember(
                    workspace_id=workspace.id, user_id=caller.principal.id, role="owner"
                )
            )
        created = _workspace_out(workspace, caller)
        created.role = "owner" if caller.principal.kind == "user" else None
        await commit_change(
            db,
            gateway_of(state),
            caller,
            action="workspace:create",
            resource=workspace_resource(workspace),
            after=created,
            workspace_id=workspace.id,
        )
        return created

    @get("/{workspace_key:str}")
    async def get_workspace(
        self, workspace_key: FromPath[str], caller: CallerDep, db: Db
    ) -> WorkspaceOut:
        """One workspace by id or name (``workspace:get``)."""
        workspace = await find_workspace(db, workspace_key)
        await caller.require("workspace:get", workspace_resource(workspace))
        return _workspace_out(workspace, caller)

    @patch("/{workspace_key:str}")
    async def update_workspace(
        self,
        workspace_key: FromPath[str],
        data: JSONBody[WorkspaceUpdate],
        state: State,
        caller: CallerDep,
        db: Db,
    ) -> WorkspaceOut:
        """Rename or describe a workspace (``workspace:update``)."""
        workspace = await find_workspace(db, workspace_key)
        await caller.require("workspace:update", workspace_resource(workspace))
        before = _workspace_out(workspace, caller)
        if data.name is not None and data.name != workspace.name:
            await refuse_taken(
                db, Workspace, data.name, f"a workspace named {data.name!r} already exists"
            )
            workspace.name = data.name
        if data.description is not None:
            workspace.description = data.description
        await db.flush()
        after = _workspace_out(workspace, caller)
        after.role = before.role
        await commit_change(
            db,
            gateway_of(state),
            caller,
            action="workspace:update",
            resource=workspace_resource(before.name),
            before=before,
            after=after,
            workspace_id=workspace.id,
        )
        return after

    @delete("/{workspace_key:str}", status_code=HTTP_204_NO_CONTENT)
    async def delete_workspace(
        self,
        workspace_key: FromPath[str],
        state: State,
        caller: CallerDep,
        db: Db,
        force: Force = False,
    ) -> None:
        """Delete a workspace (``workspace:delete``: an owner or an admin).

        One that still has environments needs ``?force=true``; everything in it goes too.
        """
        workspace = await find_workspace(db, workspace_key)
        await caller.require("workspace:delete", workspace_resource(workspace))
        environments = await db.scalar(
            select(func.count())
            .select_from(Environment)
            .where(Environment.workspace_id == workspace.id)
        )
        if environments and not force:
            raise Conflict(
                f"workspace {workspace.name!r} still has {environments} environment(s); "
                "delete them first or pass ?force=true",
                param="force",
            )
        before = _workspace_out(workspace, caller)
        await db.delete(workspace)
        await commit_change(
            db,
            gateway_of(state),
            caller,
            action="workspace:delete",
            resource=workspace_resource(before.name),
            before=before,
            workspace_id=before.id,
        )


def _member_out(user: User, member: WorkspaceMember) -> MemberOut:
    return MemberOut(
        user_id=user.id,
        username=user.username,
        email=user.email,
        role=cast(MemberRole, member.role),
        created_at=member.created_at,
    )


async def _members(db: Db, workspace: Workspace) -> list[MemberOut]:
    rows = await db.execute(
        select(WorkspaceMember, User)
        .join(User, User.id == WorkspaceMember.user_id)
        .where(WorkspaceMember.workspace_id == workspace.id)
        .order_by(User.username)
    )
    return [_member_out(user, member) for member, user in rows]


async def _membership(db: Db, workspace: Workspace, user: User) -> WorkspaceMember:
    member = (
        await db.execute(
            select(WorkspaceMember).where(
                WorkspaceMember.workspace_id == workspace.id, WorkspaceMember.user_id == user.id
            )
        )
    ).scalar_one_or_none()
    if member is None:
        raise NotFound(f"{user.username!r} is not a member of workspace {workspace.name!r}")
    return member


async def _refuse_last_owner(db: Db, workspace: Workspace, member: WorkspaceMember) -> None:
    if member.role != "owner":
        return
    owners = await db.scalar(
        select(func.count())
        .select_from(WorkspaceMember)
        .where(WorkspaceMember.workspace_id == workspace.id, WorkspaceMember.role == "owner")
    )
    if (owners or 0) <= 1:
        raise Conflict(
            f"workspace {workspace.name!r} must keep an owner: make someone else an owner first"
        )


class MembersController(Controller):
    """Members of a workspace: owners and members."""

    path = "/workspaces/{workspace_key:str}/members"
    tags = ["workspaces"]

    @get()
    async def list_members(
        self, workspace_key: FromPath[str], caller: CallerDep, db: Db
    ) -> list[MemberOut]:
        """Owners and members (``workspace:get-members``)."""
        workspace = await find_workspace(db, workspace_key)
        await caller.require("workspace:get-members", workspace_resource(workspace))
        return await _members(db, workspace)

    @post()
    async def add_member(
        self,
        workspace_key: FromPath[str],
        data: JSONBody[MemberAdd],
        state: State,
        caller: CallerDep,
        db: Db,
    ) -> MemberOut:
        """Add a member (``workspace:assign``: owners and admins)."""
        workspace = await find_workspace(db, workspace_key)
        await caller.require("workspace:assign", workspace_resource(workspace))
        try:
            user = await find_user(db, data.user)
        except NotFound as exc:
            raise BadRequest(exc.message, param="user") from None
        if await db.scalar(
            select(WorkspaceMember.id).where(
                WorkspaceMember.workspace_id == workspace.id, WorkspaceMember.user_id == user.id
            )
        ):
            raise Conflict(f"{user.username!r} is already a member of {workspace.name!r}")
        member = WorkspaceMember(workspace_id=workspace.id, user_id=user.id, role=data.role)
        db.add(member)
        await db.flush()
        added = _member_out(user, member)
        await commit_change(
            db,
            gateway_of(state),
            caller,
            action="workspace:assign",
            resource=workspace_resource(workspace),
            after=added,
            workspace_id=workspace.id,
        )
        return added

    @patch("/{user_key:str}")
    async def change_member_role(
        self,
        workspace_key: FromPath[str],
        user_key: FromPath[str],
        data: JSONBody[MemberUpdate],
        state: State,
        caller: CallerDep,
        db: Db,
    ) -> MemberOut:
        """Make a member an owner or back (``workspace:update-member-role``)."""
        workspace = await find_workspace(db, workspace_key)
        await caller.require("workspace:update-member-role", workspace_resource(workspace))
        user = await find_user(db, user_key)
        member = await _membership(db, workspace, user)
        if data.role != "owner":
            await _refuse_last_owner(db, workspace, member)
        before = _member_out(user, member)
        member.role = data.role
        after = _member_out(user, member)
        await commit_change(
            db,
            gateway_of(state),
            caller,
            action="workspace:update-member-role",
            resource=workspace_resource(workspace),
            before=before,
            after=after,
            workspace_id=workspace.id,
        )
        return after

    @delete("/{user_key:str}", status_code=HTTP_204_NO_CONTENT)
    async def remove_member(
        self,
        workspace_key: FromPath[str],
        user_key: FromPath[str],
        state: State,
        caller: CallerDep,
        db: Db,
    ) -> None:
        """Remove a member (``workspace:unassign``); never the last owner (409)."""
        workspace = await find_workspace(db, workspace_key)
        await caller.require("workspace:unassign", workspace_resource(workspace))
        user = await find_user(db, user_key)
        member = await _membership(db, workspace, user)
        await _refuse_last_owner(db, workspace, member)
        before = _member_out(user, member)
        await db.delete(member)
        await commit_change(
            db,
            gateway_of(state),
            caller,
            action="workspace:unassign",
            resource=workspace_resource(workspace),
            before=before,
            workspace_id=workspace.id,
        )
