"""Default roles: admin, power-user, read-only (the seed's).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

A frozen copy of ``switchboard.roles_default`` as it was when this revision shipped; a test
checks that the two agree while they should.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MANAGE = [
    "user:create",
    "user:update",
    "user:delete",
    "role:create",
    "role:update",
    "role:delete",
    "role:assign",
    "role:unassign",
]

ROLES = {
    "admin": (
        "Full access to everything.",
        [{"effect": "ALLOW", "actions": ["*:*"], "resources": ["*"]}],
    ),
    "power-user": (
        "Creates workspaces, environments, connections, resources and keys; "
        "cannot manage users or roles.",
        [
            {"effect": "DENY", "actions": _MANAGE, "resources": ["*"]},
            {"effect": "ALLOW", "actions": ["*:*"], "resources": ["*"]},
        ],
    ),
    "read-only": (
        "Reads and lists everything; changes nothing.",
        [{"effect": "ALLOW", "actions": ["*:get", "*:list"], "resources": ["*"]}],
    ),
}


def upgrade() -> None:
    # Plain SQL with string parameters, cast where PostgreSQL needs a type: it renders in
    # offline (--sql) mode too, where JSON values have no literal form.
    postgres = op.get_bind().dialect.name == "postgresql"
    statements = "CAST(:statements AS JSONB)" if postgres else ":statements"
    stamp = "CAST(:now AS TIMESTAMPTZ)" if postgres else ":now"
    # The f-string fragments are constants; every value is a bound parameter.
    insert = sa.text(
        "INSERT INTO roles (id, name, description, statements, builtin, created_at, updated_at)"  # noqa: S608
        f" VALUES (:id, :name, :description, {statements}, TRUE, {stamp}, {stamp})"
    )
    # SQLite keeps the models' UTC timestamps as naive text in this format.
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") + ("+00:00" if postgres else "")
    for name, (description, policy) in ROLES.items():
        op.execute(
            insert.bindparams(
                id=str(uuid.uuid4()),
                name=name,
                description=description,
                statements=json.dumps(policy),
                now=now,
            )
        )


def downgrade() -> None:
    op.execute(
        sa.text("DELETE FROM roles WHERE name IN ('admin', 'power-user', 'read-only') AND builtin")
    )
