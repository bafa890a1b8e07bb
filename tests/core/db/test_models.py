"""Every model on SQLite and PostgreSQL: round trips, uniqueness, foreign keys, cascades."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError, InvalidRequestError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from switchboard.db.engine import session_factory
from switchboard.db.models import (
    AIConnection,
    AIResource,
    ApiKey,
    ApiKeyResource,
    AuditEvent,
    Base,
    Environment,
    PersonalAccessToken,
    RequestRecord,
    Role,
    RoleAssignment,
    User,
    UserSession,
    Workspace,
    WorkspaceMember,
    new_id,
)

Sessions = async_sessionmaker[AsyncSession]

# Stored and returned intact: long, unicode, quotes and SQL-looking text.
AWKWARD_NAME = "prod 名前 'quoted' \"double\"; DROP TABLE users; -- " + "é" * 180
AWARE = datetime(2031, 2, 3, 4, 5, 6, 789012, tzinfo=timezone(timedelta(hours=2)))
NESTED_JSON: dict[str, Any] = {
    "text": "naïve ✓ 名前",
    "numbers": [0, -1, 2.5, 10**15],
    "flags": {"on": True, "off": False, "missing": None},
    "deep": {"a": [{"b": [{"c": "d"}]}]},
}
CIPHERTEXT = b"\x00\x01\xff" + os.urandom(61)


@dataclass
class Graph:
    """Ids of one object of every kind, linked together."""

    user: str
    spare_user: str
    role: str
    assignment: str
    token: str
    session: str
    workspace: str
    member: str
    environment: str
    connection: str
    resource: str
    api_key: str
    record: str
    event: str


def _values() -> dict[type[Base], dict[str, Any]]:
    """Non-default values for every column a caller sets, per model."""
    return {
        User: {
            "username": AWKWARD_NAME,
            "email": "ada@example.com",
            "display_name": "Ada Lovelace",
            "password_hash": "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA",
            "enabled": False,
        },
        Role: {
            "name": "auditor",
            "description": "Reads everything",
            "statements": [
                {"effect": "ALLOW", "actions": ["*:get", "*:list"], "resources": ["*"]},
                {"effect": "DENY", "actions": ["user:*"], "resources": ["user:*"]},
            ],
            "builtin": True,
        },
        PersonalAccessToken: {
            "name": "ci",
            "token_hash": "a" * 64,
            "token_prefix": "sb-pat-abcd",
            "expires_at": AWARE,
            "last_used_at": AWARE,
            "revoked_at": AWARE,
        },
        UserSession: {
            "id": "b" * 64,
            "csrf_token": "c" * 43,
            "expires_at": AWARE,
            "client_ip": "2001:db8::1",
            "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
        },
        Workspace: {"name": AWKWARD_NAME, "description": "Acme's workspace"},
        WorkspaceMember: {"role": "owner"},
        Environment: {
            "name": "production",
            "description": "Live traffic",
            "plugins": {"guardrails": {"enabled": True, "settings": NESTED_JSON}},
        },
        AIConnection: {
            "name": "openai-main",
            "description": "Main account",
            "provider": "openai",
            "settings": {"baseUrl": "https://api.openai.com/v1"},
            "credentials_ciphertext": CIPHERTEXT,
            "secret_box": "libsodium",
            "capacity": [{"period": "minute", "requests": 100, "tokens": 100000}],
            "allowed_models": ["gpt-4o", "gpt-4o-mini"],
            "discovered_capacity": {"gpt-4o": {"requests": 500, "tokens": 30000}},
            "enforce_discovered_capacity": True,
        },
        AIResource: {
            "name": "chat",
            "description": "Chat for the backend",
            "model": {"provider": "openai", "model": "gpt-4o", "connection": "openai-main"},
            "routing": {
                "enabled": True,
                "conditions": [
                    {
                        "description": "Use Groq for small requests",
                        "if": [{"field": "requestTokens", "operator": "lessThan", "value": 100}],
                        "then": {"provider": "groq", "model": "llama-3.1-70b-versatile"},
                    }
                ],
            },
            "use_fallback": True,
            "fallback_models": [{"provider": "anthropic", "model": "claude-3-5-sonnet-20241022"}],
            "capacity": [{"period": "minute", "requests": 50, "tokens": 50000}],
            "enforce_capacity": True,
            "max_queue_wait_ms": 2500,
        },
        ApiKey: {
            "name": "backend-service",
            "description": "The backend",
            "key_prefix": "sk-sb-abcd",
            "key_hash": "d" * 64,
            "enabled": False,
            "expires_at": AWARE,
            "labels": ["team-a", "tier:gold"],
            "capacity": [{"period": "day", "requests": 1000}],
            "enforce_capacity": True,
            "previous_key_hash": "e" * 64,
            "previous_key_expires_at": AWARE,
            "last_used_at": AWARE,
        },
        RequestRecord: {
            "request_id": "req-1",
            "correlation_id": "corr-1",
            "workspace_name": "acme",
            "environment_name": "production",
            "resource_name": "chat",
            "api_key_name": "backend-service",
            "connection_name": "openai-main",
            "endpoint": "chat.completions",
            "stream": True,
            "provider": "openai",
            "model": "gpt-4o",
            "route": "Use Groq for small requests",
            "status_code": 502,
            "error_class": "upstream_error",
            "error_message": "every model failed: openai 500, anthropic timeout",
            "prompt_tokens": 12,
            "completion_tokens": 34,
            "cached_tokens": 5,
            "time_to_first_token_ms": 123.5,
            "total_latency_ms": 456.25,
            "gateway_latency_ms": 0.75,
            "tokens_per_second": 88.0,
            "client_ip": "10.0.0.7",
            "user_agent": "OpenAI/Python 1.54.0",
            "estimated_cost": 0.000123,
            "payload": NESTED_JSON,
            "attempts": [{"provider": "openai", "status": 500, "latencyMs": 200.5}],
            "routing_events": [{"kind": "fallback", "from": "gpt-4o", "to": "claude"}],
            "created_at": AWARE,
        },
        AuditEvent: {
            "occurred_at": AWARE,
            "actor_name": "admin",
            "action": "ai-connection:update",
            "resource": "workspace:acme:environment:production:ai-connection:openai-main",
            "before": {"capacity": [], "credentials": "***"},
            "after": NESTED_JSON,
            "request_id": "req-2",
        },
    }


@pytest.fixture
def sessions(migrated_engine: AsyncEngine) -> Sessions:
    return session_factory(migrated_engine)


@pytest.fixture
async def graph(sessions: Sessions) -> Graph:
    """Insert one object of every kind; return their ids."""
    values = _values()
    async with sessions() as session, session.begin():
        user = User(**values[User])
        spare_user = User(username="spare", email="spare@example.com")  # no links at all
        role = Role(**values[Role])
        workspace = Workspace(**values[Workspace])
        session.add_all([user, spare_user, role, workspace])
        await session.flush()
        environment = Environment(workspace_id=workspace.id, **values[Environment])
        assignment = RoleAssignment(user_id=user.id, role_id=role.id)
        token = PersonalAccessToken(user_id=user.id, **values[PersonalAccessToken])
        user_session = UserSession(user_id=user.id, **values[UserSession])
        member = WorkspaceMember(
            workspace_id=workspace.id, user_id=user.id, **values[WorkspaceMember]
        )
        session.add_all([environment, assignment, token, user_session, member])
        await session.flush()
        connection = AIConnection(environment_id=environment.id, **values[AIConnection])
        resource = AIResource(environment_id=environment.id, **values[AIResource])
        api_key = ApiKey(environment_id=environment.id, **values[ApiKey])
        api_key.resources.append(resource)
        session.add_all([connection, resource, api_key])
        await session.flush()
        copied_ids = {
            "workspace_id": workspace.id,
            "environment_id": environment.id,
        }
        record = RequestRecord(
            **copied_ids,
            resource_id=resource.id,
            api_key_id=api_key.id,
            connection_id=connection.id,
            **values[RequestRecord],
        )
        event = AuditEvent(actor_user_id=user.id, **copied_ids, **values[AuditEvent])
        session.add_all([record, event])
    return Graph(
        user=user.id,
        spare_user=spare_user.id,
        role=role.id,
        assignment=assignment.id,
        token=token.id,
        session=user_session.id,
        workspace=workspace.id,
        member=member.id,
        environment=environment.id,
        connection=connection.id,
        resource=resource.id,
        api_key=api_key.id,
        record=record.id,
        event=event.id,
    )


def _ids(graph: Graph) -> dict[type[Base], str]:
    return {
        User: graph.user,
        Role: graph.role,
        PersonalAccessToken: graph.token,
        UserSession: graph.session,
        Workspace: graph.workspace,
        WorkspaceMember: graph.member,
        Environment: graph.environment,
        AIConnection: graph.connection,
        AIResource: graph.resource,
        ApiKey: graph.api_key,
        RequestRecord: graph.record,
        AuditEvent: graph.event,
    }


async def _count(sessions: Sessions, model: type[Base]) -> int:
    async with sessions() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


@pytest.mark.parametrize("model", list(_values()), ids=lambda model: model.__name__)
async def test_every_value_round_trips(sessions: Sessions, graph: Graph, model: type[Base]) -> None:
    async with sessions() as session:
        loaded = await session.get(model, _ids(graph)[model])
    assert loaded is not None
    for column, expected in _values()[model].items():
        actual = getattr(loaded, column)
        assert actual == expected, column
        if isinstance(expected, datetime):
            assert actual.tzinfo is UTC, column


async def test_defaults_ids_and_timestamps(sessions: Sessions) -> None:
    before = datetime.now(UTC)
    async with sessions() as session, session.begin():
        workspace = Workspace(name="defaults")
        session.add(workspace)
        await session.flush()
        environment = Environment(workspace_id=workspace.id, name="dev")
        session.add(environment)
        await session.flush()
        connection = AIConnection(environment_id=environment.id, name="c", provider="groq")
        key = ApiKey(
            environment_id=environment.id, name="k", key_prefix="sk-sb-", key_hash="f" * 64
        )
        session.add_all([connection, key])
    async with sessions() as session:
        loaded = await session.get(AIConnection, connection.id)
        loaded_key = await session.get(ApiKey, key.id)
    assert loaded is not None
    assert loaded_key is not None
    assert uuid.UUID(loaded.id).version == 7
    assert before <= loaded.created_at <= datetime.now(UTC)
    assert loaded.created_at.tzinfo is UTC
    assert (loaded.settings, loaded.capacity, loaded.discovered_capacity) == ({}, [], {})
    assert (loaded.allowed_models, loaded.credentials_ciphertext) == (None, None)
    assert loaded.enforce_discovered_capacity is False
    assert (loaded_key.enabled, loaded_key.labels, loaded_key.expires_at) == (True, [], None)


async def test_nullable_json_is_sql_null(sessions: Sessions, graph: Graph) -> None:
    async with sessions() as session, session.begin():
        connection = await session.get(AIConnection, graph.connection)
        assert connection is not None
        connection.allowed_models = None
    async with sessions() as session:
        found = await session.scalars(
            select(AIConnection.id).where(AIConnection.allowed_models.is_(None))
        )
        assert list(found) == [graph.connection]


async def test_updated_at_moves_on_update(sessions: Sessions, graph: Graph) -> None:
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)
    async with sessions() as session, session.begin():
        resource = await session.get(AIResource, graph.resource)
        assert resource is not None
        resource.updated_at = long_ago
    async with sessions() as session, session.begin():
        resource = await session.get(AIResource, graph.resource)
        assert resource is not None
        assert resource.updated_at == long_ago
        resource.description = "changed"
    assert resource.updated_at > long_ago


async def test_naive_datetimes_are_refused(sessions: Sessions, graph: Graph) -> None:
    async with sessions() as session:
        key = await session.get(ApiKey, graph.api_key)
        assert key is not None
        key.expires_at = datetime(2030, 1, 1)  # naive: the point of the test
        with pytest.raises(StatementError, match="naive datetime"):
            await session.commit()


def test_new_ids_are_uuid7_and_time_ordered() -> None:
    first = new_id()
    ids = [new_id() for _ in range(1000)]
    parsed = uuid.UUID(first)
    assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122)
    assert len(set(ids)) == 1000
    # Ids from later milliseconds sort after earlier ones.
    assert all(first[:13] <= later[:13] for later in ids)


async def test_relationships_load_explicitly_and_refuse_lazy_loads(
    sessions: Sessions, graph: Graph
) -> None:
    async with sessions() as session:
        key = (
            await session.scalars(
                select(ApiKey)
                .where(ApiKey.id == graph.api_key)
                .options(selectinload(ApiKey.resources))
            )
        ).one()
        assert [resource.name for resource in key.resources] == ["chat"]
        environment = await session.get(Environment, graph.environment)
        assert environment is not None
        with pytest.raises(InvalidRequestError, match="lazy='raise'"):
            _ = environment.connections


# -- uniqueness and integrity -------------------------------------------------------------

Duplicate = Callable[[Graph], Base]

DUPLICATES: dict[str, Duplicate] = {
    "username": lambda g: User(username=AWKWARD_NAME, email="other@example.com"),
    "email": lambda g: User(username="other", email="ada@example.com"),
    "role name": lambda g: Role(name="auditor"),
    "role assignment": lambda g: RoleAssignment(user_id=g.user, role_id=g.role),
    "token hash": lambda g: PersonalAccessToken(
        user_id=g.user, name="other", token_hash="a" * 64, token_prefix="x"
    ),
    "workspace name": lambda g: Workspace(name=AWKWARD_NAME),
    "membership": lambda g: WorkspaceMember(
        workspace_id=g.workspace, user_id=g.user, role="member"
    ),
    "member role": lambda g: WorkspaceMember(
        workspace_id=g.workspace, user_id=g.spare_user, role="admin"
    ),
    "environment name": lambda g: Environment(workspace_id=g.workspace, name="production"),
    "connection name": lambda g: AIConnection(
        environment_id=g.environment, name="openai-main", provider="groq"
    ),
    "resource name": lambda g: AIResource(environment_id=g.environment, name="chat", model={}),
    "api key name": lambda g: ApiKey(
        environment_id=g.environment, name="backend-service", key_prefix="x", key_hash="1" * 64
    ),
    "api key hash": lambda g: ApiKey(
        environment_id=g.environment, name="other", key_prefix="x", key_hash="d" * 64
    ),
    "previous key hash": lambda g: ApiKey(
        environment_id=g.environment,
        name="other",
        key_prefix="x",
        key_hash="2" * 64,
        previous_key_hash="e" * 64,
    ),
    "api key resource": lambda g: ApiKeyResource(api_key_id=g.api_key, resource_id=g.resource),
    "request id": lambda g: RequestRecord(request_id="req-1", status_code=200),
    "unknown parent": lambda g: Environment(workspace_id=str(uuid.uuid4()), name="orphan"),
}


@pytest.mark.parametrize("make", list(DUPLICATES.values()), ids=list(DUPLICATES))
async def test_constraints_are_enforced(sessions: Sessions, graph: Graph, make: Duplicate) -> None:
    async with sessions() as session:
        session.add(make(graph))
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_names_are_unique_only_within_their_parent(sessions: Sessions, graph: Graph) -> None:
    async with sessions() as session, session.begin():
        other_workspace = Workspace(name="other")
        session.add(other_workspace)
        await session.flush()
        other_environment = Environment(workspace_id=other_workspace.id, name="production")
        session.add(other_environment)
        await session.flush()
        session.add_all(
            [
                AIConnection(environment_id=other_environment.id, name="openai-main", provider="x"),
                AIResource(environment_id=other_environment.id, name="chat", model={}),
                ApiKey(
                    environment_id=other_environment.id,
                    name="backend-service",
                    key_prefix="x",
                    key_hash="3" * 64,
                ),
            ]
        )
    assert await _count(sessions, AIResource) == 2


# -- cascades -------------------------------------------------------------------------------

ENVIRONMENT_CHILDREN: list[type[Base]] = [AIConnection, AIResource, ApiKey, ApiKeyResource]


async def test_deleting_a_workspace_removes_its_tree_but_not_history(
    sessions: Sessions, graph: Graph
) -> None:
    async with sessions() as session, session.begin():
        await session.execute(delete(Workspace).where(Workspace.id == graph.workspace))
    removed: list[type[Base]] = [Environment, WorkspaceMember, *ENVIRONMENT_CHILDREN]
    for model in removed:
        assert await _count(sessions, model) == 0, model.__name__
    kept: list[type[Base]] = [RequestRecord, AuditEvent]
    for model in kept:
        assert await _count(sessions, model) == 1, model.__name__
    assert await _count(sessions, User) == 2


async def test_orm_delete_of_an_environment_leaves_cascades_to_the_database(
    sessions: Sessions, graph: Graph
) -> None:
    async with sessions() as session, session.begin():
        environment = await session.get(Environment, graph.environment)
        assert environment is not None
        await session.delete(environment)  # children unloaded: lazy="raise" must not trip
    for model in ENVIRONMENT_CHILDREN:
        assert await _count(sessions, model) == 0, model.__name__
    assert await _count(sessions, Workspace) == 1


async def test_deleting_a_user_removes_what_belongs_to_them(
    sessions: Sessions, graph: Graph
) -> None:
    async with sessions() as session, session.begin():
        user = await session.get(User, graph.user)
        assert user is not None
        await session.delete(user)
    for model in [RoleAssignment, PersonalAccessToken, UserSession, WorkspaceMember]:
        assert await _count(sessions, model) == 0, model.__name__
    for model in [Workspace, AuditEvent]:
        assert await _count(sessions, model) == 1, model.__name__
    async with sessions() as session:
        assert await session.get(Role, graph.role) is not None


async def test_deleting_a_role_removes_its_assignments(sessions: Sessions, graph: Graph) -> None:
    async with sessions() as session, session.begin():
        await session.execute(delete(Role).where(Role.id == graph.role))
    assert await _count(sessions, RoleAssignment) == 0
    assert await _count(sessions, User) == 2


@pytest.mark.parametrize("deleted", [AIResource, ApiKey], ids=lambda model: model.__name__)
async def test_deleting_either_side_of_a_key_assignment_removes_only_the_link(
    sessions: Sessions, graph: Graph, deleted: type[AIResource | ApiKey]
) -> None:
    kept: type[Base] = ApiKey if deleted is AIResource else AIResource
    async with sessions() as session, session.begin():
        target = await session.get(deleted, _ids(graph)[deleted])
        assert target is not None
        await session.delete(target)
    assert await _count(sessions, ApiKeyResource) == 0
    assert await _count(sessions, kept) == 1
