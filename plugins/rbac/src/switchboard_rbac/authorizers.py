"""The plugin's two authorizers: role statements, and the workspace membership rule.

They are separate so each answers for one rule (the policy simulator shows which), and so a
deployment can keep one and replace the other. Neither does I/O: the authenticator loaded the
principal's grants and memberships.
"""

from __future__ import annotations

from typing import ClassVar

from switchboard.context import Principal
from switchboard.interfaces import Authorizer, Decision
from switchboard_rbac.engine import evaluate
from switchboard_rbac.membership import check_membership

__all__ = ["MembershipAuthorizer", "RoleAuthorizer"]


class RoleAuthorizer(Authorizer):
    """Evaluates a user's role statements: DENY wins, ALLOW grants, else no opinion.

    API keys get ``None``: the data plane authorizes them by the resources assigned to them,
    not by roles.
    """

    name: ClassVar[str] = "rbac-roles"

    async def authorize(self, principal: Principal, action: str, resource: str) -> Decision | None:
        if principal.kind != "user":
            return None
        return evaluate(principal.grants, action, resource)


class MembershipAuthorizer(Authorizer):
    """Denies users acting in workspaces they do not belong to, and members doing an owner's
    actions (see :mod:`switchboard_rbac.membership`); otherwise no opinion."""

    name: ClassVar[str] = "rbac-membership"

    async def authorize(self, principal: Principal, action: str, resource: str) -> Decision | None:
        return check_membership(principal, action, resource)
