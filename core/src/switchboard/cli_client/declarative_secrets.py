"""Secrets an apply file points at: connection credentials and user passwords.

A credential field is written literally (``apiKey: sk-...``), or as ``apiKeyFromEnv:
VARIABLE`` (the value of an environment variable) or ``apiKeyFromFile: PATH`` (a file's
contents without its final line break; a relative path is relative to the apply file's
folder). Users' passwords come from ``passwordFromEnv`` or ``passwordFile`` only.

Secrets are read only when they are about to be sent, so a file whose connections exist
already applies without its variables set; a missing variable or file is an error naming
the field's path, raised before anything is changed.
"""

from __future__ import annotations

import os
from pathlib import Path

from msgspec import UnsetType

from switchboard.cli_client.declarative_spec import ConnectionSpec, UserSpec

__all__ = [
    "FROM_ENV",
    "FROM_FILE",
    "SecretError",
    "credential_fields",
    "env_variable_name",
    "resolve_credentials",
    "resolve_password",
]

FROM_ENV = "FromEnv"
FROM_FILE = "FromFile"


class SecretError(Exception):
    """A secret cannot be read; the message names the field's path."""


def _field_of(key: str) -> tuple[str, str | None]:
    """``("apiKey", "FromEnv")`` for ``apiKeyFromEnv``; ``("apiKey", None)`` for ``apiKey``."""
    for suffix in (FROM_ENV, FROM_FILE):
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)], suffix
    return key, None


def credential_fields(spec: ConnectionSpec) -> set[str]:
    """The credential fields the file sets (``apiKey`` for ``apiKeyFromEnv``), unread."""
    if isinstance(spec.credentials, UnsetType):
        return set()
    return {_field_of(key)[0] for key in spec.credentials}


def _from_env(variable: str, where: str) -> str:
    value = os.environ.get(variable)
    if not value:
        raise SecretError(f"{where}: environment variable {variable} is not set")
    return value


def _from_file(name: str, base: Path, where: str) -> str:
    path = Path(name).expanduser()
    if not path.is_absolute():
        path = base / path
    try:
        value = path.read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SecretError(f"{where}: cannot read {path}: {reason}") from None
    if not value:
        raise SecretError(f"{where}: {path} is empty")
    return value


def resolve_credentials(spec: ConnectionSpec, base: Path, where: str) -> dict[str, str]:
    """The credentials to send for ``spec``; ``where`` is its path in the file."""
    if isinstance(spec.credentials, UnsetType):
        return {}
    resolved: dict[str, str] = {}
    for key, value in spec.credentials.items():
        field, source = _field_of(key)
        path = f"{where}.credentials.{key}"
        if field in resolved:
            raise SecretError(f"{path}: {field} is given twice")
        if source == FROM_ENV:
            resolved[field] = _from_env(value, path)
        elif source == FROM_FILE:
            resolved[field] = _from_file(value, base, path)
        else:
            resolved[field] = value
    return resolved


def resolve_password(spec: UserSpec, base: Path, where: str) -> str | None:
    """The password to set for ``spec``, or None when the file gives none."""
    from_env = not isinstance(spec.password_from_env, UnsetType)
    from_file = not isinstance(spec.password_file, UnsetType)
    if from_env and from_file:
        raise SecretError(f"{where}: give passwordFromEnv or passwordFile, not both")
    if isinstance(spec.password_from_env, str):
        return _from_env(spec.password_from_env, f"{where}.passwordFromEnv")
    if isinstance(spec.password_file, str):
        return _from_file(spec.password_file, base, f"{where}.passwordFile")
    return None


def env_variable_name(connection: str, field: str) -> str:
    """``SWITCHBOARD_OPENAI_MAIN_API_KEY`` for connection ``openai-main``, field ``apiKey``."""
    snake = "".join(f"_{c}" if c.isupper() else c for c in field)
    parts = f"{connection}_{snake}".upper()
    cleaned = "".join(c if c.isascii() and c.isalnum() else "_" for c in parts)
    return "SWITCHBOARD_" + "_".join(part for part in cleaned.split("_") if part)
