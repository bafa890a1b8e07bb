"""Carrying out a plan through the API, and keeping the secrets of the API keys it creates.

A new API key's secret is in the answer that creates it and nowhere else, so it is kept
even when a later change fails: printed once, or merged into the ``--keys-out`` file (JSON,
``{"<ws>/<env>/<key>": "sk-sb-..."}``, mode 0600, written to a temporary file first and
renamed, so it is never readable by others nor half written).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from switchboard.cli_client.client import Client, RemoteError, Unreachable
from switchboard.cli_client.declarative_changes import Change

__all__ = [
    "ApplyError",
    "KeysFileError",
    "counts",
    "execute",
    "read_keys_file",
    "write_keys_file",
]


class ApplyError(Exception):
    """A change failed; the message names the object and the gateway's reason."""


class KeysFileError(Exception):
    """The ``--keys-out`` file cannot be read or written."""


def execute(
    client: Client,
    changes: list[Change],
    new_keys: dict[str, str],
    done: Callable[[Change], None],
) -> None:
    """Make ``changes`` in order; call ``done`` after each. New API keys' secrets are added
    to ``new_keys`` as they come, so the caller has them even when a later change fails."""
    for change in changes:
        for call in change.calls:
            try:
                answer = client.request(call.method, call.path, call.body)
            except RemoteError as exc:
                raise ApplyError(f"{change.title}: {exc.message}") from None
            except Unreachable as exc:
                raise ApplyError(f"{change.title}: {exc}") from None
            if call.new_key is not None and isinstance(answer, dict):
                secret = answer.get("key")
                if isinstance(secret, str):
                    new_keys[call.new_key] = secret
        done(change)


def counts(changes: list[Change]) -> dict[str, int]:
    """How many objects each verb touches."""
    tally = {"create": 0, "update": 0, "delete": 0}
    for change in changes:
        tally[change.verb] += 1
    return tally


def read_keys_file(path: Path) -> dict[str, str]:
    """The secrets a ``--keys-out`` file holds already (none when it does not exist)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise KeysFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        keys = json.loads(raw) if raw.strip() else {}
    except ValueError:
        keys = None
    if not isinstance(keys, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in keys.items()
    ):
        raise KeysFileError(f"{path} exists and is not a keys file written by switchboard apply")
    return keys


def write_keys_file(path: Path, new_keys: dict[str, str]) -> None:
    """Merge ``new_keys`` into the file at ``path`` (0600, replaced atomically)."""
    keys = {**read_keys_file(path), **new_keys}
    folder = path.parent if str(path.parent) else Path()
    try:
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".keys-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(keys, handle, indent=2, sort_keys=True)
                handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError as exc:
        raise KeysFileError(f"cannot write {path}: {exc.strerror or exc}") from None
