"""Nothing the libsodium box or a rotation produces shows a key or a credential.

One scenario goes through every path that writes text an operator or a client could see
(log lines at DEBUG, exceptions with their tracebacks and chained causes, reprs, command
output), and every piece of that text is searched for every secret the scenario used, in
every form a leak would take (raw text, base64, URL-safe base64, hex, bytes repr).
"""

from __future__ import annotations

import base64
import logging
import os
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from switchboard.context import GatewayContext
from switchboard.db.engine import create_engine, session_factory
from switchboard.db.migrations import upgrade
from switchboard.db.models import AIConnection, Environment, Workspace, new_id
from switchboard.interfaces import SecretBoxError
from switchboard.plugins import PluginHost, Registry, resolve_selection
from switchboard.secrets_rotation import rotate_credentials
from switchboard.settings import load_settings
from switchboard_libsodium import EncryptionKeyError, LibsodiumBox

API_KEY = "sk-never-shown-" + os.urandom(8).hex()
PLAINTEXT = ('{"apiKey": "' + API_KEY + '"}').encode()


def forms(secret: bytes | str) -> set[str]:
    """The ways a secret could show up in text."""
    if isinstance(secret, str):
        return {secret}
    return {
        base64.b64encode(secret).decode(),
        base64.urlsafe_b64encode(secret).decode().rstrip("="),
        secret.hex(),
        repr(secret)[2:-1],
    }


class Produced:
    """Everything the scenario wrote: exceptions (rendered whole) and other text."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    async def error(self, action: Callable[[], Awaitable[Any]]) -> BaseException:
        try:
            await action()
        except Exception as exc:
            self.texts.append("".join(traceback.format_exception(exc)))
            self.texts.append(repr(exc))
            return exc
        raise AssertionError("expected an error")

    def add(self, *texts: object) -> None:
        self.texts.extend(t if isinstance(t, str) else repr(t) for t in texts)


async def test_no_key_or_credential_appears_in_anything_produced(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    produced = Produced()
    current, previous, unknown = os.urandom(32), os.urandom(32), os.urandom(32)
    short = os.urandom(31)  # a "key" of the wrong length: still a secret
    host = PluginHost(load_settings({}, plugins="libsodium"))
    host.load_entry_points()
    environment = resolve_selection(host, {})

    with caplog.at_level(logging.DEBUG):
        # Embedded mode: a key is generated and announced.
        embedded_dir = tmp_path / "embedded"
        embedded = LibsodiumBox(load_settings({}, data_dir=str(embedded_dir)))
        await embedded.seal(PLAINTEXT, context="c", environment=environment)
        generated = base64.b64decode((embedded_dir / "encryption.key").read_text())
        produced.add(embedded, embedded.keys(), embedded.keys().current)

        # Configured keys: the happy path and every refusal.
        settings = load_settings(
            {},
            data_dir=str(tmp_path / "configured"),
            encryption_key=base64.b64encode(current).decode(),
            previous_encryption_keys=base64.b64encode(previous).decode(),
        )
        box = LibsodiumBox(settings)
        sealed = await box.seal(PLAINTEXT, context="conn-1", environment=environment)
        assert await box.open(sealed, context="conn-1", environment=environment) == PLAINTEXT
        await produced.error(lambda: box.open(sealed, context="conn-2", environment=environment))
        tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
        await produced.error(lambda: box.open(tampered, context="conn-1", environment=environment))
        stranger = LibsodiumBox(
            load_settings(
                {}, data_dir=str(tmp_path), encryption_key=base64.b64encode(unknown).decode()
            )
        )
        await produced.error(
            lambda: stranger.open(sealed, context="conn-1", environment=environment)
        )
        produced.add(settings, box, box.keys(), stranger)

        postgres = LibsodiumBox(
            load_settings(
                {}, data_dir=str(tmp_path / "pg"), database_url="postgresql+asyncpg://u@h/db"
            )
        )
        await produced.error(lambda: postgres.seal(PLAINTEXT, context="c", environment=environment))
        malformed = load_settings(
            {},
            plugins="libsodium",
            data_dir=str(tmp_path),
            encryption_key=base64.b64encode(short).decode(),
            previous_encryption_keys=base64.b64encode(previous).decode(),
        )
        error = await produced.error(
            lambda: LibsodiumBox(malformed).seal(PLAINTEXT, context="c", environment=environment)
        )
        assert isinstance(error, EncryptionKeyError)
        startup_host = PluginHost(malformed)
        startup_host.load_entry_points()
        await produced.error(lambda: startup_host.hooks.startup(gateway=GatewayContext(malformed)))
        produced.add(malformed)

        # A rotation, with one connection that does not open.
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'rotation.db'}")
        try:
            await upgrade(engine)
            sessions = session_factory(engine)
            async with sessions() as session:
                workspace = Workspace(name="acme")
                session.add(workspace)
                await session.flush()
                env = Environment(workspace_id=workspace.id, name="prod", plugins={})
                session.add(env)
                await session.flush()
                old_box = LibsodiumBox(
                    load_settings(
                        {},
                        data_dir=str(tmp_path),
                        encryption_key=base64.b64encode(previous).decode(),
                    )
                )
                for name, sealer in (("ok", old_box), ("stray", stranger)):
                    connection_id = new_id()
                    session.add(
                        AIConnection(
                            id=connection_id,
                            environment_id=env.id,
                            name=name,
                            provider="openai",
                            secret_box="libsodium",
                            credentials_ciphertext=await sealer.seal(
                                PLAINTEXT, context=connection_id, environment=environment
                            ),
                        )
                    )
                await session.commit()
            rotating_host = PluginHost(settings)
            rotating_host.load_entry_points()
            registry = Registry.collect(rotating_host.hooks, GatewayContext(settings))
            report = await rotate_credentials(sessions, registry, rotating_host)
            assert report.resealed == 1 and len(report.failures) == 1
            produced.add(report, *(f.message for f in report.failures))
        finally:
            await engine.dispose()

    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
    produced.add(*(formatter.format(record) for record in caplog.records))
    captured = capsys.readouterr()
    produced.add(captured.out, captured.err)
    assert any("generated a new encryption key" in t for t in produced.texts)
    assert any(isinstance(t, str) and "did not verify" in t for t in produced.texts)

    secrets = {
        "generated key": forms(generated),
        "current key": forms(current),
        "previous key": forms(previous),
        "unknown key": forms(unknown),
        "malformed key": forms(short),
        "api key": forms(API_KEY),
        "plaintext": forms(PLAINTEXT) | forms(PLAINTEXT.decode()),
    }
    for label, shapes in secrets.items():
        for shape in shapes:
            leaks = [text for text in produced.texts if shape in text]
            assert not leaks, f"the {label} appears in: {leaks[0][:300]}"


def test_the_scenario_would_see_a_leak() -> None:
    """The search itself works: a secret in a message is found in each of its forms."""
    secret = os.urandom(32)
    for shape in forms(secret):
        error = SecretBoxError(f"oops {shape}")
        rendered = "".join(traceback.format_exception(error))
        assert any(s in rendered for s in forms(secret))
