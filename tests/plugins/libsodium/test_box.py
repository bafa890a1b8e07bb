"""The libsodium box: round trips, binding to the connection, tampering, keys by id."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import pytest

from switchboard.interfaces import SecretBoxError
from switchboard.plugins import PluginHost, resolve_selection
from switchboard.plugins.selection import EnvironmentPlugins
from switchboard.settings import load_settings
from switchboard_libsodium import LibsodiumBox

PLAINTEXT = b'{"apiKey": "sk-live-0123456789abcdef"}'
OLD_KEY = os.urandom(32)
NEW_KEY = os.urandom(32)


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def make_box(tmp_path: Path, key: bytes | None, *previous: bytes) -> LibsodiumBox:
    settings = load_settings(
        {},
        data_dir=str(tmp_path / "data"),
        encryption_key=b64(key) if key else "",
        previous_encryption_keys=",".join(b64(k) for k in previous),
    )
    return LibsodiumBox(settings)


@pytest.fixture
def environment() -> EnvironmentPlugins:
    host = PluginHost(load_settings({}, plugins="libsodium"))
    host.load_entry_points()
    return resolve_selection(host, {})


async def test_round_trip_with_the_documented_layout(
    tmp_path: Path, environment: EnvironmentPlugins
) -> None:
    box = make_box(tmp_path, NEW_KEY)
    sealed = await box.seal(PLAINTEXT, context="conn-1", environment=environment)

    assert sealed[0] == 1
    assert sealed[1:9] == hashlib.sha256(NEW_KEY).digest()[:8]
    assert len(sealed) == 1 + 8 + 24 + len(PLAINTEXT) + 16
    assert PLAINTEXT not in sealed and b"sk-live" not in sealed
    assert await box.open(sealed, context="conn-1", environment=environment) == PLAINTEXT


async def test_each_seal_uses_a_new_nonce(tmp_path: Path, environment: EnvironmentPlugins) -> None:
    box = make_box(tmp_path, NEW_KEY)
    first = await box.seal(PLAINTEXT, context="c", environment=environment)
    second = await box.seal(PLAINTEXT, context="c", environment=environment)
    assert first[9:33] != second[9:33]
    assert first != second


async def test_a_ciphertext_copied_to_another_connection_does_not_open(
    tmp_path: Path, environment: EnvironmentPlugins
) -> None:
    box = make_box(tmp_path, NEW_KEY)
    sealed = await box.seal(PLAINTEXT, context="conn-1", environment=environment)
    with pytest.raises(SecretBoxError, match="belongs to another connection") as caught:
        await box.open(sealed, context="conn-2", environment=environment)
    assert "sk-live" not in str(caught.value)


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        (0, "unsupported libsodium ciphertext version"),
        (3, "neither SWITCHBOARD_ENCRYPTION_KEY nor one of"),  # the key id
        (20, "did not verify"),  # the nonce
        (40, "did not verify"),  # the encrypted body
        (-1, "did not verify"),  # the tag
    ],
)
async def test_tampering_anywhere_is_refused(
    tmp_path: Path, environment: EnvironmentPlugins, position: int, expected: str
) -> None:
    box = make_box(tmp_path, NEW_KEY)
    sealed = bytearray(await box.seal(PLAINTEXT, context="c", environment=environment))
    sealed[position] ^= 0x01
    with pytest.raises(SecretBoxError, match=expected):
        await box.open(bytes(sealed), context="c", environment=environment)


async def test_a_truncated_ciphertext_is_refused(
    tmp_path: Path, environment: EnvironmentPlugins
) -> None:
    box = make_box(tmp_path, NEW_KEY)
    sealed = await box.seal(b"", context="c", environment=environment)
    assert await box.open(sealed, context="c", environment=environment) == b""
    with pytest.raises(SecretBoxError, match="not a libsodium ciphertext"):
        await box.open(sealed[:-1], context="c", environment=environment)


async def test_previous_keys_open_and_only_the_current_key_seals(
    tmp_path: Path, environment: EnvironmentPlugins
) -> None:
    old_box = make_box(tmp_path, OLD_KEY)
    old = await old_box.seal(PLAINTEXT, context="c", environment=environment)

    rotated = make_box(tmp_path, NEW_KEY, OLD_KEY)
    assert await rotated.open(old, context="c", environment=environment) == PLAINTEXT
    assert await rotated.needs_reseal(old, context="c", environment=environment)
    new = await rotated.seal(PLAINTEXT, context="c", environment=environment)
    assert new[1:9] == hashlib.sha256(NEW_KEY).digest()[:8]
    assert not await rotated.needs_reseal(new, context="c", environment=environment)

    new_only = make_box(tmp_path, NEW_KEY)
    assert await new_only.open(new, context="c", environment=environment) == PLAINTEXT
    with pytest.raises(SecretBoxError) as caught:
        await new_only.open(old, context="c", environment=environment)
    message = str(caught.value)
    assert hashlib.sha256(OLD_KEY).digest()[:8].hex() in message
    assert "SWITCHBOARD_PREVIOUS_ENCRYPTION_KEYS" in message
    assert b64(OLD_KEY) not in message and b64(NEW_KEY) not in message


async def test_a_key_listed_as_current_and_previous_is_harmless(
    tmp_path: Path, environment: EnvironmentPlugins
) -> None:
    box = make_box(tmp_path, NEW_KEY, NEW_KEY, OLD_KEY)
    sealed = await box.seal(PLAINTEXT, context="c", environment=environment)
    assert await box.open(sealed, context="c", environment=environment) == PLAINTEXT
    assert box.keys().key_ids == [
        hashlib.sha256(NEW_KEY).digest()[:8].hex(),
        hashlib.sha256(OLD_KEY).digest()[:8].hex(),
    ]


def test_reprs_show_key_ids_never_keys(tmp_path: Path) -> None:
    box = make_box(tmp_path, NEW_KEY, OLD_KEY)
    assert repr(box) == "LibsodiumBox(keys not loaded)"
    ring = box.keys()
    shown = " ".join([repr(box), repr(ring), repr(ring.current), str(ring.current)])
    assert hashlib.sha256(NEW_KEY).digest()[:8].hex() in shown
    for key in (NEW_KEY, OLD_KEY):
        assert b64(key) not in shown and key.hex() not in shown and repr(key) not in shown
