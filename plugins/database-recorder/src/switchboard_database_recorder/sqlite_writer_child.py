"""The SQLite writer process: writes the record batches it reads on stdin, answers on stdout.

Started by :class:`~switchboard_database_recorder.sqlite_writer.SqliteWriterProcess` as
``python -m switchboard_database_recorder.sqlite_writer_child <database path>``. It loads the
standard library, msgspec and the record and row modules only (no SQLAlchemy, no gateway),
which keeps it small (about 20 MB) and quick to start.

The protocol, both ways: a frame is a 4-byte big-endian length and that many bytes of
MessagePack.

- A request is ``[records, touches, lock_wait]``: the
  :class:`~switchboard.records.RequestRecord` objects to insert, the
  ``(last_used_at, api_key_id)`` pairs of ``api_keys`` to touch, and the seconds to wait
  for the write lock. All of it is one transaction. The rows are built here, not in the
  gateway: building one costs ~2.5 µs that the gateway's event loop no longer spends.
- The answer is ``["ok"]``, or ``["bad_row", message]`` when SQLite refused the data itself
  (a constraint, a value it cannot bind) or a record could not be made a row, or
  ``["error", message]`` for anything else (the lock not granted in time, a full disk, a
  missing table). ``message`` is the first line of the error: SQL and column values are
  never in it.

It exits when stdin ends (the gateway closed it, or died), and ignores SIGINT: a Ctrl-C in
a terminal reaches the whole process group, and the gateway decides when this process ends.
"""

from __future__ import annotations

import signal
import sqlite3
import struct
import sys
from typing import BinaryIO

import msgspec

from switchboard.records import RequestRecord
from switchboard_database_recorder.rows import RowStatements, new_ids, statements_for

__all__ = ["HEADER", "Request", "frame", "main", "read_frame", "serve", "write"]

HEADER = struct.Struct(">I")
"""A frame's length prefix."""

Request = tuple[list[RequestRecord], list[tuple[str, str]], float]
"""What one request frame holds: records, touches, seconds to wait for the lock."""


def read_frame(stream: BinaryIO) -> bytes | None:
    """The next frame's payload, or ``None`` at the end of the stream."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    (length,) = HEADER.unpack(header)
    payload = stream.read(length)
    if len(payload) < length:
        return None
    return payload


def frame(payload: bytes) -> bytes:
    """``payload`` with its length prefix."""
    return HEADER.pack(len(payload)) + payload


def connect(path: str) -> sqlite3.Connection:
    """The process's connection: transactions are begun and ended explicitly."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous=NORMAL")
    return connection


def write(connection: sqlite3.Connection, statements: RowStatements, request: Request) -> list[str]:
    """Write one request in one transaction; the answer to send back."""
    records, touches, lock_wait = request
    try:
        rows = [statements.row(r, i) for r, i in zip(records, new_ids(len(records)), strict=True)]
    except (msgspec.MsgspecError, TypeError, ValueError) as error:
        return ["bad_row", _first_line(error)]
    connection.execute(f"PRAGMA busy_timeout={max(0, int(lock_wait * 1000))}")
    try:
        connection.execute("BEGIN IMMEDIATE")
        try:
            for insert, parameters in statements.inserts(rows):
                connection.execute(insert, parameters)
            if touches:
                connection.executemany(statements.touch, touches)
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
    except (sqlite3.IntegrityError, sqlite3.DataError, sqlite3.InterfaceError) as error:
        return ["bad_row", _first_line(error)]
    except sqlite3.Error as error:
        return ["error", _first_line(error)]
    return ["ok"]


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def serve(path: str, requests: BinaryIO, answers: BinaryIO) -> None:
    """Answer every request on ``requests`` until it ends."""
    connection = connect(path)
    statements = statements_for("sqlite")
    decode = msgspec.msgpack.Decoder(Request).decode
    encode = msgspec.msgpack.Encoder().encode
    try:
        while (payload := read_frame(requests)) is not None:
            try:
                answer = write(connection, statements, decode(payload))
            except msgspec.ValidationError as error:  # a record with a value of the wrong type
                answer = ["bad_row", _first_line(error)]
            except msgspec.DecodeError as error:
                answer = ["error", _first_line(error)]
            answers.write(frame(encode(answer)))
            answers.flush()
    finally:
        connection.close()


def main(argv: list[str]) -> int:
    """``python -m switchboard_database_recorder.sqlite_writer_child <database path>``."""
    if len(argv) != 2:
        print(
            "usage: python -m switchboard_database_recorder.sqlite_writer_child <database>",
            file=sys.stderr,
        )
        return 2
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(argv[1], sys.stdin.buffer, sys.stdout.buffer)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
