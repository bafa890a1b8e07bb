"""Registers the database recorder: every request record into ``request_records``.

On by default (every environment records unless its ``plugins`` value switches
``database-recorder`` off). The recorder is process-wide: one queue, one writer and one
spool file per worker, whichever environments the records come from. Its knobs are the
``SWITCHBOARD_DATABASE_RECORDER_*`` variables (:mod:`.config`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from switchboard.context import GatewayContext
from switchboard.hookspecs import hookimpl
from switchboard.interfaces import Recorder
from switchboard_database_recorder.config import options_from_env
from switchboard_database_recorder.recorder import DatabaseRecorder

__all__ = ["ENABLED_BY_DEFAULT", "switchboard_register_recorders"]

# The audit and usage APIs read what this plugin writes: on unless switched off.
ENABLED_BY_DEFAULT = True


def engine_of(gateway: GatewayContext) -> AsyncEngine:
    """The engine behind the gateway's session factory."""
    engine = gateway.sessions().kw["bind"]
    if not isinstance(engine, AsyncEngine):
        raise TypeError(f"the gateway's sessions are bound to {engine!r}, not an AsyncEngine")
    return engine


@hookimpl
def switchboard_register_recorders(gateway: GatewayContext) -> Iterable[Recorder]:
    """Register the database recorder (the engine is looked up when it starts)."""
    options = options_from_env()
    spool_dir = Path(options.spool_dir) if options.spool_dir else gateway.data_dir / "spool"
    return [DatabaseRecorder(lambda: engine_of(gateway), spool_dir, options)]
