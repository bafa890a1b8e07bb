"""``/api/v1/roles`` and ``/api/v1/policies/simulate``: roles, their policies, what-if."""

from __future__ import annotations

from typing import Literal

from litestar import Controller, delete, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from switchboard.accounts.principals import load_user_principal
from switchboard.api.audit_log import commit_change
from switchboard.api.deps import CallerDep, Db, Limit, Offset, gateway_of
from switchboard.api.lookup import (
    find_role,
    find_user,
    refuse_taken,
    role_resource,
    user_resource,
)
from switchboard.api.shapes import ApiShape, Page, paginate
from switchboard.api.users_shapes import RoleCreate, RoleOut, RoleUpdate
from switchboard.authorization import CORE_ACTIONS, authorize
from switchboard.db.models import Role, RoleAssignment, User
from switchboard.errors import BadRequest, Conflict
from switchboard.policy import PolicyError, Statement, StatementRef, parse_statements
from switchboard.state import Gateway

__all__ = ["PoliciesController", "RolesController"]


class RoleMember(ApiShape):
    """A user holding a role."""

    id: str
    username: str
    email: str


class SimulateRequest(ApiShape):
    """May ``user`` (id, username or email) do ``action`` on ``resource``?"""

    user: str
    action: str
    resource: str


class SimulateResponse(ApiShape):
    """The answer, the statement that decided (``null`` for default deny or a non-statement
    rule such as workspace membership), and why."""

    decision: Literal["ALLOW", "DENY"]
    statement: StatementRef | None
    reason: str


def _role_out(role: Role) -> RoleOut:
    return RoleOut(
        id=role.id,
        name=role.name,
        description=role.description,
        statements=role.statements,
        builtin=role.builtin,
        created_at=role.created_at,
        updated_at=role.updated_at,
    )


def _validated(gateway: Gateway, raw: list[object]) -> list[dict[str, object]]:
    """Statements checked for shape and for actions nobody defines (typos)."""
    try:
        statements = parse_statements(raw)
    except PolicyError as exc:
        raise BadRequest(str(exc), param=exc.param) from None
    known = {spec.name for spec in CORE_ACTIONS}
    known.update(r.obj.name for r in gateway.plugins.hooks.register_actions())
    for index, statement in enumerate(statements):
        for position, action in enumerate(statement.actions):
            if "*" not in action and "?" not in action and action not in known:
                where = f"statements[{index}].actions[{position}]"
                raise BadRequest(f"{where}: unknown action {action!r}", param=where)
    return [_plain(s) for s in statements]


def _plain(statement: Statement) -> dict[str, object]:
    return {
        "effect": statement.effect,
        "actions": list(statement.actions),
        "resources": list(statement.resources),
    }


def _refuse_builtin(role: Role, what: str) -> None:
    if role.builtin:
        raise Conflict(f"{role.name!r} is a built-in role and cannot be {what}; copy it instead")


class RolesController(Controller):
    """Roles; each is the policy resource ``role:<name>``."""

    path = "/roles"
    tags = ["roles"]

    @get()
    async def list_roles(
        self, caller: CallerDep, db: Db, limit: Limit = 50, offset: Offset = 0
    ) -> Page[RoleOut]:
        """The roles the caller may list (``role:list``), by name."""
        roles = (await db.execute(select(Role).order_by(Role.name))).scalars().all()
        visible = [_role_out(r) for r in roles if await caller.may("role:list", role_resource(r))]
        return paginate(visible, limit, offset)

    @post()
    async def create_role(
        self, data: JSONBody[RoleCreate], state: State, caller: CallerDep, db: Db
    ) -> RoleOut:
        """Create a custom role (``role:create``); malformed statements get a 400 naming them."""
        await caller.require("role:create", role_resource(data.name))
        statements = _validated(gateway_of(state), data.statements)
        await refuse_taken(db, Role, data.name, f"a role named {data.name!r} already exists")
        role = Role(name=data.name, description=data.description, statements=statements)
        db.add(role)
        try:
            await db.flush()
        except IntegrityError:
            raise Conflict(f"a role named {data.name!r} already exists", param="name") from None
        created = _role_out(role)
        await commit_change(
            db,
            gateway_of(state),
            caller,
            action="role:create",
            resource=role_resource(role),
            after=created,
        )
        return created

    @get("/{role_key:str}")
    async def get_role(self, role_key: FromPath[str], caller: CallerDep, db: Db) -> RoleOut:
        """One role by id or name (``role:get``)."""
        role = await find_role(db, role_key)
        await caller.require("role:get", role_resource(role))
        return _role_out(role)

    @patch("/{role_key:str}")
    async def update_role(
        self,
        role_key: FromPath[str],
        data: JSONBody[RoleUpdate],
        state: State,
        caller: CallerDep,
        db: Db,
    ) -> RoleOut:
        """Change a custom role (``role:update``); built-in roles are fixed (409)."""
        role = await find_role(db, role_key)
        await caller.require("role:update", role_resource(role))
        _refuse_builtin(role, "changed")
        before = _role_out(role)
        if isinstance(data.name, str) and data.name != role.name:
            await caller.require("role:create", role_resource(data.name))
            await refuse_taken(db, Role, data.name, f"a role named {data.name!r} already exists")
            role.name = data.name
        if isinstance(data.description, str):
            role.description = data.description
        if isinstance(data.statements, list):
            role.statements = _validated(gateway_of(state), data.statements)
        await db.flush()
        after = _role_out(role)
        await commit_change(
            db,
            gateway_of(state),
            caller,
            action="role:update",
            resource=role_resource(before.name),
            before=before,
            after=after,
        )
        return after

    @delete("/{role_key:str}", status_code=HTTP_204_NO_CONTENT)
    async def delete_role(
        self, role_key: FromPath[str], state: State, caller: CallerDep, db: Db
    ) -> None:
        """Delete a custom role (``role:delete``); its holders lose it."""
        role = await find_role(db, role_key)
        await caller.require("role:delete", role_resource(role))
        _refuse_builtin(role, "deleted")
        before = _role_out(role)
        await db.delete(role)
        await commit_change(
            db,
            gateway_of(state),
            caller,
            action="role:delete",
            resource=role_resource(before.name),
            before=before,
        )

    @get("/{role_key:str}/members")
    async def role_members(
        self, role_key: FromPath[str], caller: CallerDep, db: Db
    ) -> list[RoleMember]:
        """The users holding a role (``role:get-members``)."""
        role = await find_role(db, role_key)
        await caller.require("role:get-members", role_resource(role))
        rows = await db.execute(
            select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.role_id == role.id)
            .order_by(User.username)
        )
        return [RoleMember(id=u.id, username=u.username, email=u.email) for u in rows.scalars()]


class PoliciesController(Controller):
    """The policy simulator."""

    path = "/policies"
    tags = ["roles"]

    @post("/simulate", status_code=HTTP_200_OK)
    async def simulate(
        self, data: JSONBody[SimulateRequest], caller: CallerDep, db: Db
    ) -> SimulateResponse:
        """Answer whether a user may do an action on a resource, and which statement decided
        (``policy:simulate`` on the user). Nothing is changed."""
        user = await find_user(db, data.user)
        await caller.require("policy:simulate", user_resource(user))
        subject = await load_user_principal(db, user, authenticator="simulator")
        decision = await authorize(caller.authorizers, subject, data.action, data.resource)
        return SimulateResponse(
            decision=decision.effect, statement=decision.statement, reason=decision.reason
        )
