"""The default roles, as the seed describes them and the migration creates them.

Plain data on purpose: the control plane's migration imports :data:`DEFAULT_ROLES` and
:data:`DEFAULT_ROLE_DESCRIPTIONS` and stores them as they are, so the roles a fresh gateway
has and the roles these tests check are the same objects.
"""

from __future__ import annotations

from switchboard.policy import Statement

__all__ = ["ADMIN_ROLE", "DEFAULT_ROLES", "DEFAULT_ROLE_DESCRIPTIONS"]

ADMIN_ROLE = "admin"
"""The role whose holders the workspace membership rule does not apply to."""

# What a power-user may not do: manage the people and the roles that govern everyone else.
_USER_AND_ROLE_MANAGEMENT = (
    "user:create",
    "user:update",
    "user:delete",
    "role:create",
    "role:update",
    "role:delete",
    "role:assign",
    "role:unassign",
)

DEFAULT_ROLES: dict[str, tuple[Statement, ...]] = {
    ADMIN_ROLE: (Statement(effect="ALLOW", actions=("*:*",), resources=("*",)),),
    "power-user": (
        Statement(effect="DENY", actions=_USER_AND_ROLE_MANAGEMENT, resources=("*",)),
        Statement(effect="ALLOW", actions=("*:*",), resources=("*",)),
    ),
    "read-only": (Statement(effect="ALLOW", actions=("*:get", "*:list"), resources=("*",)),),
}
"""Role name to its statements."""

DEFAULT_ROLE_DESCRIPTIONS: dict[str, str] = {
    ADMIN_ROLE: "Full access to everything.",
    "power-user": (
        "Creates workspaces, environments, connections, resources and keys; "
        "cannot manage users or roles."
    ),
    "read-only": "Reads and lists everything; changes nothing.",
}
"""Role name to the description shown in the UI and the API."""
