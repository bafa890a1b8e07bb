"""Process-wide knobs of the database recorder, read from ``SWITCHBOARD_DATABASE_RECORDER_*``.

The recorder's queue, batches and spool belong to the worker process, not to an
environment, so its knobs are environment variables rather than per-environment settings
(an environment only switches the recorder on or off through its ``plugins`` value):

- ``SWITCHBOARD_DATABASE_RECORDER_BATCH_SIZE`` (500): rows per INSERT; a full batch is
  written at once.
- ``SWITCHBOARD_DATABASE_RECORDER_FLUSH_INTERVAL`` (1.0): seconds a queued record waits at
  most before its batch is written.
- ``SWITCHBOARD_DATABASE_RECORDER_QUEUE_SIZE`` (10000): records held in memory; more go
  straight to the spool.
- ``SWITCHBOARD_DATABASE_RECORDER_RETRY_INTERVAL`` (2.0): seconds between probes of a
  database that is down (and between replay rounds).
- ``SWITCHBOARD_DATABASE_RECORDER_WRITE_TIMEOUT`` (10.0): seconds one write may take before
  its batch is spooled.
- ``SWITCHBOARD_DATABASE_RECORDER_SPOOL_DIR`` (empty: ``<data dir>/spool``): the spool folder.
- ``SWITCHBOARD_DATABASE_RECORDER_SPOOL_FILE_MB`` (64): a spool file past this size is sealed
  and a new one begun.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated

import msgspec

__all__ = ["ENV_PREFIX", "RecorderOptions", "RecorderOptionsError", "options_from_env"]

ENV_PREFIX = "SWITCHBOARD_DATABASE_RECORDER_"


class RecorderOptionsError(ValueError):
    """A ``SWITCHBOARD_DATABASE_RECORDER_*`` variable has a value the recorder cannot use."""


class RecorderOptions(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How the recorder batches, bounds and spools (see the module docstring for the knobs)."""

    batch_size: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 500
    flush_interval: Annotated[float, msgspec.Meta(gt=0, le=60)] = 1.0
    queue_size: Annotated[int, msgspec.Meta(ge=1)] = 10_000
    retry_interval: Annotated[float, msgspec.Meta(gt=0, le=300)] = 2.0
    write_timeout: Annotated[float, msgspec.Meta(gt=0, le=600)] = 10.0
    spool_dir: str = ""
    spool_file_mb: Annotated[int, msgspec.Meta(ge=1)] = 64


def options_from_env(environ: Mapping[str, str] | None = None) -> RecorderOptions:
    """The options given by ``SWITCHBOARD_DATABASE_RECORDER_*`` variables (default: the
    process's); unknown names in that family are refused, so a typo is not silently ignored."""
    environ = os.environ if environ is None else environ
    raw = {
        name.removeprefix(ENV_PREFIX).lower(): value
        for name, value in environ.items()
        if name.startswith(ENV_PREFIX)
    }
    try:
        return msgspec.convert(raw, RecorderOptions, strict=False)
    except msgspec.ValidationError as exc:
        problem, _, where = str(exc).partition(" - at `$.")
        name = where.rstrip("`") or "*"
        raise RecorderOptionsError(f"{ENV_PREFIX}{name.upper()}: {problem}") from None
