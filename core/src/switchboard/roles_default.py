"""The default roles of the seed, as migration 0002 creates them.

Kept as data here for tests and docs; the migration holds its own frozen copy, because a
migration must keep meaning what it meant when it shipped.
"""

from __future__ import annotations

from typing import Any

from switchboard.policy import Statement, parse_statements

__all__ = ["ADMIN_ROLE", "DEFAULT_ROLES", "DEFAULT_STATEMENTS", "READ_ONLY_EXTRA_ACTIONS"]

ADMIN_ROLE = "admin"
"""The role of full administrators; the workspace membership rule exempts its holders."""

_USER_AND_ROLE_MANAGEMENT = [
    "user:create",
    "user:update",
    "user:delete",
    "role:create",
    "role:update",
    "role:delete",
    "role:assign",
    "role:unassign",
]

READ_ONLY_EXTRA_ACTIONS = ["completion-usage:query", "completion-audit:export"]
"""Reading actions the read-only role holds beyond ``*:get`` and ``*:list``."""

DEFAULT_ROLES: dict[str, dict[str, Any]] = {
    ADMIN_ROLE: {
        "description": "Full access to everything.",
        "statements": [{"effect": "ALLOW", "actions": ["*:*"], "resources": ["*"]}],
    },
    "power-user": {
        "description": (
            "Creates workspaces, environments, connections, resources and keys; "
            "cannot manage users or roles."
        ),
        "statements": [
            {"effect": "DENY", "actions": _USER_AND_ROLE_MANAGEMENT, "resources": ["*"]},
            {"effect": "ALLOW", "actions": ["*:*"], "resources": ["*"]},
        ],
    },
    "read-only": {
        "description": "Reads and lists everything; changes nothing.",
        "statements": [
            {"effect": "ALLOW", "actions": ["*:get", "*:list"], "resources": ["*"]},
            # Reads whose verbs are neither get nor list (migration 0004 adds this one).
            {"effect": "ALLOW", "actions": READ_ONLY_EXTRA_ACTIONS, "resources": ["*"]},
        ],
    },
}

DEFAULT_STATEMENTS: dict[str, tuple[Statement, ...]] = {
    name: parse_statements(role["statements"]) for name, role in DEFAULT_ROLES.items()
}
"""The default roles' statements, parsed (what authorizers evaluate)."""
