"""Record batches written to a SQLite file from the event loop's own thread.

Why not the engine: SQLAlchemy's async SQLite driver (aiosqlite) runs every statement in a
driver thread, and that thread needs the GIL back each time SQLite returns to it. Under load
the event loop holds the GIL, so each hand-off leaves the loop waiting for the driver
thread to be scheduled on a CPU that the load generator and the upstream also want: with
every request recorded, the gateway's loop sat idle about a sixth of the time
(``bench/ratio.sh``: the gateway's share of the bare forwarder rose by about five points
once the writes moved here). Writing from the loop itself costs SQLite's own work on the
loop, and nothing else.

What keeps the loop responsive:

- a batch goes in statements of :data:`ROWS_PER_STATEMENT` rows (about 0.4 ms of SQLite
  work each), and the loop serves requests between them;
- the connection never waits for a lock (``busy_timeout`` 0): while another connection
  writes, the transaction is retried every :data:`BUSY_RETRY_SECONDS` until the write
  timeout, then reported as :class:`~switchboard_database_recorder.writer.DatabaseDown`
  like any other failure (the batch is spooled);
- WAL checkpoints, which copy pages into the database file and ``fsync`` it, do not run
  on this connection (``wal_autocheckpoint`` 0): a thread runs a passive checkpoint after
  every :data:`CHECKPOINT_ROWS` rows written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from itertools import chain
from typing import Any

__all__ = [
    "BUSY_RETRY_SECONDS",
    "CHECKPOINT_ROWS",
    "ROWS_PER_STATEMENT",
    "LoopSqlite",
    "sqlite_file_of",
]

log = logging.getLogger("switchboard_database_recorder")

ROWS_PER_STATEMENT = 32
"""Rows of one ``INSERT``: SQLite's work between two turns of the loop (~0.4 ms). A request
takes several turns of the loop, each of which may wait for one such statement: at one
connection the 99th percentile was 4 ms with 64 rows, 2 ms with 32 and 1.7 ms with 16, which
cost the most CPU per row (``bench/run.sh``; 1-1.4 ms with the recorder off)."""

BUSY_RETRY_SECONDS = 0.005
"""How long to wait before trying again while another connection holds the write lock."""

CHECKPOINT_ROWS = 5_000
"""Rows written between two passive WAL checkpoints (SQLite's own default is ~1,000 pages)."""


def sqlite_file_of(database: str | None) -> str | None:
    """The file of a SQLite URL's database, ``None`` for an in-memory one (another
    connection would see another database)."""
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return database


class LoopSqlite:
    """One SQLite connection used only on the event loop's thread, for record batches."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None
        self._since_checkpoint = 0
        self._checkpoint: asyncio.Task[None] | None = None

    def _connect(self) -> sqlite3.Connection:
        connection = self._connection
        if connection is None:
            # isolation_level None: this class emits BEGIN and COMMIT itself.
            connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA busy_timeout=0")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA wal_autocheckpoint=0")
            self._connection = connection
        return connection

    async def write(
        self,
        insert_of: Callable[[int], str],
        rows: Sequence[tuple[Any, ...]],
        touch: str,
        touches: Sequence[tuple[Any, str]],
        *,
        lock_wait: float,
    ) -> None:
        """Insert ``rows`` (``insert_of(n)`` is the ``INSERT`` of ``n`` rows) and run the
        ``touch`` updates, in one transaction; wait at most ``lock_wait`` seconds for the write
        lock. SQLite's errors propagate as they are."""
        connection = self._connect()
        await self._begin(connection, lock_wait)
        try:
            for start in range(0, len(rows), ROWS_PER_STATEMENT):
                if start:
                    await asyncio.sleep(0)  # let requests run between statements
                chunk = rows[start : start + ROWS_PER_STATEMENT]
                flat = tuple(chain.from_iterable(chunk))
                connection.execute(insert_of(len(chunk)), flat)
            if touches:
                connection.executemany(touch, touches)
            connection.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise
        self._since_checkpoint += len(rows)
        if self._since_checkpoint >= CHECKPOINT_ROWS:
            self._start_checkpoint()

    async def _begin(self, connection: sqlite3.Connection, lock_wait: float) -> None:
        deadline = time.monotonic() + lock_wait
        while True:
            try:
                connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if not _is_busy(error) or time.monotonic() >= deadline:
                    raise
            await asyncio.sleep(BUSY_RETRY_SECONDS)

    def _start_checkpoint(self) -> None:
        if self._checkpoint is not None and not self._checkpoint.done():
            return
        self._since_checkpoint = 0
        self._checkpoint = asyncio.create_task(
            asyncio.to_thread(_checkpoint, self.path), name="database-recorder-checkpoint"
        )

    async def aclose(self) -> None:
        """Wait for a running checkpoint, then close the connection."""
        if self._checkpoint is not None:
            with contextlib.suppress(Exception):
                await self._checkpoint
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(error) or "busy" in str(error)


def _checkpoint(path: str) -> None:
    # Its own short-lived connection: sqlite3 connections are not shared across threads.
    try:
        connection = sqlite3.connect(path, isolation_level=None)
        try:
            connection.execute("PRAGMA busy_timeout=1000")
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            connection.close()
    except sqlite3.Error as error:  # a busy database checkpoints next time
        log.debug("WAL checkpoint skipped: %s", error)
