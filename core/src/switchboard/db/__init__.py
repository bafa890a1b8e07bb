"""The data layer: models, engines and sessions, and schema migrations.

Typical use::

    engine = create_engine(settings_database_url)
    await connect_check(engine)  # DatabaseUnavailable: one line, password masked
    await prepare_database(engine, auto_migrate=True)
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        session.add(Workspace(name="acme"))
"""

from switchboard.db.engine import (
    DatabaseUnavailable,
    connect_check,
    create_engine,
    default_database_url,
    describe_url,
    normalize_url,
    ping,
    session_factory,
)
from switchboard.db.migrations import (
    SchemaBehind,
    SchemaError,
    SchemaStatus,
    SchemaTooNew,
    check_schema,
    current_revision,
    downgrade,
    head_revision,
    prepare_database,
    upgrade,
)
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
    utcnow,
)

__all__ = [
    "AIConnection",
    "AIResource",
    "ApiKey",
    "ApiKeyResource",
    "AuditEvent",
    "Base",
    "DatabaseUnavailable",
    "Environment",
    "PersonalAccessToken",
    "RequestRecord",
    "Role",
    "RoleAssignment",
    "SchemaBehind",
    "SchemaError",
    "SchemaStatus",
    "SchemaTooNew",
    "User",
    "UserSession",
    "Workspace",
    "WorkspaceMember",
    "check_schema",
    "connect_check",
    "create_engine",
    "current_revision",
    "default_database_url",
    "describe_url",
    "downgrade",
    "head_revision",
    "new_id",
    "normalize_url",
    "ping",
    "prepare_database",
    "session_factory",
    "upgrade",
    "utcnow",
]
