"""Where ``switchboard login`` keeps the gateway URL and personal access token it created.

The file is ``credentials.json`` in ``$SWITCHBOARD_CONFIG_DIR``, else
``$XDG_CONFIG_HOME/switchboard``, else ``~/.config/switchboard``. The folder is made 0700 and
the file 0600, written to a temporary file first and renamed, so a reader never sees half a
file and nobody else can read the token at any moment.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import msgspec

__all__ = [
    "CONFIG_DIR_VARIABLE",
    "Credentials",
    "CredentialsError",
    "config_dir",
    "credentials_path",
    "forget",
    "load",
    "save",
]

CONFIG_DIR_VARIABLE = "SWITCHBOARD_CONFIG_DIR"
FILE_NAME = "credentials.json"


class CredentialsError(Exception):
    """The credentials file exists but cannot be read or used; the message names it."""


class Credentials(msgspec.Struct, rename="camel", kw_only=True):
    """A gateway and a token for it. ``token_id`` lets ``switchboard logout`` revoke it."""

    url: str
    token: str
    token_id: str | None = None
    username: str | None = None


def config_dir() -> Path:
    """The folder holding the credentials file."""
    configured = os.environ.get(CONFIG_DIR_VARIABLE)
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "switchboard"


def credentials_path() -> Path:
    """The credentials file, whether or not it exists."""
    return config_dir() / FILE_NAME


def load() -> Credentials | None:
    """The stored credentials, or None when there is no file."""
    path = credentials_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CredentialsError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return msgspec.json.decode(raw, type=Credentials)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise CredentialsError(
            f"{path} is not a credentials file ({exc}): run switchboard login again"
        ) from None


def save(credentials: Credentials) -> Path:
    """Write ``credentials`` (file 0600, folder 0700) and return the file's path."""
    path = credentials_path()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Tighten a folder that existed already; one we do not own is left as it is (the
        # file itself is 0600 either way).
        with contextlib.suppress(OSError):
            os.chmod(path.parent, 0o700)
        # mkstemp creates the file 0600, so the token is never readable by others.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".credentials-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(msgspec.json.format(msgspec.json.encode(credentials)) + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError as exc:
        raise CredentialsError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def forget() -> bool:
    """Delete the credentials file; False when there was none."""
    path = credentials_path()
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise CredentialsError(f"cannot delete {path}: {exc.strerror or exc}") from None
    return True
