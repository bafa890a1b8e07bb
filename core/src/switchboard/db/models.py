"""The database schema: SQLAlchemy 2 typed declarative models.

Every model works unchanged on SQLite and PostgreSQL:

- primary keys are time-ordered UUID strings generated in Python (:func:`new_id`), so ids
  never depend on a database sequence and sort roughly by creation time;
- timestamps are :class:`UTCDateTime`: timezone-aware UTC in and out on both databases;
- JSON columns are ``JSON`` on SQLite and ``JSONB`` on PostgreSQL (:func:`json_column_type`);
- constraint and index names come from :data:`NAMING_CONVENTION`, so migrations name them
  the same way on both databases.

A child that cannot outlive its parent has a foreign key with ``ON DELETE CASCADE``; the
relationships declare ``passive_deletes=True`` so the database, not the ORM, removes the
children. :class:`RequestRecord` and :class:`AuditEvent` have no foreign keys at all: they
copy ids and names so that the history survives the deletion of what it describes.

Relationships are ``lazy="raise"``: under asyncio an implicit lazy load would fail deep in
the call stack, so callers load what they need explicitly (``selectinload``).
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeEngine

__all__ = [
    "NAME_LENGTH",
    "NAMING_CONVENTION",
    "AIConnection",
    "AIResource",
    "ApiKey",
    "ApiKeyResource",
    "AuditEvent",
    "Base",
    "Environment",
    "PersonalAccessToken",
    "RequestRecord",
    "Role",
    "RoleAssignment",
    "UTCDateTime",
    "User",
    "UserSession",
    "Workspace",
    "WorkspaceMember",
    "json_column_type",
    "new_id",
    "utcnow",
]

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Constraint names derived from tables and columns, identical on SQLite and PostgreSQL."""

NAME_LENGTH = 255
"""Longest name (user, role, workspace, environment, connection, resource, key) stored."""

_HASH_LENGTH = 64  # hex SHA-256
_PREFIX_LENGTH = 32
_PROVIDER_LENGTH = 64
_UUID_LENGTH = 36


def new_id() -> str:
    """Return a new UUID version 7 string: 48 bits of Unix milliseconds, then random bits.

    Time-ordered ids keep B-tree inserts at the right edge of the index (request records are
    written at high rate) and sort by creation time to the millisecond. Ids generated in the
    same millisecond are in random order.
    """
    unix_ms = time.time_ns() // 1_000_000
    value = (unix_ms & 0xFFFF_FFFF_FFFF) << 80 | int.from_bytes(os.urandom(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 9562 variant
    return str(uuid.UUID(int=value))


def utcnow() -> datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A ``DateTime(timezone=True)`` that always returns aware UTC datetimes.

    SQLite has no time zone support: SQLAlchemy stores the wall-clock text and returns naive
    datetimes, which then cannot be compared with ``utcnow()``. This type converts every
    value to UTC before storing it and marks every loaded value as UTC. Naive datetimes are
    refused rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware datetime to UTC; refuse a naive one."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; use an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return the stored value as an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def json_column_type(*, nullable: bool = False) -> TypeEngine[Any]:
    """Return the JSON type used by every JSON column: ``JSONB`` on PostgreSQL.

    ``nullable=True`` stores Python ``None`` as SQL ``NULL`` (not the JSON literal ``null``),
    so ``column IS NULL`` finds it on both databases.
    """
    return JSON(none_as_null=nullable).with_variant(JSONB(none_as_null=nullable), "postgresql")


class Base(DeclarativeBase):
    """Declarative base of every Switchboard table, with the shared naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _id_column() -> Mapped[str]:
    return mapped_column(String(_UUID_LENGTH), primary_key=True, default=new_id)


def _created_column() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), default=utcnow)


def _updated_column() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


def _parent_column(table: str) -> Mapped[str]:
    return mapped_column(
        String(_UUID_LENGTH), ForeignKey(f"{table}.id", ondelete="CASCADE"), index=True
    )


# --------------------------------------------------------------------------------------
# Identity: users, roles, tokens, sessions
# --------------------------------------------------------------------------------------


class User(Base):
    """A local account. ``password_hash`` is an argon2id hash, or ``None`` when the account
    cannot sign in with a password. Callers store ``email`` lower-cased: uniqueness is exact."""

    __tablename__ = "users"

    id: Mapped[str] = _id_column()
    username: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    password_hash: Mapped[str | None] = mapped_column(String(512), default=None)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = _created_column()
    updated_at: Mapped[datetime] = _updated_column()

    role_assignments: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )


class Role(Base):
    """A named policy: ``statements`` is a list of ``{effect, actions, resources}`` objects.

    ``builtin`` marks the default roles (admin, power-user, read-only) that ship with
    Switchboard.
    """

    __tablename__ = "roles"

    id: Mapped[str] = _id_column()
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    statements: Mapped[list[dict[str, Any]]] = mapped_column(json_column_type(), default=list)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = _created_column()
    updated_at: Mapped[datetime] = _updated_column()

    assignments: Mapped[list[RoleAssignment]] = relationship(
        back_populates="role", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )


class RoleAssignment(Base):
    """A role held by a user; a user may hold several roles, each once."""

    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("user_id", "role_id"),)

    id: Mapped[str] = _id_column()
    user_id: Mapped[str] = _parent_column("users")
    role_id: Mapped[str] = _parent_column("roles")
    created_at: Mapped[datetime] = _created_column()

    user: Mapped[User] = relationship(back_populates="role_assignments", lazy="raise")
    role: Mapped[Role] = relationship(back_populates="assignments", lazy="raise")


class PersonalAccessToken(Base):
    """A bearer token for the CLI and automation, acting as its user.

    Only the SHA-256 of the secret is stored; ``token_prefix`` is the visible start shown in
    lists. A token is usable while ``revoked_at`` is ``None`` and ``expires_at`` is unset or in
    the future.
    """

    __tablename__ = "personal_access_tokens"

    id: Mapped[str] = _id_column()
    user_id: Mapped[str] = _parent_column("users")
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    token_hash: Mapped[str] = mapped_column(String(_HASH_LENGTH), unique=True)
    token_prefix: Mapped[str] = mapped_column(String(_PREFIX_LENGTH))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = _created_column()


class UserSession(Base):
    """A server-side UI session. ``id`` is the SHA-256 of the cookie value, so a leaked
    database does not hand out live sessions; ``csrf_token`` guards cookie-authenticated
    writes."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(_HASH_LENGTH), primary_key=True)
    user_id: Mapped[str] = _parent_column("users")
    csrf_token: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[datetime] = _created_column()
    client_ip: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(Text, default=None)


# --------------------------------------------------------------------------------------
# Tenancy: workspaces, members, environments
# --------------------------------------------------------------------------------------


class Workspace(Base):
    """The top-level isolation layer: a group of environments with its own members."""

    __tablename__ = "workspaces"

    id: Mapped[str] = _id_column()
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = _created_column()
    updated_at: Mapped[datetime] = _updated_column()

    members: Mapped[list[WorkspaceMember]] = relationship(
        back_populates="workspace", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
    environments: Mapped[list[Environment]] = relationship(
        back_populates="workspace", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )


class WorkspaceMember(Base):
    """A user's membership of a workspace, as ``owner`` or ``member``."""

    __tablename__ = "workspace_members"
    __table_args__ = (
        UniqueConstraint("workspace_id", "user_id"),
        CheckConstraint("role IN ('owner', 'member')", name="role"),
    )

    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _parent_column("workspaces")
    user_id: Mapped[str] = _parent_column("users")
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = _created_column()
    updated_at: Mapped[datetime] = _updated_column()

    workspace: Mapped[Workspace] = relationship(back_populates="members", lazy="raise")
    user: Mapped[User] = relationship(lazy="raise")


class Environment(Base):
    """An isolation layer inside a workspace holding connections, resources and keys.

    ``plugins`` maps a plugin name to ``{"enabled": bool, "settings": {...}}``; each plugin
    validates its own settings before they are saved. ``recording`` is what request records
    keep of payloads (``{"payload": "off" | "metadata" | "full", "redactPaths": [...]}``;
    ``None``: metadata only).
    """

    __tablename__ = "environments"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[str] = _id_column()
    workspace_id: Mapped[str] = _parent_column("workspaces")
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    description: Mapped[str] = mapped_column(Text, default="")
    plugins: Mapped[dict[str, Any]] = mapped_column(json_column_type(), default=dict)
    recording: Mapped[dict[str, Any] | None] = mapped_column(
        json_column_type(nullable=True), default=None
    )
    created_at: Mapped[datetime] = _created_column()
    updated_at: Mapped[datetime] = _updated_column()

    workspace: Mapped[Workspace] = relationship(back_populates="environments", lazy="raise")
    connections: Mapped[list[AIConnection]] = relationship(
        back_populates="environment",
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    resources: Mapped[list[AIResource]] = relationship(
        back_populates="environment",
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    api_keys: Mapped[list[ApiKey]] = relationship(
        back_populates="environment",
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


# --------------------------------------------------------------------------------------
# An environment's objects: AI connections, AI resources, API keys
# --------------------------------------------------------------------------------------


class AIConnection(Base):
    """Credentials and capacity for one provider account.

    ``credentials_ciphertext`` is the provider credentials as sealed by the secret box named
    in ``secret_box``; plain credentials are never stored. ``timeouts`` overrides the
    default connect, first-byte and total time limits of calls (``None``: the defaults).
    ``credential_fields`` names the credential fields that are set (not their values), so
    the API can say so without decrypting anything. ``allowed_models`` is ``None`` when
    every model is allowed. ``discovered_capacity`` maps a model to the limits last read from
    the provider's rate-limit headers. ``pricing`` overrides the provider plugin's price
    table per model (USD per million tokens; ``None``: the plugin's prices).
    """

    __tablename__ = "ai_connections"
    __table_args__ = (UniqueConstraint("environment_id", "name"),)

    id: Mapped[str] = _id_column()
    environment_id: Mapped[str] = _parent_column("environments")
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    description: Mapped[str] = mapped_column(Text, default="")
    provider: Mapped[str] = mapped_column(String(_PROVIDER_LENGTH))
    settings: Mapped[dict[str, Any]] = mapped_column(json_column_type(), default=dict)
    credentials_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    secret_box: Mapped[str | None] = mapped_column(String(_PROVIDER_LENGTH), default=None)
    capacity: Mapped[list[dict[str, Any]]] = mapped_column(json_column_type(), default=list)
    allowed_models: Mapped[list[str] | None] = mapped_column(
        json_column_type(nullable=True), default=None
    )
    discovered_capacity: Mapped[dict[str, Any]] = mapped_column(json_column_type(), default=dict)
    enforce_discovered_capacity: Mapped[bool] = mapped_column(Boolean, default=False)
    timeouts: Mapped[dict[str, Any] | None] = mapped_column(
        json_column_type(nullable=True), default=None
    )
    credential_fields: Mapped[list[str] | None] = mapped_column(
        json_column_type(nullable=True), default=None
    )
    pricing: Mapped[dict[str, Any] | None] = mapped_column(
        json_column_type(nullable=True), default=None
    )
    created_at: Mapped[datetime] = _created_column()
    updated_at: Mapped[datetime] = _updated_column()

    environment: Mapped[Environment] = relationship(back_populates="connections", lazy="raise")


class AIResource(Base):
    """The logical model an application calls: primary model, routing, fallback, capacity.

    ``model`` is ``{provider, model, connection?}``; ``routing`` is ``None`` when the resource
    has no routing rules; ``max_queue_wait_ms`` is ``None`` when requests never wait for
    capacity.
    """

    __tablename__ = "ai_resources"
    __table_args__ = (UniqueConstraint("environment_id", "name"),)

    id: Mapped[str] = _id_column()
    environment_id: Mapped[str] = _parent_column("environments")
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    description: Mapped[str] = mapped_column(Text, default="")
    model: Mapped[dict[str, Any]] = mapped_column(json_column_type())
    routing: Mapped[dict[str, Any] | None] = mapped_column(
        json_column_type(nullable=True), default=None
    )
    use_fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    fallback_models: Mapped[list[dict[str, Any]]] = mapped_column(json_column_type(), default=list)
    capacity: Mapped[list[dict[str, Any]]] = mapped_column(json_column_type(), default=list)
    enforce_capacity: Mapped[bool] = mapped_column(Boolean, default=False)
    max_queue_wait_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = _created_column()
    updated_at: Mapped[datetime] = _updated_column()

    environment: Mapped[Environment] = relationship(back_populates="resources", lazy="raise")
    api_keys: Mapped[list[ApiKey]] = relationship(
        secondary="api_key_resources",
        back_populates="resources",
        lazy="raise",
        passive_deletes=True,
    )


class ApiKey(Base):
    """An application's key to the data plane of one environment.

    Only the SHA-256 of the secret is stored (``key_hash``); ``key_prefix`` is the visible
    start shown in lists. After a rotation the old hash stays valid in ``previous_key_hash``
    until ``previous_key_expires_at``.
    """

    __tablename__ = "api_keys"
    __table_args__ = (UniqueConstraint("environment_id", "name"),)

    id: Mapped[str] = _id_column()
    environment_id: Mapped[str] = _parent_column("environments")
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    description: Mapped[str] = mapped_column(Text, default="")
    key_prefix: Mapped[str] = mapped_column(String(_PREFIX_LENGTH))
    key_hash: Mapped[str] = mapped_column(String(_HASH_LENGTH), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    labels: Mapped[list[str]] = mapped_column(json_column_type(), default=list)
    capacity: Mapped[list[dict[str, Any]]] = mapped_column(json_column_type(), default=list)
    enforce_capacity: Mapped[bool] = mapped_column(Boolean, default=False)
    previous_key_hash: Mapped[str | None] = mapped_column(
        String(_HASH_LENGTH), unique=True, default=None
    )
    previous_key_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = _created_column()
    updated_at: Mapped[datetime] = _updated_column()

    environment: Mapped[Environment] = relationship(back_populates="api_keys", lazy="raise")
    resources: Mapped[list[AIResource]] = relationship(
        secondary="api_key_resources",
        back_populates="api_keys",
        lazy="raise",
        passive_deletes=True,
    )


class ApiKeyResource(Base):
    """The assignment of an API key to a resource it may call (many to many)."""

    __tablename__ = "api_key_resources"

    api_key_id: Mapped[str] = mapped_column(
        String(_UUID_LENGTH), ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True
    )
    resource_id: Mapped[str] = mapped_column(
        String(_UUID_LENGTH),
        ForeignKey("ai_resources.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    )


# --------------------------------------------------------------------------------------
# History: request records and management audit events (no foreign keys, by design)
# --------------------------------------------------------------------------------------


class RequestRecord(Base):
    """One data-plane request, rejected and failed ones included.

    Ids and names of the workspace, environment, resource, key and connection are copies,
    not foreign keys: the record must outlive those objects. ``attempts`` lists every model
    tried with its outcome and latency; ``routing_events`` explains the route taken.
    """

    __tablename__ = "request_records"
    __table_args__ = (
        # Usage ranges and the audit's newest-first pages (ties on created_at sorted by id).
        Index("ix_request_records_environment_id_created_at", "environment_id", "created_at"),
        # The audit's "find my request" by the caller's x-correlation-id.
        Index(
            "ix_request_records_environment_id_correlation_id",
            "environment_id",
            "correlation_id",
        ),
    )

    id: Mapped[str] = _id_column()
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    correlation_id: Mapped[str | None] = mapped_column(String(NAME_LENGTH), default=None)
    workspace_id: Mapped[str | None] = mapped_column(String(_UUID_LENGTH), default=None)
    workspace_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH), default=None)
    environment_id: Mapped[str | None] = mapped_column(String(_UUID_LENGTH), default=None)
    environment_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH), default=None)
    resource_id: Mapped[str | None] = mapped_column(String(_UUID_LENGTH), default=None)
    resource_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH), default=None)
    api_key_id: Mapped[str | None] = mapped_column(String(_UUID_LENGTH), default=None)
    api_key_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH), default=None)
    connection_id: Mapped[str | None] = mapped_column(String(_UUID_LENGTH), default=None)
    connection_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH), default=None)
    endpoint: Mapped[str | None] = mapped_column(String(64), default=None)
    stream: Mapped[bool] = mapped_column(Boolean, default=False)
    provider: Mapped[str | None] = mapped_column(String(_PROVIDER_LENGTH), default=None)
    model: Mapped[str | None] = mapped_column(String(NAME_LENGTH), default=None)
    route: Mapped[str | None] = mapped_column(String(NAME_LENGTH), default=None)
    status_code: Mapped[int] = mapped_column(Integer)
    error_class: Mapped[str | None] = mapped_column(String(64), default=None)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cached_tokens: Mapped[int] = mapped_column(Integer, default=0)
    time_to_first_token_ms: Mapped[float | None] = mapped_column(Float, default=None)
    queue_wait_ms: Mapped[float | None] = mapped_column(Float, default=None)
    trace_id: Mapped[str | None] = mapped_column(String(32), default=None)
    total_latency_ms: Mapped[float | None] = mapped_column(Float, default=None)
    gateway_latency_ms: Mapped[float | None] = mapped_column(Float, default=None)
    tokens_per_second: Mapped[float | None] = mapped_column(Float, default=None)
    client_ip: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(Text, default=None)
    estimated_cost: Mapped[float | None] = mapped_column(Float, default=None)
    payload: Mapped[dict[str, Any] | None] = mapped_column(
        json_column_type(nullable=True), default=None
    )
    attempts: Mapped[list[dict[str, Any]]] = mapped_column(json_column_type(), default=list)
    routing_events: Mapped[list[str]] = mapped_column(json_column_type(), default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class AuditEvent(Base):
    """One change made through the control plane: who did what to which object, and how.

    ``action`` is a policy action (``ai-connection:update``); ``resource`` is the object's
    policy name (``workspace:acme:environment:prod:ai-connection:x``). ``before`` and
    ``after`` hold the object's state with secrets already masked. Like request records,
    events keep ids without foreign keys so they outlive the actor and the object.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_workspace_id_occurred_at", "workspace_id", "occurred_at"),
    )

    id: Mapped[str] = _id_column()
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_user_id: Mapped[str | None] = mapped_column(String(_UUID_LENGTH), default=None)
    actor_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    action: Mapped[str] = mapped_column(String(128))
    resource: Mapped[str] = mapped_column(Text)
    workspace_id: Mapped[str | None] = mapped_column(String(_UUID_LENGTH), default=None)
    environment_id: Mapped[str | None] = mapped_column(String(_UUID_LENGTH), default=None)
    before: Mapped[dict[str, Any] | None] = mapped_column(
        json_column_type(nullable=True), default=None
    )
    after: Mapped[dict[str, Any] | None] = mapped_column(
        json_column_type(nullable=True), default=None
    )
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
