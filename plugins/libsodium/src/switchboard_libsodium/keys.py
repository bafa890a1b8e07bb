"""The libsodium box's keys: the current one that seals, previous ones that still open.

Where keys come from, in this order:

* ``SWITCHBOARD_ENCRYPTION_KEY``: the current key, 32 random bytes in base64 (standard or
  URL-safe alphabet, padding optional). ``python -c "import base64, os;
  print(base64.b64encode(os.urandom(32)).decode())"`` makes one.
* ``SWITCHBOARD_PREVIOUS_ENCRYPTION_KEYS``: comma-separated keys that only open, so
  ciphertexts sealed before a rotation keep working until ``switchboard secrets rotate``
  has re-sealed them.
* ``<data dir>/encryption.key``: with the embedded SQLite database and no configured key,
  the current key is read from this file, generated there (mode 0600) on first use with a
  warning. When a key is configured later, the file's key still opens what it sealed.

With PostgreSQL there is no generated key: several replicas share one database and must
share one key, which only the operator can hand them, so a missing key is refused with an
error naming ``SWITCHBOARD_ENCRYPTION_KEY``.

A key is known in ciphertexts and messages only by its *key id*, the first 8 bytes of its
SHA-256. Key bytes never appear in a ``repr``, a log line or an error message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import secrets
from pathlib import Path

from switchboard.errors import ServiceUnavailable
from switchboard.settings import Settings, env_var_name

__all__ = [
    "KEY_BYTES",
    "KEY_FILE_NAME",
    "KEY_ID_BYTES",
    "EncryptionKeyError",
    "Key",
    "KeyRing",
    "key_id",
    "load_keyring",
]

log = logging.getLogger(__name__)

KEY_BYTES = 32
KEY_ID_BYTES = 8
KEY_FILE_NAME = "encryption.key"

CURRENT_VAR = env_var_name("encryption_key")
PREVIOUS_VAR = env_var_name("previous_encryption_keys")


class EncryptionKeyError(ServiceUnavailable):
    """The encryption keys are missing or malformed: the operator must fix the settings.

    A 503, because the gateway works again as soon as the configuration is fixed. The
    message names the variable (or file) and the problem, never the value.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, code="encryption_key")


def key_id(secret: bytes) -> bytes:
    """The id a ciphertext names its key by: the first 8 bytes of the key's SHA-256."""
    return hashlib.sha256(secret).digest()[:KEY_ID_BYTES]


class Key:
    """One 32-byte key, where it came from, and its id.

    ``secret`` is the key itself; ``repr`` and ``str`` show only the id and the source.
    """

    __slots__ = ("id", "secret", "source")

    def __init__(self, secret: bytes, source: str) -> None:
        if len(secret) != KEY_BYTES:
            raise EncryptionKeyError(f"{source} must be {KEY_BYTES} bytes, not {len(secret)}")
        self.secret = secret
        self.source = source
        self.id = key_id(secret)

    def __repr__(self) -> str:
        return f"Key(id={self.id.hex()}, source={self.source!r})"

    __str__ = __repr__


class KeyRing:
    """The current key and every key that may still open a ciphertext, by key id."""

    __slots__ = ("_by_id", "current")

    def __init__(self, current: Key, previous: list[Key]) -> None:
        self.current = current
        self._by_id: dict[bytes, Key] = {}
        # The current key wins an id clash (the same key also listed as previous).
        for key in [*previous, current]:
            self._by_id[key.id] = key

    def find(self, wanted: bytes) -> Key | None:
        """The key whose id is ``wanted``, or ``None``."""
        return self._by_id.get(wanted)

    @property
    def key_ids(self) -> list[str]:
        """Hex ids of every key that opens, the current one first."""
        ids = [self.current.id.hex()]
        ids.extend(k.hex() for k in self._by_id if k != self.current.id)
        return ids

    def __repr__(self) -> str:
        return f"KeyRing(current={self.current.id.hex()}, opening={self.key_ids})"


def decode_key(value: str, source: str) -> Key:
    """Decode a base64 key (standard or URL-safe alphabet, padding optional)."""
    text = value.strip().replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        # No chaining: binascii's message can quote the offending characters.
        raise EncryptionKeyError(
            f"{source} is not valid base64 (expected {KEY_BYTES} random bytes in base64)"
        ) from None
    if len(raw) != KEY_BYTES:
        raise EncryptionKeyError(
            f"{source} must decode to {KEY_BYTES} bytes, not {len(raw)} "
            f"(expected {KEY_BYTES} random bytes in base64)"
        )
    return Key(raw, source)


def load_keyring(settings: Settings) -> KeyRing:
    """The keys ``settings`` configure, generating the embedded key file when needed.

    Raises :class:`EncryptionKeyError` when a key is malformed, or when no key is
    configured and the database is not the embedded SQLite.
    """
    previous = [
        decode_key(value, f"{PREVIOUS_VAR} (entry {number})")
        for number, value in enumerate(
            (v for v in settings.previous_encryption_keys.split(",") if v.strip()), start=1
        )
    ]
    key_file = Path(settings.data_dir) / KEY_FILE_NAME
    if settings.encryption_key:
        current = decode_key(settings.encryption_key, CURRENT_VAR)
        # A deployment that started embedded and then set a key keeps opening what the
        # generated key sealed, until a rotation re-seals it and the file is deleted.
        if key_file.exists():
            previous.append(_read_key_file(key_file))
        return KeyRing(current, previous)
    if not settings.is_embedded_database:
        raise EncryptionKeyError(
            f"{CURRENT_VAR} is not set: with PostgreSQL every replica must share one "
            f"encryption key for connection credentials. Set {CURRENT_VAR} to {KEY_BYTES} "
            'random bytes in base64 (python -c "import base64, os; '
            'print(base64.b64encode(os.urandom(32)).decode())"), or, when every environment '
            "uses another secret box, set SWITCHBOARD_DISABLE_PLUGINS=libsodium"
        )
    return KeyRing(_load_or_generate(key_file), previous)


def _read_key_file(path: Path) -> Key:
    source = str(path)
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise EncryptionKeyError(f"cannot read {source}: {type(exc).__name__}") from None
    if mode & 0o077:
        log.warning(
            "%s can be read by other users (mode %o): run chmod 600 on it",
            source,
            mode & 0o777,
        )
    return decode_key(text, source)


def _load_or_generate(path: Path) -> Key:
    """Read the embedded key file, creating it first when it does not exist.

    The new key is written to a private temporary file and hard-linked into place, so two
    processes starting at once never read a half-written key: the loser of the race gets
    ``FileExistsError`` and reads the winner's file.
    """
    if path.exists():
        return _read_key_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = os.urandom(KEY_BYTES)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(descriptor, 0o600)  # whatever the umask says
        os.write(descriptor, base64.b64encode(secret) + b"\n")
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    try:
        os.link(temporary, path)
    except FileExistsError:
        return _read_key_file(path)
    finally:
        temporary.unlink()
    log.warning(
        "generated a new encryption key for connection credentials in %s, because "
        "%s is not set and the database is the embedded SQLite. Back this file up "
        "with the database: without it the stored credentials cannot be opened. In "
        "production set %s instead.",
        path,
        CURRENT_VAR,
        CURRENT_VAR,
    )
    return Key(secret, str(path))
