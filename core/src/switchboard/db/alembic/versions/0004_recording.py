"""Recording and cost: an environment's payload capture, a connection's price overrides,
the request record's queue wait and trace id, an index for the request audit's
correlation-id lookup, and the read-only role's usage and export grants
(``completion-usage:query``, ``completion-audit:export``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json(name: str) -> sa.Column[object]:
    return sa.Column(
        name,
        sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
        nullable=True,
    )


# Frozen copies of the read-only role's statements before and after this revision (a
# migration must keep meaning what it meant when it shipped, whatever roles_default says).
_READ_ONLY_BEFORE = [{"effect": "ALLOW", "actions": ["*:get", "*:list"], "resources": ["*"]}]
_READ_ONLY_AFTER = [
    *_READ_ONLY_BEFORE,
    {
        "effect": "ALLOW",
        "actions": ["completion-usage:query", "completion-audit:export"],
        "resources": ["*"],
    },
]


def _set_read_only(statements: Sequence[Mapping[str, object]]) -> None:
    # As in 0002: plain SQL with a string parameter, cast where PostgreSQL needs a type, so
    # it renders in offline (--sql) mode too.
    postgres = op.get_bind().dialect.name == "postgresql"
    value = "CAST(:statements AS JSONB)" if postgres else ":statements"
    update = sa.text(
        f"UPDATE roles SET statements = {value} WHERE name = 'read-only' AND builtin"  # noqa: S608
    )
    op.execute(update.bindparams(statements=json.dumps(statements)))


def upgrade() -> None:
    with op.batch_alter_table("environments") as batch:
        batch.add_column(_json("recording"))
    with op.batch_alter_table("ai_connections") as batch:
        batch.add_column(_json("pricing"))
    with op.batch_alter_table("request_records") as batch:
        batch.add_column(sa.Column("queue_wait_ms", sa.Float(), nullable=True))
        batch.add_column(sa.Column("trace_id", sa.String(length=32), nullable=True))
    op.create_index(
        "ix_request_records_environment_id_correlation_id",
        "request_records",
        ["environment_id", "correlation_id"],
    )
    _set_read_only(_READ_ONLY_AFTER)


def downgrade() -> None:
    _set_read_only(_READ_ONLY_BEFORE)
    op.drop_index("ix_request_records_environment_id_correlation_id", table_name="request_records")
    with op.batch_alter_table("request_records") as batch:
        batch.drop_column("trace_id")
        batch.drop_column("queue_wait_ms")
    with op.batch_alter_table("ai_connections") as batch:
        batch.drop_column("pricing")
    with op.batch_alter_table("environments") as batch:
        batch.drop_column("recording")
