"""Where the libsodium box's keys come from: settings, the generated embedded key, refusals."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import stat
import threading
import traceback
from pathlib import Path

import pytest

from switchboard.plugins import PluginHost, resolve_selection
from switchboard.plugins.selection import EnvironmentPlugins
from switchboard.settings import load_settings
from switchboard_libsodium import EncryptionKeyError, LibsodiumBox, load_keyring

POSTGRES_URL = "postgresql+asyncpg://switchboard@db.invalid:5432/switchboard"
PLAINTEXT = b'{"apiKey": "sk-embedded-secret"}'


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


@pytest.fixture
def environment() -> EnvironmentPlugins:
    host = PluginHost(load_settings({}, plugins="libsodium"))
    host.load_entry_points()
    return resolve_selection(host, {})


async def test_embedded_mode_generates_a_private_key_file_once(
    tmp_path: Path, environment: EnvironmentPlugins, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "data"
    settings = load_settings({}, data_dir=str(data_dir))
    box = LibsodiumBox(settings)
    key_file = data_dir / "encryption.key"
    assert not key_file.exists()  # nothing happens before first use

    with caplog.at_level(logging.WARNING):
        sealed = await box.seal(PLAINTEXT, context="c", environment=environment)

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = base64.b64decode(key_file.read_text())
    assert len(key) == 32
    assert sealed[1:9] == hashlib.sha256(key).digest()[:8]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert str(key_file) in message and "SWITCHBOARD_ENCRYPTION_KEY" in message
    assert b64(key) not in caplog.text and key.hex() not in caplog.text
    assert [p.name for p in data_dir.iterdir()] == ["encryption.key"]  # no temporary left

    # Another process (a restart, another worker) reads the same key, without a warning.
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        again = LibsodiumBox(settings)
        assert await again.open(sealed, context="c", environment=environment) == PLAINTEXT
    assert caplog.records == []
    assert base64.b64decode(key_file.read_text()) == key


def test_processes_racing_to_generate_all_get_the_same_key(tmp_path: Path) -> None:
    settings = load_settings({}, data_dir=str(tmp_path / "data"))
    ids: list[bytes] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def load() -> None:
        start.wait()
        try:
            ids.append(load_keyring(settings).current.id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(ids)) == 1
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["encryption.key"]


def test_a_key_file_others_can_read_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    key = os.urandom(32)
    key_file = data_dir / "encryption.key"
    key_file.write_text(b64(key) + "\n")
    key_file.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        ring = load_keyring(load_settings({}, data_dir=str(data_dir)))
    assert ring.current.secret == key
    assert "chmod 600" in caplog.text and b64(key) not in caplog.text


async def test_postgres_without_a_key_is_refused_naming_the_variable(
    tmp_path: Path, environment: EnvironmentPlugins
) -> None:
    data_dir = tmp_path / "data"
    box = LibsodiumBox(load_settings({}, data_dir=str(data_dir), database_url=POSTGRES_URL))
    with pytest.raises(EncryptionKeyError, match="SWITCHBOARD_ENCRYPTION_KEY is not set") as first:
        await box.seal(PLAINTEXT, context="c", environment=environment)
    with pytest.raises(EncryptionKeyError):
        await box.open(b"\x01" + bytes(60), context="c", environment=environment)
    assert first.value.status_code == 503
    assert "PostgreSQL" in str(first.value)
    assert not data_dir.exists()  # no key is ever generated for a shared database


async def test_postgres_with_a_key_works(tmp_path: Path, environment: EnvironmentPlugins) -> None:
    key = os.urandom(32)
    settings = load_settings(
        {}, data_dir=str(tmp_path), database_url=POSTGRES_URL, encryption_key=b64(key)
    )
    box = LibsodiumBox(settings)
    sealed = await box.seal(PLAINTEXT, context="c", environment=environment)
    assert sealed[1:9] == hashlib.sha256(key).digest()[:8]


async def test_a_configured_key_keeps_opening_what_the_generated_one_sealed(
    tmp_path: Path, environment: EnvironmentPlugins
) -> None:
    data_dir = tmp_path / "data"
    embedded = LibsodiumBox(load_settings({}, data_dir=str(data_dir)))
    sealed = await embedded.seal(PLAINTEXT, context="c", environment=environment)

    configured = LibsodiumBox(
        load_settings({}, data_dir=str(data_dir), encryption_key=b64(os.urandom(32)))
    )
    assert await configured.open(sealed, context="c", environment=environment) == PLAINTEXT
    assert await configured.needs_reseal(sealed, context="c", environment=environment)


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        (
            {"encryption_key": "not base64 at all!"},
            "SWITCHBOARD_ENCRYPTION_KEY is not valid base64",
        ),
        (
            {"encryption_key": b64(b"thirty-one bytes of not-a-key!!")},
            "SWITCHBOARD_ENCRYPTION_KEY must decode to 32 bytes, not 31",
        ),
        (
            {
                "encryption_key": b64(os.urandom(32)),
                "previous_encryption_keys": b64(os.urandom(32)) + ", " + b64(b"short"),
            },
            r"SWITCHBOARD_PREVIOUS_ENCRYPTION_KEYS \(entry 2\) must decode to 32 bytes, not 5",
        ),
    ],
)
def test_a_malformed_key_is_refused_without_showing_it(
    tmp_path: Path, variables: dict[str, str], expected: str
) -> None:
    with pytest.raises(EncryptionKeyError, match=expected) as caught:
        load_keyring(load_settings({}, data_dir=str(tmp_path), **variables))
    # The whole rendered traceback, chained exceptions included, as a log would show it.
    rendered = "".join(traceback.format_exception(caught.value))
    for value in variables.values():
        for part in value.split(","):
            assert part.strip() not in rendered


def test_url_safe_base64_without_padding_is_accepted(tmp_path: Path) -> None:
    key = bytes(range(250, 256)) + os.urandom(26)  # bytes that need '+' or '/' in base64
    url_safe = base64.urlsafe_b64encode(key).decode().rstrip("=")
    ring = load_keyring(load_settings({}, data_dir=str(tmp_path), encryption_key=url_safe))
    assert ring.current.secret == key
