"""Role-based access control: role statements (DENY wins) and workspace membership.

Registers two authorizers, ``rbac-roles`` and ``rbac-membership``. The plugin takes no
settings and is on by default; switching it off in an environment leaves only the core's
default deny there (and whatever authorizers other plugins add).
"""

from __future__ import annotations

from collections.abc import Iterable

from switchboard.context import GatewayContext
from switchboard.hookspecs import hookimpl
from switchboard.interfaces import Authorizer
from switchboard_rbac.authorizers import MembershipAuthorizer, RoleAuthorizer

__all__ = ["switchboard_register_authorizers"]


# trylast: a deployment's own authorizers are asked first, so when both decide the same way
# the deployment's reason is the one reported. Order never changes the effect: DENY wins.
@hookimpl(trylast=True)
def switchboard_register_authorizers(gateway: GatewayContext) -> Iterable[Authorizer]:
    """Register the role and membership authorizers (roles first, so the statement that
    denied is the one cited when both deny)."""
    return [RoleAuthorizer(), MembershipAuthorizer()]
