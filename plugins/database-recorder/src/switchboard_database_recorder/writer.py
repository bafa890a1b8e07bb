"""Writes batches of records to the database: one transaction, one ``executemany``.

A failed write is one of two things, and they are handled apart:

- **the database is unavailable** (refused or lost connection, timeout, anything that is not
  a complaint about the rows): :class:`DatabaseDown` is raised and the caller spools the
  batch for later; nothing is skipped;
- **a row is bad** (``DataError`` / ``IntegrityError``: a value too long for its column, a
  violated constraint): the batch is split in halves and each half written on its own,
  down to the rows that fail alone. Each such row is logged with its request id and
  skipped; the rest of the batch is stored. A bad row costs about ``2·log2(batch)`` extra
  round trips and never blocks the queue.

``api_keys.last_used_at`` is kept in the same transaction: one ``UPDATE`` per key used in
the batch, with the newest ``created_at`` of that key, only when it is newer than what is
stored. Keys are updated in id order so that concurrent writers never deadlock on them.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine

from switchboard.records import RequestRecord
from switchboard_database_recorder.rows import Row, RowStatements, new_ids, statements_for
from switchboard_database_recorder.sqlite_writer import SqliteWriterProcess, sqlite_file_of

__all__ = ["BatchWriter", "DatabaseDown", "WriteResult"]

log = logging.getLogger("switchboard_database_recorder")


Batch = Sequence[Any]
"""What one write takes: rows (:data:`~.rows.Row`) for the engine, or the records themselves
for the SQLite writer process, which builds their rows."""

ROWS_PER_TURN = 32
"""Rows built between two turns of the event loop (~80 µs of work)."""


class DatabaseDown(Exception):
    """The database could not take a write; the records were not (all) committed."""


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a write did: ``written`` rows committed or already there, ``skipped`` bad rows
    (each logged with its request id)."""

    written: int
    skipped: int


def _is_bad_row(error: BaseException) -> bool:
    """Whether the database refused the data itself, not the connection: SQLSTATE class 22
    (data exception) or 23 (integrity violation); asyncpg's driver errors carry the code,
    SQLite's come as ``DataError`` / ``IntegrityError``."""
    if getattr(error, "connection_invalidated", False):
        return False
    if isinstance(error, sa_exc.DataError | sa_exc.IntegrityError):
        return True
    # The SQLite writer process (see .sqlite_writer) reports what SQLite refused so.
    if isinstance(error, sqlite3.DataError | sqlite3.IntegrityError | sqlite3.InterfaceError):
        return True
    sqlstate = getattr(getattr(error, "orig", None), "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate[:2] in ("22", "23")


def _reason(error: BaseException, password: str | None = None) -> str:
    """The driver's first line of the error: no SQL, no parameters (they may hold prompts),
    and the database password masked should a driver echo its connection parameters."""
    inner = getattr(error, "orig", None) or error
    lines = str(inner).strip().splitlines()
    reason = f"{type(inner).__name__}: {lines[0]}" if lines else type(inner).__name__
    return reason.replace(password, "***") if password else reason


async def _bounded(work: Coroutine[Any, Any, None], limit: float) -> None:
    """Run ``work``, raising :class:`TimeoutError` when it takes longer than ``limit`` seconds.

    Not ``asyncio.timeout``: a cancelled transaction rolls back on its way out, and on a
    database that hangs (rather than refuses) the rollback hangs too. ``work`` runs as a task
    that is abandoned (cancelled, not awaited) when late; a write that commits after all is
    harmless, since the replay of its spooled batch inserts nothing twice.
    """
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait((task,), timeout=limit)
    except asyncio.CancelledError:
        _abandon(task)
        raise
    if not done:
        _abandon(task)
        raise TimeoutError(f"no answer within {limit:g} s")
    task.result()


_abandoned: set[asyncio.Future[None]] = set()
"""Abandoned tasks, referenced until they end (asyncio itself keeps only weak references)."""


def _abandon(task: asyncio.Future[None]) -> None:
    task.cancel()
    _abandoned.add(task)
    task.add_done_callback(_forget)


def _forget(task: asyncio.Future[None]) -> None:
    # Retrieve the outcome, so asyncio does not log it as never retrieved.
    _abandoned.discard(task)
    if not task.cancelled():
        task.exception()


class BatchWriter:
    """Writes record batches to ``engine`` (PostgreSQL through asyncpg, or SQLite)."""

    def __init__(self, engine: AsyncEngine, *, timeout: float) -> None:
        self.engine = engine
        self.timeout = timeout
        self.statements: RowStatements = statements_for(engine.dialect.name)
        # A SQLite file is written by a process of its own (see .sqlite_writer).
        path = sqlite_file_of(engine.url.database) if engine.dialect.name == "sqlite" else None
        self.sqlite_process = SqliteWriterProcess(path) if path is not None else None

    async def start(self) -> None:
        """Start what the writer needs of its own (the SQLite writer process); a failure is
        logged, and the first write tries again."""
        if self.sqlite_process is not None:
            try:
                await self.sqlite_process.start()
            except OSError as error:
                log.warning("the SQLite writer process did not start: %s", error)

    async def aclose(self) -> None:
        """Release what the writer holds of its own (the SQLite writer process)."""
        if self.sqlite_process is not None:
            await self.sqlite_process.aclose()

    async def write(self, records: Sequence[RequestRecord]) -> WriteResult:
        """Store ``records`` (idempotently); raise :class:`DatabaseDown` when the database
        cannot take them. Bad rows are logged and skipped."""
        touches = self._touches(records)
        batch: Batch
        if self.sqlite_process is not None:
            # The writer process builds the rows itself.
            batch, ids, skipped = records, [r.request_id for r in records], 0
        else:
            batch, ids, skipped = await self._rows(records)
        if not batch:
            return WriteResult(0, skipped)
        try:
            await self._execute(batch, touches)
        except Exception as error:
            if not _is_bad_row(error):
                raise DatabaseDown(_reason(error, self.engine.url.password)) from error
            skipped += await self._split(batch, ids, error)
            await self._execute([], touches)
        return WriteResult(len(batch) - skipped, skipped)

    async def _rows(self, records: Sequence[RequestRecord]) -> tuple[list[Row], list[str], int]:
        """The rows of ``records``, their request ids, and how many could not be made rows."""
        rows: list[Row] = []
        ids: list[str] = []
        skipped = 0
        make = self.statements.row
        for count, (record, row_id) in enumerate(
            zip(records, new_ids(len(records)), strict=True), start=1
        ):
            if count % ROWS_PER_TURN == 0:
                # Building a batch's rows takes ~2.5 µs each: in slices, between requests.
                await asyncio.sleep(0)
            try:
                rows.append(make(record, row_id))
            except Exception as error:  # a payload msgspec cannot encode, say
                log.error("request %s not recorded: %s", record.request_id, _reason(error))
                skipped += 1
                continue
            ids.append(record.request_id)
        return rows, ids, skipped

    async def probe(self) -> bool:
        """Whether the database answers ``SELECT 1`` within the write timeout."""
        try:
            await _bounded(self._select_one(), self.timeout)
        except Exception:
            return False
        return True

    async def _select_one(self) -> None:
        async with self.engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")

    def _touches(self, records: Sequence[RequestRecord]) -> list[tuple[Any, str]]:
        newest: dict[str, Any] = {}
        for record in records:
            key = record.api_key_id
            if key is not None:
                seen = newest.get(key)
                if seen is None or record.created_at > seen:
                    newest[key] = record.created_at
        stamp = self.statements.stamp
        return [(stamp(newest[key]), key) for key in sorted(newest)]

    async def _execute(self, batch: Batch, touches: list[tuple[Any, str]]) -> None:
        if self.sqlite_process is not None:
            # The process bounds its own wait for the lock, and is stopped when it overruns.
            await self.sqlite_process.write(batch, touches, lock_wait=self.timeout)
            return
        await _bounded(self._transaction(batch, touches), self.timeout)

    async def _transaction(self, rows: Sequence[Row], touches: list[tuple[Any, str]]) -> None:
        statements = self.statements
        async with self.engine.begin() as connection:
            if statements.rows_per_insert > 1:
                for insert, parameters in statements.inserts(rows):
                    await connection.exec_driver_sql(insert, parameters)
            elif rows:
                await connection.exec_driver_sql(statements.insert, rows)
            if touches:
                await connection.exec_driver_sql(self.statements.touch, touches)

    async def _split(self, batch: Batch, ids: list[str], error: BaseException) -> int:
        """``batch`` failed together with ``error``: skip its row if it is alone, else write
        each half on its own. Returns how many rows were skipped."""
        if len(batch) == 1:
            log.error(
                "request %s not recorded, the database refused it: %s", ids[0], _reason(error)
            )
            return 1
        middle = len(batch) // 2
        first = await self._isolate(batch[:middle], ids[:middle])
        return first + await self._isolate(batch[middle:], ids[middle:])

    async def _isolate(self, batch: Batch, ids: list[str]) -> int:
        """Write ``batch``; when a row is bad, split it until the bad ones stand alone.
        Raises :class:`DatabaseDown` when the database goes away meanwhile."""
        try:
            await self._execute(batch, [])
        except Exception as error:
            if not _is_bad_row(error):
                raise DatabaseDown(_reason(error, self.engine.url.password)) from error
            return await self._split(batch, ids, error)
        return 0
