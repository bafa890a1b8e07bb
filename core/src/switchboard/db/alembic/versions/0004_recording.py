"""Recording and cost: an environment's payload capture, a connection's price overrides,
and the request record's queue wait and trace id.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

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


def upgrade() -> None:
    with op.batch_alter_table("environments") as batch:
        batch.add_column(_json("recording"))
    with op.batch_alter_table("ai_connections") as batch:
        batch.add_column(_json("pricing"))
    with op.batch_alter_table("request_records") as batch:
        batch.add_column(sa.Column("queue_wait_ms", sa.Float(), nullable=True))
        batch.add_column(sa.Column("trace_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("request_records") as batch:
        batch.drop_column("trace_id")
        batch.drop_column("queue_wait_ms")
    with op.batch_alter_table("ai_connections") as batch:
        batch.drop_column("pricing")
    with op.batch_alter_table("environments") as batch:
        batch.drop_column("recording")
