"""Per-connection time limits and the names of the credential fields that are set.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_COLUMNS = ("timeouts", "credential_fields")


def upgrade() -> None:
    with op.batch_alter_table("ai_connections") as batch:
        for name in _COLUMNS:
            batch.add_column(
                sa.Column(
                    name,
                    sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                    nullable=True,
                )
            )


def downgrade() -> None:
    with op.batch_alter_table("ai_connections") as batch:
        for name in reversed(_COLUMNS):
            batch.drop_column(name)
