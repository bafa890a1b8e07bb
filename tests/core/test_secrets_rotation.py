"""``switchboard secrets rotate`` on real SQLite and PostgreSQL: re-seal, resume, refuse."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from switchboard.context import GatewayContext
from switchboard.db.engine import create_engine, session_factory
from switchboard.db.migrations import upgrade
from switchboard.db.models import AIConnection, Environment, Workspace, new_id
from switchboard.hookspecs import hookimpl
from switchboard.interfaces import SecretBox, SecretBoxError
from switchboard.plugins import PluginHost, Registry, resolve_selection
from switchboard.plugins.selection import EnvironmentPlugins
from switchboard.secrets_rotation import rotate_credentials
from switchboard.settings import load_settings
from switchboard.vault import open_credentials, seal_credentials

Sessions = async_sessionmaker[AsyncSession]

OLD_KEY = base64.b64encode(os.urandom(32)).decode()
NEW_KEY = base64.b64encode(os.urandom(32)).decode()
STRAY_KEY = base64.b64encode(os.urandom(32)).decode()
CREDENTIALS = {"apiKey": "sk-rotate-me-0123456789"}
EARLY = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


class ContextBox(SecretBox):
    """A second box (plain text bound to the context): where an environment may move to."""

    name = "context-box"

    async def seal(
        self, plaintext: bytes, *, context: str, environment: EnvironmentPlugins
    ) -> bytes:
        return context.encode() + b"|" + plaintext

    async def open(
        self, ciphertext: bytes, *, context: str, environment: EnvironmentPlugins
    ) -> bytes:
        bound, _, body = ciphertext.partition(b"|")
        if bound != context.encode():
            raise SecretBoxError("ciphertext belongs to another context")
        return body

    async def needs_reseal(
        self, ciphertext: bytes, *, context: str, environment: EnvironmentPlugins
    ) -> bool:
        return False


class ContextBoxPlugin:
    """Registers :class:`ContextBox`; environments opt in."""

    ENABLED_BY_DEFAULT: ClassVar[bool] = False

    def __init__(self, box: SecretBox | None = None) -> None:
        self.box = box or ContextBox()

    @hookimpl
    def switchboard_register_secret_boxes(self, gateway: GatewayContext) -> Iterable[SecretBox]:
        return [self.box]


@dataclass
class Keys:
    """A gateway's view: its plugin host and secret boxes, for one key configuration."""

    host: PluginHost
    registry: Registry

    def environment(self, plugins: dict[str, Any] | None = None) -> EnvironmentPlugins:
        return resolve_selection(self.host, plugins or {})


def keys(tmp_path: Path, current: str, *previous: str, extra: object | None = None) -> Keys:
    settings = load_settings(
        {},
        plugins="libsodium",
        data_dir=str(tmp_path / "data"),
        encryption_key=current,
        previous_encryption_keys=",".join(previous),
    )
    host = PluginHost(settings)
    host.load_entry_points()
    if extra is not None:
        host.register(extra, name="context-box")
    return Keys(host, Registry.collect(host.hooks, GatewayContext(settings)))


@pytest.fixture
def sessions(migrated_engine: AsyncEngine) -> Sessions:
    return session_factory(migrated_engine)


async def make_environment(sessions: Sessions, plugins: dict[str, Any] | None = None) -> str:
    async with sessions() as session:
        workspace = Workspace(name=f"acme-{new_id()[-6:]}")
        session.add(workspace)
        await session.flush()
        environment = Environment(workspace_id=workspace.id, name="prod", plugins=plugins or {})
        session.add(environment)
        await session.commit()
        return environment.id


async def add_connection(
    sessions: Sessions, environment_id: str, name: str, view: Keys, *, sealed: bool = True
) -> str:
    """A connection whose credentials ``view`` sealed, as the connections API stores them."""
    connection_id = new_id()
    box, ciphertext = (
        await seal_credentials(view.registry, view.environment(), connection_id, CREDENTIALS)
        if sealed
        else (None, None)
    )
    async with sessions() as session:
        session.add(
            AIConnection(
                id=connection_id,
                environment_id=environment_id,
                name=name,
                provider="openai",
                credentials_ciphertext=ciphertext,
                secret_box=box,
                created_at=EARLY,
                updated_at=EARLY,
            )
        )
        await session.commit()
    return connection_id


async def stored(sessions: Sessions, connection_id: str) -> AIConnection:
    async with sessions() as session:
        row = await session.get(AIConnection, connection_id)
        assert row is not None
        return row


async def test_rotation_reseals_under_the_new_key(sessions: Sessions, tmp_path: Path) -> None:
    old = keys(tmp_path, OLD_KEY)
    environment_id = await make_environment(sessions)
    first = await add_connection(sessions, environment_id, "openai-a", old)
    second = await add_connection(sessions, environment_id, "openai-b", old)
    await add_connection(sessions, environment_id, "no-credentials", old, sealed=False)
    before = (await stored(sessions, first)).credentials_ciphertext

    rotating = keys(tmp_path, NEW_KEY, OLD_KEY)  # what the gateway runs with meanwhile
    report = await rotate_credentials(sessions, rotating.registry, rotating.host)
    assert (report.resealed, report.current, report.changed, report.failures) == (2, 0, 0, [])

    new_only = keys(tmp_path, NEW_KEY)
    for connection_id in (first, second):
        row = await stored(sessions, connection_id)
        assert row.secret_box == "libsodium"
        assert row.updated_at == EARLY  # a re-seal is not an edit
        assert row.credentials_ciphertext is not None
        opened = await open_credentials(
            new_only.registry,
            new_only.environment(),
            connection_id,
            row.secret_box,
            row.credentials_ciphertext,
        )
        assert opened == CREDENTIALS
    assert (await stored(sessions, first)).credentials_ciphertext != before

    # Run again: nothing left to do, and nothing changes.
    snapshot = [(await stored(sessions, c)).credentials_ciphertext for c in (first, second)]
    again = await rotate_credentials(sessions, rotating.registry, rotating.host)
    assert (again.resealed, again.current, again.failures) == (0, 2, [])
    assert [(await stored(sessions, c)).credentials_ciphertext for c in (first, second)] == (
        snapshot
    )


async def test_a_connection_that_does_not_open_is_reported_and_the_rest_rotate(
    sessions: Sessions, tmp_path: Path
) -> None:
    environment_id = await make_environment(sessions)
    good = await add_connection(sessions, environment_id, "good", keys(tmp_path, OLD_KEY))
    stray = await add_connection(sessions, environment_id, "stray", keys(tmp_path, STRAY_KEY))
    orphan = await add_connection(sessions, environment_id, "orphan", keys(tmp_path, OLD_KEY))
    async with sessions() as session:
        row = await session.get(AIConnection, orphan)
        assert row is not None
        row.secret_box = "uninstalled-box"
        await session.commit()

    rotating = keys(tmp_path, NEW_KEY, OLD_KEY)
    report = await rotate_credentials(sessions, rotating.registry, rotating.host)

    assert report.resealed == 1
    failures = {f.connection_id: f for f in report.failures}
    assert set(failures) == {stray, orphan}
    assert failures[stray].path.endswith("/prod/stray")
    assert "SWITCHBOARD_PREVIOUS_ENCRYPTION_KEYS" in failures[stray].message
    assert "'uninstalled-box'" in failures[orphan].message
    new_only = keys(tmp_path, NEW_KEY)
    row = await stored(sessions, good)
    assert row.credentials_ciphertext is not None
    assert await open_credentials(
        new_only.registry, new_only.environment(), good, "libsodium", row.credentials_ciphertext
    )


async def test_rotation_moves_connections_to_the_environments_current_box(
    sessions: Sessions, tmp_path: Path
) -> None:
    old = keys(tmp_path, OLD_KEY)
    environment_id = await make_environment(sessions, plugins={"context-box": {}})
    connection_id = await add_connection(sessions, environment_id, "moving", old)

    view = keys(tmp_path, NEW_KEY, OLD_KEY, extra=ContextBoxPlugin())
    report = await rotate_credentials(sessions, view.registry, view.host)
    assert report.resealed == 1

    row = await stored(sessions, connection_id)
    assert row.secret_box == "context-box"
    assert row.credentials_ciphertext == connection_id.encode() + b"|" + b'{"apiKey":' + (
        b'"sk-rotate-me-0123456789"}'
    )
    again = await rotate_credentials(sessions, view.registry, view.host)
    assert (again.resealed, again.current) == (0, 1)


async def test_credentials_changed_during_rotation_are_not_overwritten(
    sessions: Sessions, tmp_path: Path
) -> None:
    environment_id = await make_environment(sessions, plugins={"context-box": {}})
    connection_id = await add_connection(sessions, environment_id, "busy", keys(tmp_path, OLD_KEY))
    written_by_admin = connection_id.encode() + b'|{"apiKey":"sk-set-by-an-admin"}'

    class RacingBox(ContextBox):
        """Seals, but an admin saves new credentials for the row while it does."""

        async def seal(
            self, plaintext: bytes, *, context: str, environment: EnvironmentPlugins
        ) -> bytes:
            async with sessions() as session:
                row = await session.get(AIConnection, context)
                assert row is not None
                row.credentials_ciphertext = written_by_admin
                row.secret_box = "context-box"
                await session.commit()
            return await super().seal(plaintext, context=context, environment=environment)

    view = keys(tmp_path, NEW_KEY, OLD_KEY, extra=ContextBoxPlugin(RacingBox()))
    report = await rotate_credentials(sessions, view.registry, view.host)
    assert (report.resealed, report.changed) == (0, 1)
    assert (await stored(sessions, connection_id)).credentials_ciphertext == written_by_admin


async def test_a_dry_run_opens_everything_and_writes_nothing(
    sessions: Sessions, tmp_path: Path
) -> None:
    environment_id = await make_environment(sessions)
    connection_id = await add_connection(sessions, environment_id, "a", keys(tmp_path, OLD_KEY))
    before = (await stored(sessions, connection_id)).credentials_ciphertext

    rotating = keys(tmp_path, NEW_KEY, OLD_KEY)
    report = await rotate_credentials(sessions, rotating.registry, rotating.host, dry_run=True)
    assert (report.dry_run, report.resealed, report.failures) == (True, 1, [])
    assert (await stored(sessions, connection_id)).credentials_ciphertext == before


# -- the command, as an operator runs it ------------------------------------------------


def run_cli(data_dir: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    env.update(SWITCHBOARD_DATA_DIR=str(data_dir), SWITCHBOARD_PLUGINS="libsodium", **variables)
    return subprocess.run(
        [sys.executable, "-m", "switchboard", "secrets", "rotate", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_the_command_rotates_and_reports(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    engine = create_engine(f"sqlite+aiosqlite:///{data_dir / 'switchboard.db'}")
    try:
        await upgrade(engine)
        sessions = session_factory(engine)
        environment_id = await make_environment(sessions)
        await add_connection(sessions, environment_id, "a", keys(tmp_path, OLD_KEY))
        await add_connection(sessions, environment_id, "b", keys(tmp_path, STRAY_KEY))
    finally:
        await engine.dispose()

    rotate = {
        "SWITCHBOARD_ENCRYPTION_KEY": NEW_KEY,
        "SWITCHBOARD_PREVIOUS_ENCRYPTION_KEYS": OLD_KEY,
    }
    dry = run_cli(data_dir, "--dry-run", **rotate)
    assert dry.stdout.strip() == "would re-seal 1 connection(s); 0 already current"
    first = run_cli(data_dir, **rotate)
    assert first.returncode == 1
    assert first.stdout.strip() == "re-sealed 1 connection(s); 0 already current"
    assert "/prod/b (" in first.stderr
    assert "error: 1 connection(s) could not be re-sealed" in first.stderr

    both = {**rotate, "SWITCHBOARD_PREVIOUS_ENCRYPTION_KEYS": f"{OLD_KEY},{STRAY_KEY}"}
    second = run_cli(data_dir, **both)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "re-sealed 1 connection(s); 1 already current"

    for result in (dry, first, second):
        output = result.stdout + result.stderr
        for secret in (OLD_KEY, NEW_KEY, STRAY_KEY, CREDENTIALS["apiKey"]):
            assert secret not in output


def test_the_command_refuses_a_database_that_is_not_migrated(tmp_path: Path) -> None:
    result = run_cli(tmp_path / "data", SWITCHBOARD_ENCRYPTION_KEY=NEW_KEY)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "switchboard migrate" in result.stderr
