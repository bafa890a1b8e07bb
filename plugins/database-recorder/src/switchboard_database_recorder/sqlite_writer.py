"""Record batches written to a SQLite file by a writer process of the gateway's own.

Why a process: SQLite does its work in the caller's process, so every row written costs
the gateway CPU. On the event loop that was ~12 µs a row, about a tenth of the loop's time
with every request recorded; in a thread of the gateway (aiosqlite's driver thread) it was
worse, since each return from SQLite needs the GIL back from the busy loop. A process of
its own does that work on another core, as PostgreSQL's server does for a PostgreSQL
database. What is left on the loop is encoding the records as MessagePack (~0.7 µs each;
the process builds the rows) and a pipe write per batch. The process loads the standard
library, msgspec and the record modules only (:mod:`.sqlite_writer_child`, about 20 MB).

Failures, all of which the caller (:class:`~switchboard_database_recorder.writer.BatchWriter`)
treats like a database that is down (the batch is spooled and replayed later; inserts are
idempotent, so a batch committed just before a failure is not stored twice):

- the lock not granted within the write timeout, or any other SQLite error: raised as a
  :class:`sqlite3.OperationalError` carrying SQLite's message (a row SQLite refused comes as
  :class:`sqlite3.IntegrityError` instead, so the writer can set it aside);
- no answer within the write timeout plus :data:`ANSWER_GRACE_SECONDS`: the process is
  killed and :class:`TimeoutError` raised;
- the process gone (killed, crashed): :class:`ConnectionError`. The next write starts a new
  process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import sys
from collections.abc import Sequence
from typing import Any

import msgspec

from switchboard.records import RequestRecord
from switchboard_database_recorder.sqlite_writer_child import HEADER, frame

__all__ = ["ANSWER_GRACE_SECONDS", "CLOSE_SECONDS", "SqliteWriterProcess", "sqlite_file_of"]

log = logging.getLogger("switchboard_database_recorder")

ANSWER_GRACE_SECONDS = 5.0
"""How much longer than the lock wait a write may take before the process is given up."""

CLOSE_SECONDS = 5.0
"""How long :meth:`SqliteWriterProcess.aclose` waits for the process to end by itself."""

CHILD_MODULE = "switchboard_database_recorder.sqlite_writer_child"


def sqlite_file_of(database: str | None) -> str | None:
    """The file of a SQLite URL's database, ``None`` for an in-memory one (another
    process would see another database)."""
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return database


class SqliteWriterProcess:
    """A writer process for one SQLite file: one batch at a time; started by :meth:`start`,
    and again by the first write after it ended."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._process: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()
        self._encode = msgspec.msgpack.Encoder().encode
        self._decode = msgspec.msgpack.Decoder(list[str]).decode

    @property
    def pid(self) -> int | None:
        """The running process's id, if one runs."""
        process = self._process
        return process.pid if process is not None and process.returncode is None else None

    async def start(self) -> None:
        """Start the process now rather than at the first write, so that its start-up (a
        fork and a few imports) happens before traffic rather than in the middle of it."""
        async with self._lock:
            await self._running()

    async def write(
        self,
        records: Sequence[RequestRecord],
        touches: Sequence[tuple[Any, str]],
        *,
        lock_wait: float,
    ) -> None:
        """Insert ``records`` and set ``api_keys.last_used_at`` from ``touches`` (pairs of
        SQLite time text and key id), in one transaction; wait at most ``lock_wait``
        seconds for the write lock."""
        try:
            request = self._encode((records, touches, lock_wait))
        except (TypeError, msgspec.EncodeError) as error:
            # A value MessagePack cannot carry is the record's fault, not the database's:
            # reported as a bad row, the writer sets that record aside and stores the rest.
            raise sqlite3.InterfaceError(f"a record cannot be encoded: {error}") from None
        async with self._lock:
            process = await self._running()
            try:
                async with asyncio.timeout(lock_wait + ANSWER_GRACE_SECONDS):
                    answer = await self._exchange(process, request)
            except TimeoutError:
                self._kill("it did not answer in time")
                raise TimeoutError(f"the SQLite writer gave no answer in {lock_wait:g} s") from None
            except (OSError, asyncio.IncompleteReadError) as error:
                self._kill("its pipe broke")
                raise ConnectionError(f"the SQLite writer process ended: {error!r}") from None
            except BaseException:
                # Cancelled half-way: its answer would be taken for the next request's.
                self._kill("a write was cancelled")
                raise
        outcome = answer[0]
        if outcome == "ok":
            return
        message = answer[1] if len(answer) > 1 else outcome
        if outcome == "bad_row":
            raise sqlite3.IntegrityError(message)
        raise sqlite3.OperationalError(message)

    async def _exchange(self, process: asyncio.subprocess.Process, request: bytes) -> list[str]:
        stdin, stdout = process.stdin, process.stdout
        assert stdin is not None and stdout is not None
        stdin.write(frame(request))
        await stdin.drain()
        (length,) = HEADER.unpack(await stdout.readexactly(HEADER.size))
        return self._decode(await stdout.readexactly(length))

    async def _running(self) -> asyncio.subprocess.Process:
        process = self._process
        if process is None or process.returncode is not None:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                # -P: the working folder is not put on the module path (a file there must
                # not shadow a module); PYTHONPATH still is, as for the gateway itself.
                "-P",
                "-m",
                CHILD_MODULE,
                self.path,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            self._process = process
        return process

    def _kill(self, why: str) -> None:
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            log.warning("stopping the SQLite writer process (pid %d): %s", process.pid, why)
            with contextlib.suppress(ProcessLookupError):
                process.kill()

    async def aclose(self) -> None:
        """Close the process's stdin and wait for it to end (killed after
        :data:`CLOSE_SECONDS`)."""
        async with self._lock:
            process, self._process = self._process, None
            if process is None or process.returncode is not None:
                return
            assert process.stdin is not None
            process.stdin.close()
            try:
                async with asyncio.timeout(CLOSE_SECONDS):
                    await process.wait()
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
