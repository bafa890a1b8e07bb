"""Switchboard's database recorder: request records into the database, in batches, with a
disk spool so that a database outage costs no record (see :mod:`.recorder`)."""

from switchboard_database_recorder.config import RecorderOptions, options_from_env
from switchboard_database_recorder.recorder import PLUGIN_NAME, DatabaseRecorder
from switchboard_database_recorder.spool import Spool
from switchboard_database_recorder.writer import BatchWriter, DatabaseDown

__all__ = [
    "PLUGIN_NAME",
    "BatchWriter",
    "DatabaseDown",
    "DatabaseRecorder",
    "RecorderOptions",
    "Spool",
    "options_from_env",
]
