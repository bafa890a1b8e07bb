"""Migrations on SQLite and PostgreSQL: the scripts match the models, up and down, and the
startup checks refuse a database from a newer Switchboard."""

from __future__ import annotations

import asyncio
import io
import shutil
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from switchboard.db import migrations
from switchboard.db.engine import DatabaseUnavailable, create_engine, session_factory
from switchboard.db.migrations import (
    SchemaBehind,
    SchemaStatus,
    SchemaTooNew,
    alembic_config,
    check_schema,
    classify_revision,
    current_revision,
    downgrade,
    head_revision,
    prepare_database,
    upgrade,
)
from switchboard.db.models import Base, Role
from switchboard.policy import parse_statements
from switchboard.roles_default import DEFAULT_ROLES

FUTURE_REVISION = "9999_from_the_future"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    diffs: list[Any] = compare_metadata(context, Base.metadata)
    return diffs


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    return set(names)


def test_scripts_ship_inside_the_package() -> None:
    package = resources.files("switchboard.db") / "alembic"
    assert (package / "env.py").is_file()
    assert (package / "script.py.mako").is_file()
    assert (package / "versions" / "0001_initial.py").is_file()
    assert (package / "versions" / "0002_default_roles.py").is_file()
    assert head_revision() == "0004"
    assert (package / "versions" / "0003_connection_timeouts.py").is_file()
    assert (package / "versions" / "0004_recording.py").is_file()


async def test_upgrade_from_empty_matches_the_models_exactly(engine: AsyncEngine) -> None:
    assert await check_schema(engine) is SchemaStatus.EMPTY
    await upgrade(engine)
    assert await current_revision(engine) == head_revision()
    assert await check_schema(engine) is SchemaStatus.UP_TO_DATE
    assert await _tables(engine) == set(Base.metadata.tables) | {"alembic_version"}
    async with engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


async def test_model_drift_is_detected(engine: AsyncEngine) -> None:
    # Guards the test above: a column the migration lacks must show up as a difference.
    await upgrade(engine)
    async with engine.begin() as connection:
        await connection.exec_driver_sql("ALTER TABLE users ADD COLUMN nickname VARCHAR(10)")
        diffs = await connection.run_sync(_differences)
    assert [diff[0] for diff in diffs] == ["remove_column"]


async def test_downgrade_to_base_and_up_again(engine: AsyncEngine) -> None:
    await upgrade(engine)
    await downgrade(engine, "base")
    assert await _tables(engine) <= {"alembic_version"}
    assert await check_schema(engine) is SchemaStatus.EMPTY
    await upgrade(engine)
    assert await check_schema(engine) is SchemaStatus.UP_TO_DATE


async def test_concurrent_upgrades_migrate_once(database_url: str) -> None:
    engines = [create_engine(database_url) for _ in range(3)]
    try:
        await asyncio.gather(*(upgrade(engine) for engine in engines))
        assert await current_revision(engines[0]) == head_revision()
    finally:
        for engine in engines:
            await engine.dispose()


async def test_a_newer_schema_is_refused_untouched(engine: AsyncEngine) -> None:
    await upgrade(engine)
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE alembic_version SET version_num = :rev"), {"rev": FUTURE_REVISION}
        )
    assert await check_schema(engine) is SchemaStatus.AHEAD
    for auto_migrate in (True, False):
        with pytest.raises(SchemaTooNew) as caught:
            await prepare_database(engine, auto_migrate=auto_migrate)
        assert str(caught.value) == (
            f"database schema {FUTURE_REVISION} is newer than this Switchboard (head "
            f"{head_revision()}); upgrade Switchboard or use a matching version"
        )
    assert await current_revision(engine) == FUTURE_REVISION


async def test_an_empty_database_needs_migrate_unless_auto_migrating(
    engine: AsyncEngine,
) -> None:
    with pytest.raises(SchemaBehind, match="run `switchboard migrate`"):
        await prepare_database(engine, auto_migrate=False)
    assert await _tables(engine) <= {"alembic_version"}

    assert await prepare_database(engine, auto_migrate=True) is SchemaStatus.EMPTY
    assert await check_schema(engine) is SchemaStatus.UP_TO_DATE
    assert await prepare_database(engine, auto_migrate=False) is SchemaStatus.UP_TO_DATE


async def test_an_older_revision_is_behind(engine: AsyncEngine) -> None:
    await upgrade(engine, "0001")
    assert classify_revision("0001") is SchemaStatus.BEHIND
    with pytest.raises(SchemaBehind) as caught:
        await prepare_database(engine, auto_migrate=False)
    assert str(caught.value) == (
        "database schema is at 0001, this Switchboard needs 0004: run `switchboard migrate`"
    )


def test_classify_revision() -> None:
    assert classify_revision(None) is SchemaStatus.EMPTY
    assert classify_revision(head_revision()) is SchemaStatus.UP_TO_DATE
    assert classify_revision(FUTURE_REVISION) is SchemaStatus.AHEAD


async def test_prepare_database_reports_an_unreachable_database() -> None:
    engine = create_engine("postgresql+asyncpg://postgres:secretpw@127.0.0.1:1/x")
    try:
        with pytest.raises(DatabaseUnavailable, match=r"127\.0\.0\.1:1") as caught:
            await prepare_database(engine, auto_migrate=True)
    finally:
        await engine.dispose()
    assert "secretpw" not in str(caught.value)


async def test_autogenerate_writes_a_revision_that_closes_the_gap(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripts = tmp_path / "alembic"
    shutil.copytree(
        migrations.SCRIPT_LOCATION, scripts, ignore=shutil.ignore_patterns("__pycache__")
    )
    monkeypatch.setattr(migrations, "SCRIPT_LOCATION", scripts)
    engine = create_engine(sqlite_url)
    try:
        await upgrade(engine)
        async with engine.begin() as connection:
            await connection.exec_driver_sql("DROP TABLE sessions")
        path = await migrations.autogenerate_revision(engine, "bring sessions back", "9999")
        script = path.read_text()
        assert path.parent == scripts / "versions"
        assert "op.create_table('sessions'" in script
        assert "sa.DateTime(timezone=True)" in script  # not the models' UTCDateTime
        assert "switchboard.db.models" not in script
        assert head_revision() == "9999"
        assert await check_schema(engine) is SchemaStatus.BEHIND
        await upgrade(engine)
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await engine.dispose()


def test_offline_sql_for_postgresql() -> None:
    config = alembic_config()
    config.set_main_option("sqlalchemy.url", "postgresql+asyncpg://db/switchboard")
    output = io.StringIO()
    config.output_buffer = output
    command.upgrade(config, "head", sql=True)
    script = output.getvalue()
    assert "CREATE TABLE users" in script
    assert "JSONB" in script
    assert "ON DELETE CASCADE" in script


def test_env_refuses_to_run_online_without_a_connection() -> None:
    with pytest.raises(RuntimeError, match="switchboard migrate"):
        command.upgrade(alembic_config(), "head")


async def test_default_roles_are_created_as_the_seed_describes(
    migrated_engine: AsyncEngine,
) -> None:
    async with session_factory(migrated_engine)() as session:
        rows = (await session.execute(select(Role).order_by(Role.name))).scalars().all()
    assert {r.name: (r.description, r.statements) for r in rows} == {
        name: (role["description"], role["statements"]) for name, role in DEFAULT_ROLES.items()
    }
    assert all(r.builtin for r in rows)
    for role in rows:
        parse_statements(role.statements)  # every default role is a valid policy
