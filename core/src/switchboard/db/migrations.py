"""Schema migrations: Alembic, driven from async code, with scripts packaged in the wheel.

The gateway never runs the ``alembic`` command line: :func:`upgrade` and friends build the
Alembic configuration in code and hand it an open connection (see ``alembic/env.py``).
Upgrades are serialised across processes (an advisory lock on PostgreSQL, ``BEGIN
IMMEDIATE`` on SQLite) and run in one transaction, so several gateways starting at once
migrate the database exactly once.

:func:`prepare_database` is what ``switchboard serve`` calls before accepting traffic: it
refuses a database migrated by a newer Switchboard and migrates (or asks for
``switchboard migrate``) when the database is behind.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from switchboard.db.engine import SQLITE_BEGIN_OPTION, connect_check

__all__ = [
    "SCRIPT_LOCATION",
    "SchemaBehind",
    "SchemaError",
    "SchemaStatus",
    "SchemaTooNew",
    "alembic_config",
    "autogenerate_revision",
    "check_schema",
    "classify_revision",
    "current_revision",
    "downgrade",
    "head_revision",
    "prepare_database",
    "upgrade",
]

SCRIPT_LOCATION: Final = Path(__file__).resolve().parent / "alembic"
"""The folder holding ``env.py`` and ``versions/``, shipped inside the package."""

# An arbitrary constant shared by every Switchboard process: the key of the PostgreSQL
# advisory lock that serialises migrations ("swbd" in ASCII).
_MIGRATION_LOCK_KEY: Final = 0x73776264


class SchemaStatus(enum.Enum):
    """How a database's schema compares with this Switchboard's migrations."""

    UP_TO_DATE = "up_to_date"
    """At this Switchboard's head revision."""
    BEHIND = "behind"
    """At an older revision of ours: needs ``switchboard migrate``."""
    AHEAD = "ahead"
    """At a revision we do not know: migrated by a newer Switchboard."""
    EMPTY = "empty"
    """Never migrated."""


class SchemaError(Exception):
    """The database schema does not match this Switchboard."""


class SchemaTooNew(SchemaError):
    """The database was migrated by a newer Switchboard; refusing to touch it."""

    def __init__(self, revision: str, head: str) -> None:
        super().__init__(
            f"database schema {revision} is newer than this Switchboard (head {head}); "
            "upgrade Switchboard or use a matching version"
        )
        self.revision = revision
        self.head = head


class SchemaBehind(SchemaError):
    """The database needs migrating and automatic migration is off."""

    def __init__(self, current: str | None, head: str) -> None:
        where = f"at {current}" if current else "empty"
        super().__init__(
            f"database schema is {where}, this Switchboard needs {head}: run `switchboard migrate`"
        )
        self.current = current
        self.head = head


def alembic_config() -> Config:
    """Return an Alembic configuration pointing at the packaged scripts (no ini file).

    To run an Alembic command against a database, put an open synchronous connection in
    ``config.attributes["connection"]``, or set ``sqlalchemy.url`` (offline SQL, or a
    developer's ``alembic.command.revision(config, autogenerate=True)``).
    """
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    return config


def _script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """Return the newest revision this Switchboard knows."""
    head = _script_directory().get_current_head()
    if head is None:  # pragma: no cover - the package always ships 0001
        raise RuntimeError(f"no migrations found in {SCRIPT_LOCATION}")
    return head


def classify_revision(current: str | None) -> SchemaStatus:
    """Classify a database at revision ``current`` (``None``: never migrated)."""
    if current is None:
        return SchemaStatus.EMPTY
    if current == head_revision():
        return SchemaStatus.UP_TO_DATE
    known = {script.revision for script in _script_directory().walk_revisions()}
    return SchemaStatus.BEHIND if current in known else SchemaStatus.AHEAD


async def current_revision(engine: AsyncEngine) -> str | None:
    """Return the database's revision, or ``None`` when it has never been migrated."""
    async with engine.connect() as connection:
        return await connection.run_sync(_read_revision)


async def check_schema(engine: AsyncEngine) -> SchemaStatus:
    """Compare the database's revision with this Switchboard's migrations."""
    return classify_revision(await current_revision(engine))


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` (default: the newest), in one transaction."""
    await _run_locked(engine, "upgrade", revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Migrate the database down to ``revision`` (``"base"`` removes every table)."""
    await _run_locked(engine, "downgrade", revision)


async def prepare_database(engine: AsyncEngine, *, auto_migrate: bool) -> SchemaStatus:
    """Make sure the schema matches this Switchboard before serving.

    Returns the status found before any migration. Raises
    :class:`~switchboard.db.engine.DatabaseUnavailable` when the database does not answer,
    :class:`SchemaTooNew` when a newer Switchboard migrated it, and :class:`SchemaBehind`
    when it needs migrating and ``auto_migrate`` is false.
    """
    await connect_check(engine)
    current = await current_revision(engine)
    status = classify_revision(current)
    if status is SchemaStatus.AHEAD and current is not None:
        raise SchemaTooNew(current, head_revision())
    if status in (SchemaStatus.BEHIND, SchemaStatus.EMPTY):
        if not auto_migrate:
            raise SchemaBehind(current, head_revision())
        await upgrade(engine)
    return status


async def autogenerate_revision(engine: AsyncEngine, message: str, revision_id: str) -> Path:
    """Write a new migration script, generated from the differences between the models and
    the database at ``engine`` (which should be at head), and return its path.

    For developers changing the models; review the script before committing it.
    """
    async with engine.connect() as connection:
        return await connection.run_sync(_autogenerate, message, revision_id)


def _autogenerate(connection: Connection, message: str, revision_id: str) -> Path:
    config = alembic_config()
    config.attributes["connection"] = connection
    script = command.revision(config, message=message, autogenerate=True, rev_id=revision_id)
    if not isinstance(script, Script):
        raise RuntimeError("Alembic generated no single revision script")
    return Path(script.path)


def _read_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def _run_locked(engine: AsyncEngine, direction: str, revision: str) -> None:
    async with engine.connect() as connection:
        # Takes SQLite's write lock at BEGIN: a second process waits (busy timeout) and then
        # sees the new revision, rather than failing halfway through its own upgrade.
        await connection.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        async with connection.begin():
            await _lock_for_migration(connection)
            await connection.run_sync(_run_command, direction, revision)


async def _lock_for_migration(connection: AsyncConnection) -> None:
    if connection.dialect.name == "postgresql":
        # Released at commit; a second process blocks here until the first is done.
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
        )


def _run_command(connection: Connection, direction: str, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    if direction == "upgrade":
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)
