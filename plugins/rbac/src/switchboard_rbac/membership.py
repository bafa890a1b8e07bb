"""The seed's workspace rule, on top of roles.

A user acts inside a workspace only as its owner or member, and only an owner may delete the
workspace or manage its members; holders of the ``admin`` role are exempt. The rule can only
*deny*: what a member may do inside the workspace is still the roles' decision.
"""

from __future__ import annotations

from switchboard.context import Principal
from switchboard.interfaces import Decision
from switchboard.roles_default import ADMIN_ROLE

__all__ = ["OWNER_ACTIONS", "check_membership", "workspace_of"]

OWNER_ACTIONS: frozenset[str] = frozenset(
    {"workspace:delete", "workspace:assign", "workspace:unassign", "workspace:update-member-role"}
)
"""Actions on a workspace that only its owners may perform."""

# Creating a workspace makes the creator its owner: there is no membership to check yet.
_UNCHECKED_ACTIONS: frozenset[str] = frozenset({"workspace:create"})


def workspace_of(resource: str) -> str | None:
    """The workspace a resource lies in (``acme`` for ``workspace:acme:...``), or ``None``."""
    kind, separator, rest = resource.partition(":")
    if kind != "workspace" or not separator:
        return None
    # Also for malformed names below a workspace: the rule only denies, so applying it to
    # a name that merely starts like a workspace can refuse more, never grant more.
    return rest.partition(":")[0]


def check_membership(principal: Principal, action: str, resource: str) -> Decision | None:
    """DENY a user acting in a workspace they do not belong to, or a member doing an owner's
    action; ``None`` otherwise (not a user, outside workspaces, admin, or allowed to go on).
    """
    if principal.kind != "user":
        return None
    workspace = workspace_of(resource)
    if workspace is None or action in _UNCHECKED_ACTIONS:
        return None
    if ADMIN_ROLE in principal.role_names:
        return None
    membership = principal.memberships.get(workspace)
    if membership is None:
        return Decision(
            effect="DENY",
            reason=f"{principal.name} is not a member of workspace {workspace}",
        )
    if action in OWNER_ACTIONS and membership != "owner":
        return Decision(
            effect="DENY",
            reason=f"only an owner of workspace {workspace} may {action}",
        )
    return None
