"""Initial schema: identity, tenancy, an environment's objects, request and audit history.

Revision ID: 0001
Revises:
Create Date: 2026-12-01

Written to match ``switchboard.db.models`` exactly (a test compares them on SQLite and
PostgreSQL). It spells out its types instead of importing the models: the models will
change, this revision must not. Names follow the models' naming convention.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Creation order: every table after the tables it references. Downgrade drops in reverse.
_TABLES = (
    "users",
    "roles",
    "role_assignments",
    "personal_access_tokens",
    "sessions",
    "workspaces",
    "workspace_members",
    "environments",
    "ai_connections",
    "ai_resources",
    "api_keys",
    "api_key_resources",
    "request_records",
    "audit_events",
)


# -- column and constraint helpers ------------------------------------------------------


def _json(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    json_type = sa.JSON(none_as_null=nullable).with_variant(
        postgresql.JSONB(none_as_null=nullable), "postgresql"
    )
    return sa.Column(name, json_type, nullable=nullable)


def _uuid(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.String(36), nullable=nullable)


def _string(name: str, length: int, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.String(length), nullable=nullable)


def _text(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.Text(), nullable=nullable)


def _bool(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.Boolean(), nullable=False)


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _primary_key(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*(columns or ("id",)), name=op.f(f"pk_{table}"))


def _unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def _cascade(table: str, column: str, parent: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{parent}.id"], name=op.f(f"fk_{table}_{column}_{parent}"), ondelete="CASCADE"
    )


def _index(table: str, *columns: str) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns))


def _owned(table: str, parent_column: str, parent: str, *columns: Any) -> None:
    """Create a table whose rows belong to a parent, with id primary key and parent index."""
    op.create_table(
        table,
        _uuid("id"),
        _uuid(parent_column),
        *columns,
        _primary_key(table),
        _cascade(table, parent_column, parent),
    )
    _index(table, parent_column)


# -- identity -----------------------------------------------------------------------------


def _create_identity() -> None:
    op.create_table(
        "users",
        _uuid("id"),
        _string("username", 255),
        _string("email", 320),
        _string("display_name", 255),
        _string("password_hash", 512, nullable=True),
        _bool("enabled"),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        _primary_key("users"),
        _unique("users", "email"),
        _unique("users", "username"),
    )
    op.create_table(
        "roles",
        _uuid("id"),
        _string("name", 255),
        _text("description"),
        _json("statements"),
        _bool("builtin"),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        _primary_key("roles"),
        _unique("roles", "name"),
    )
    _owned(
        "role_assignments",
        "user_id",
        "users",
        _uuid("role_id"),
        _timestamp("created_at"),
        _cascade("role_assignments", "role_id", "roles"),
        _unique("role_assignments", "user_id", "role_id"),
    )
    _index("role_assignments", "role_id")
    _owned(
        "personal_access_tokens",
        "user_id",
        "users",
        _string("name", 255),
        _string("token_hash", 64),
        _string("token_prefix", 32),
        _timestamp("expires_at", nullable=True),
        _timestamp("last_used_at", nullable=True),
        _timestamp("revoked_at", nullable=True),
        _timestamp("created_at"),
        _unique("personal_access_tokens", "token_hash"),
    )
    op.create_table(
        "sessions",
        _string("id", 64),  # the SHA-256 of the cookie value, not a UUID
        _uuid("user_id"),
        _string("csrf_token", 128),
        _timestamp("expires_at"),
        _timestamp("created_at"),
        _string("client_ip", 64, nullable=True),
        _text("user_agent", nullable=True),
        _primary_key("sessions"),
        _cascade("sessions", "user_id", "users"),
    )
    _index("sessions", "expires_at")
    _index("sessions", "user_id")


# -- tenancy ------------------------------------------------------------------------------


def _create_tenancy() -> None:
    op.create_table(
        "workspaces",
        _uuid("id"),
        _string("name", 255),
        _text("description"),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        _primary_key("workspaces"),
        _unique("workspaces", "name"),
    )
    _owned(
        "workspace_members",
        "workspace_id",
        "workspaces",
        _uuid("user_id"),
        _string("role", 16),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.CheckConstraint("role IN ('owner', 'member')", name=op.f("ck_workspace_members_role")),
        _cascade("workspace_members", "user_id", "users"),
        _unique("workspace_members", "workspace_id", "user_id"),
    )
    _index("workspace_members", "user_id")
    _owned(
        "environments",
        "workspace_id",
        "workspaces",
        _string("name", 255),
        _text("description"),
        _json("plugins"),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        _unique("environments", "workspace_id", "name"),
    )


# -- an environment's objects -------------------------------------------------------------


def _create_environment_objects() -> None:
    _owned(
        "ai_connections",
        "environment_id",
        "environments",
        _string("name", 255),
        _text("description"),
        _string("provider", 64),
        _json("settings"),
        sa.Column("credentials_ciphertext", sa.LargeBinary(), nullable=True),
        _string("secret_box", 64, nullable=True),
        _json("capacity"),
        _json("allowed_models", nullable=True),
        _json("discovered_capacity"),
        _bool("enforce_discovered_capacity"),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        _unique("ai_connections", "environment_id", "name"),
    )
    _owned(
        "ai_resources",
        "environment_id",
        "environments",
        _string("name", 255),
        _text("description"),
        _json("model"),
        _json("routing", nullable=True),
        _bool("use_fallback"),
        _json("fallback_models"),
        _json("capacity"),
        _bool("enforce_capacity"),
        sa.Column("max_queue_wait_ms", sa.Integer(), nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        _unique("ai_resources", "environment_id", "name"),
    )
    _owned(
        "api_keys",
        "environment_id",
        "environments",
        _string("name", 255),
        _text("description"),
        _string("key_prefix", 32),
        _string("key_hash", 64),
        _bool("enabled"),
        _timestamp("expires_at", nullable=True),
        _json("labels"),
        _json("capacity"),
        _bool("enforce_capacity"),
        _string("previous_key_hash", 64, nullable=True),
        _timestamp("previous_key_expires_at", nullable=True),
        _timestamp("last_used_at", nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        _unique("api_keys", "environment_id", "name"),
        _unique("api_keys", "key_hash"),
        _unique("api_keys", "previous_key_hash"),
    )
    op.create_table(
        "api_key_resources",
        _uuid("api_key_id"),
        _uuid("resource_id"),
        _primary_key("api_key_resources", "api_key_id", "resource_id"),
        _cascade("api_key_resources", "api_key_id", "api_keys"),
        _cascade("api_key_resources", "resource_id", "ai_resources"),
    )
    _index("api_key_resources", "resource_id")


# -- history (no foreign keys: records outlive what they describe) ------------------------


def _create_history() -> None:
    op.create_table(
        "request_records",
        _uuid("id"),
        _string("request_id", 64),
        _string("correlation_id", 255, nullable=True),
        _uuid("workspace_id", nullable=True),
        _string("workspace_name", 255, nullable=True),
        _uuid("environment_id", nullable=True),
        _string("environment_name", 255, nullable=True),
        _uuid("resource_id", nullable=True),
        _string("resource_name", 255, nullable=True),
        _uuid("api_key_id", nullable=True),
        _string("api_key_name", 255, nullable=True),
        _uuid("connection_id", nullable=True),
        _string("connection_name", 255, nullable=True),
        _string("endpoint", 64, nullable=True),
        _bool("stream"),
        _string("provider", 64, nullable=True),
        _string("model", 255, nullable=True),
        _string("route", 255, nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=False),
        _string("error_class", 64, nullable=True),
        _text("error_message", nullable=True),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("cached_tokens", sa.Integer(), nullable=False),
        sa.Column("time_to_first_token_ms", sa.Float(), nullable=True),
        sa.Column("total_latency_ms", sa.Float(), nullable=True),
        sa.Column("gateway_latency_ms", sa.Float(), nullable=True),
        sa.Column("tokens_per_second", sa.Float(), nullable=True),
        _string("client_ip", 64, nullable=True),
        _text("user_agent", nullable=True),
        sa.Column("estimated_cost", sa.Float(), nullable=True),
        _json("payload", nullable=True),
        _json("attempts"),
        _json("routing_events"),
        _timestamp("created_at"),
        _primary_key("request_records"),
        _unique("request_records", "request_id"),
    )
    _index("request_records", "created_at")
    _index("request_records", "environment_id", "created_at")
    op.create_table(
        "audit_events",
        _uuid("id"),
        _timestamp("occurred_at"),
        _uuid("actor_user_id", nullable=True),
        _string("actor_name", 255),
        _string("action", 128),
        _text("resource"),
        _uuid("workspace_id", nullable=True),
        _uuid("environment_id", nullable=True),
        _json("before", nullable=True),
        _json("after", nullable=True),
        _string("request_id", 64, nullable=True),
        _primary_key("audit_events"),
    )
    _index("audit_events", "occurred_at")
    _index("audit_events", "workspace_id", "occurred_at")


def upgrade() -> None:
    """Create every table."""
    _create_identity()
    _create_tenancy()
    _create_environment_objects()
    _create_history()


def downgrade() -> None:
    """Drop every table (their indexes go with them)."""
    for table in reversed(_TABLES):
        op.drop_table(table)
