"""A :class:`~switchboard.records.RequestRecord` as a ``request_records`` row, and the SQL
that writes it.

The write path runs on the gateway's CPU, beside the requests, so it avoids SQLAlchemy's
per-row work: each record becomes one plain tuple in :data:`COLUMNS` order and a batch is
one ``executemany`` of a prebuilt statement through the driver (asyncpg pipelines the rows
of an ``executemany`` under one prepared statement; SQLite runs them in one transaction).
``ON CONFLICT (request_id) DO NOTHING`` makes every write idempotent: a record written twice
(a replayed spool file whose rows were already committed) is stored once.

Column values, as the ORM model (:class:`switchboard.db.models.RequestRecord`) reads them:

- ``attempts``: a JSON list of objects with the field names of
  :class:`~switchboard.records.AttemptRecord` (snake_case: ``provider``, ``model``,
  ``connection_id``, ``outcome``, ``status``, ``error_class``, ``error_message``,
  ``latency_ms``, ``connection_name``, ``started_ms``, ``capacity_ms``);
- ``routing_events``: a JSON list of the record's strings; ``payload``: a JSON object or
  SQL ``NULL``;
- ``status_code`` is ``record.status``, ``total_latency_ms`` is ``record.latency_ms``;
- ``created_at``: a ``timestamptz`` on PostgreSQL; on SQLite the UTC text SQLAlchemy's
  ``DateTime`` stores (``YYYY-MM-DD HH:MM:SS.ffffff``), so ORM queries compare it correctly.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from typing import Any

import msgspec

from switchboard.records import RequestRecord

__all__ = ["COLUMNS", "Dialect", "Row", "RowStatements", "new_ids", "statements_for"]

COLUMNS: tuple[str, ...] = (
    "id",
    "request_id",
    "correlation_id",
    "workspace_id",
    "workspace_name",
    "environment_id",
    "environment_name",
    "resource_id",
    "resource_name",
    "api_key_id",
    "api_key_name",
    "connection_id",
    "connection_name",
    "endpoint",
    "stream",
    "provider",
    "model",
    "route",
    "status_code",
    "error_class",
    "error_message",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "time_to_first_token_ms",
    "queue_wait_ms",
    "trace_id",
    "total_latency_ms",
    "gateway_latency_ms",
    "tokens_per_second",
    "client_ip",
    "user_agent",
    "estimated_cost",
    "payload",
    "attempts",
    "routing_events",
    "created_at",
)
"""Every column of ``request_records``, in the order of a row tuple."""

Dialect = str
"""SQLAlchemy's dialect name: ``postgresql`` or ``sqlite``."""

Row = tuple[Any, ...]

_encode = msgspec.json.Encoder().encode


def _sqlite_time(moment: datetime) -> str:
    # SQLAlchemy's SQLite DATETIME text, in UTC (UTCDateTime converts before storing too).
    return moment.astimezone(UTC).isoformat(" ", "microseconds")[:26]


def _postgres_time(moment: datetime) -> datetime:
    return moment


def new_ids(count: int) -> list[str]:
    """``count`` UUID version 7 strings of this millisecond, like
    :func:`switchboard.db.models.new_id` but about four times cheaper: the random bits of the
    whole batch come from one ``os.urandom`` call, hex-encoded at once."""
    ms = f"{(time.time_ns() // 1_000_000) & 0xFFFF_FFFF_FFFF:012x}"
    head = f"{ms[:8]}-{ms[8:]}-7"
    pool = os.urandom(10 * count).hex()
    ids = []
    for i in range(0, 20 * count, 20):
        # 74 random bits: 12 (rand_a), 2 beside the RFC 9562 variant, 60 (rest of rand_b).
        r = pool[i : i + 20]
        ids.append(f"{head}{r[:3]}-{_VARIANT[r[3]]}{r[4:7]}-{r[7:19]}")
    return ids


_VARIANT = {f"{n:x}": "89ab"[n & 3] for n in range(16)}


def _row_maker(stamp: Callable[[datetime], Any]) -> Callable[[RequestRecord, str], Row]:
    def row(r: RequestRecord, row_id: str) -> Row:
        payload = r.payload
        return (
            row_id,
            r.request_id,
            r.correlation_id,
            r.workspace_id,
            r.workspace_name,
            r.environment_id,
            r.environment_name,
            r.resource_id,
            r.resource_name,
            r.api_key_id,
            r.api_key_name,
            r.connection_id,
            r.connection_name,
            r.endpoint,
            r.stream,
            r.provider,
            r.model,
            r.route,
            r.status,
            r.error_class,
            r.error_message,
            r.prompt_tokens,
            r.completion_tokens,
            r.cached_tokens,
            r.time_to_first_token_ms,
            r.queue_wait_ms,
            r.trace_id,
            r.latency_ms,
            r.gateway_latency_ms,
            r.tokens_per_second,
            r.client_ip,
            r.user_agent,
            r.estimated_cost,
            None if payload is None else _encode(payload).decode(),
            _encode(r.attempts).decode(),
            _encode(r.routing_events).decode(),
            stamp(r.created_at),
        )

    return row


@dataclass(frozen=True)
class RowStatements:
    """The SQL and row conversion of one database dialect.

    ``insert`` takes a row from ``row`` (a record and its new id, see :func:`new_ids`);
    ``touch`` takes ``(last_used_at, api_key_id)`` with ``last_used_at`` from ``stamp``, and
    never moves ``api_keys.last_used_at`` backwards.
    """

    insert: str
    touch: str
    row: Callable[[RequestRecord, str], Row]
    stamp: Callable[[datetime], Any]
    rows_per_insert: int = 1
    """Rows one ``INSERT`` carries (:meth:`insert_of`); 1: one ``executemany`` instead."""

    @functools.lru_cache(maxsize=8)  # noqa: B019 - a handful of sizes, statements live forever
    def insert_of(self, rows: int) -> str:
        """An ``INSERT`` of ``rows`` rows at once, their values flattened in row order."""
        head, _, tail = self.insert.partition(" VALUES ")
        values, _, conflict = tail.partition(") ")
        return f"{head} VALUES {', '.join([values + ')'] * rows)} {conflict}"

    def inserts(self, rows: Sequence[Row]) -> Iterator[tuple[str, Row]]:
        """The statements that insert ``rows``, :attr:`rows_per_insert` at a time, each with
        its parameters (``rows_per_insert`` 1: callers ``executemany`` :attr:`insert`)."""
        step = self.rows_per_insert
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            yield self.insert_of(len(chunk)), tuple(chain.from_iterable(chunk))


_SQLITE_VARIABLES = 32_766
"""Bound parameters one SQLite statement takes (SQLITE_MAX_VARIABLE_NUMBER since 3.32)."""


def statements_for(dialect: Dialect) -> RowStatements:
    """The statements for ``dialect`` (``postgresql`` or ``sqlite``)."""
    if dialect == "postgresql":
        marks = ", ".join(f"${n}" for n in range(1, len(COLUMNS) + 1))
        touch_params = ("$1", "$2")
        stamp: Callable[[datetime], Any] = _postgres_time
    elif dialect == "sqlite":
        marks = ", ".join("?" for _ in COLUMNS)
        touch_params = ("?1", "?2")
        stamp = _sqlite_time
    else:
        raise ValueError(f"the database recorder does not support {dialect!r}")
    # Only constant names and placeholders go into the SQL; values are bound parameters.
    columns = ", ".join(COLUMNS)
    conflict = "ON CONFLICT (request_id) DO NOTHING"
    insert = f"INSERT INTO request_records ({columns}) VALUES ({marks}) {conflict}"  # noqa: S608
    when, key = touch_params
    newer = f"(last_used_at IS NULL OR last_used_at < {when})"
    touch = f"UPDATE api_keys SET last_used_at = {when} WHERE id = {key} AND {newer}"  # noqa: S608
    # SQLite takes many rows per statement at much less cost per row than one statement
    # per row; it also spares an in-memory database's driver thread a return to the event
    # loop per row. (asyncpg runs on the event loop and pipelines its executemany.)
    rows_per_insert = _SQLITE_VARIABLES // len(COLUMNS) if dialect == "sqlite" else 1
    return RowStatements(
        insert=insert,
        touch=touch,
        row=_row_maker(stamp),
        stamp=stamp,
        rows_per_insert=min(rows_per_insert, 200),
    )
