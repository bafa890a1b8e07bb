"""``.../environments/{env}/audit``: the request audit, what every data-plane request did.

- ``GET .../audit`` lists request records newest first, with filters and keyset
  pagination: each page's ``nextCursor`` points after its last record (``createdAt``,
  then ``id``), so pages neither skip nor repeat records while new ones arrive, and a deep
  page costs no more than the first (no ``OFFSET``, no ``COUNT``);
- ``GET .../audit/{requestId}`` one record with every attempt, the routing events and the
  payload when the environment captures it;
- ``GET .../audit/export?format=csv|jsonl`` the same filters, streamed in batches of
  short queries: the answer is never built in memory and holds no long transaction open.

This is not the management audit (``/api/v1/audit-events``: who changed what). Actions:
``completion-audit:list`` (list), ``completion-audit:get`` (detail),
``completion-audit:export`` (export), each on the environment
(``workspace:<ws>:environment:<env>``); the read-only role holds all three.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Final, Literal

import msgspec
from litestar import Controller, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Stream
from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.api.deps import Caller, CallerDep, Db, Limit, gateway_of
from switchboard.api.lookup import environment_resource, find_scope
from switchboard.api.record_filters import as_utc, filters_from_query, record_conditions
from switchboard.api.request_audit_shapes import (
    CSV_COLUMNS,
    RecordDetail,
    RecordPage,
    csv_row,
    detail,
    summary,
)
from switchboard.db.models import Environment, RequestRecord, Workspace
from switchboard.errors import BadRequest, NotFound

__all__ = ["EXPORT_BATCH", "RequestAuditController"]

EXPORT_BATCH: Final = 1_000
"""Records per export query: each batch is one short, index-ordered query."""

_R = RequestRecord
_NEWEST_FIRST = (_R.created_at.desc(), _R.id.desc())

Values = FromQuery[list[str] | None]
# Times are parsed here rather than by Litestar, whose errors would name ``from_``.
From = Annotated[
    str | None,
    QueryParameter(name="from", description="Oldest createdAt (inclusive), ISO 8601."),
]
To = Annotated[str | None, QueryParameter(description="Newest createdAt (exclusive), ISO 8601.")]
ApiKeyFilter = Annotated[
    list[str] | None, QueryParameter(name="apiKey", description="API key ids or names.")
]
ErrorClassFilter = Annotated[list[str] | None, QueryParameter(name="errorClass")]
CorrelationFilter = Annotated[str | None, QueryParameter(name="correlationId")]
StatusFilter = Annotated[
    list[str] | None, QueryParameter(description="Codes (429) or classes (4xx, 5xx).")
]
Cursor = Annotated[str | None, QueryParameter(description="A page's nextCursor.")]
Format = Annotated[Literal["csv", "jsonl"], QueryParameter(description="csv or jsonl.")]


def _encode_cursor(record: RequestRecord) -> str:
    raw = f"{record.created_at.isoformat()}|{record.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, record_id = raw.split("|", 1)
        created = as_utc(datetime.fromisoformat(moment))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest("cursor: not a cursor this API gave out", param="cursor") from None
    assert created is not None
    return created, record_id


def _after(created_at: datetime, record_id: str) -> ColumnElement[bool]:
    """Records after the cursor in newest-first order. The redundant ``created_at <=``
    bounds the index range scan; the OR breaks ties between records of the same instant."""
    return and_(
        _R.created_at <= created_at,
        or_(_R.created_at < created_at, and_(_R.created_at == created_at, _R.id < record_id)),
    )


def _time(value: str | None, param: str) -> datetime | None:
    if value is None:
        return None
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        raise BadRequest(
            f"{param}: {value!r} is not an ISO 8601 time like 2026-01-05T10:00:00Z", param=param
        ) from None


@dataclass(frozen=True)
class RecordQuery:
    """The filters the list and the export share, as the query string gave them."""

    start: str | None
    end: str | None
    correlation_id: str | None
    filters: dict[str, list[str] | None]

    def conditions(self, environment: Environment) -> list[ColumnElement[bool]]:
        """The ``WHERE`` of these filters inside ``environment`` (400 naming a bad one)."""
        conditions: list[ColumnElement[bool]] = [
            _R.environment_id == environment.id,
            *record_conditions(filters_from_query(**self.filters)),
        ]
        oldest, newest = _time(self.start, "from"), _time(self.end, "to")
        if oldest is not None:
            conditions.append(_R.created_at >= oldest)
        if newest is not None:
            conditions.append(_R.created_at < newest)
        if self.correlation_id is not None:
            conditions.append(_R.correlation_id == self.correlation_id)
        return conditions


async def provide_record_query(
    from_: From = None,
    to: To = None,
    resource: Values = None,
    provider: Values = None,
    model: Values = None,
    connection: Values = None,
    api_key: ApiKeyFilter = None,
    status: StatusFilter = None,
    error_class: ErrorClassFilter = None,
    correlation_id: CorrelationFilter = None,
) -> RecordQuery:
    """The record filters of a request's query string (a dependency of both handlers)."""
    filters = {
        "resource": resource,
        "provider": provider,
        "model": model,
        "connection": connection,
        "api_key": api_key,
        "status": status,
        "error_class": error_class,
    }
    return RecordQuery(from_, to, correlation_id, filters)


def _page(conditions: list[ColumnElement[bool]], limit: int) -> Select[RequestRecord]:
    return select(_R).where(*conditions).order_by(*_NEWEST_FIRST).limit(limit)


async def _scope(
    db: AsyncSession, caller: Caller, action: str, workspace_key: str, environment_key: str
) -> tuple[Workspace, Environment]:
    workspace, environment = await find_scope(db, workspace_key, environment_key)
    await caller.require(action, environment_resource(workspace, environment))
    return workspace, environment


async def _batches(
    sessions: async_sessionmaker[AsyncSession], conditions: list[ColumnElement[bool]]
) -> AsyncIterator[list[RequestRecord]]:
    """Every matching record, newest first, a batch per short session."""
    cursor: ColumnElement[bool] | None = None
    while True:
        where = [*conditions, cursor] if cursor is not None else conditions
        async with sessions() as session:
            batch = list((await session.scalars(_page(where, EXPORT_BATCH))).all())
        if batch:
            yield batch
        if len(batch) < EXPORT_BATCH:
            return
        cursor = _after(batch[-1].created_at, batch[-1].id)


async def _jsonl(batches: AsyncIterator[list[RequestRecord]]) -> AsyncIterator[bytes]:
    encoder = msgspec.json.Encoder()
    async for batch in batches:
        yield b"".join(encoder.encode(detail(record)) + b"\n" for record in batch)


async def _csv(batches: AsyncIterator[list[RequestRecord]]) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue().encode()
    async for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(csv_row(record) for record in batch)
        yield buffer.getvalue().encode()


class RequestAuditController(Controller):
    """Request records of one environment: list, detail, export."""

    dependencies = {"filters": Provide(provide_record_query)}

    path = "/workspaces/{workspace_key:str}/environments/{environment_key:str}/audit"
    tags = ["audit"]

    @get()
    async def list_request_records(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        caller: CallerDep,
        db: Db,
        filters: NamedDependency[RecordQuery],
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> RecordPage:
        """Request records newest first (``completion-audit:list`` on the environment).

        Filters combine with AND; a filter given several times matches any of its values
        (``?status=429&status=5xx``). ``resource``, ``connection`` and ``apiKey`` take ids or
        names. Pass a page's ``nextCursor`` as ``cursor`` (with the same filters) for the
        next, older page.
        """
        _, environment = await _scope(
            db, caller, "completion-audit:list", workspace_key, environment_key
        )
        conditions = filters.conditions(environment)
        if cursor is not None:
            conditions.append(_after(*_decode_cursor(cursor)))
        rows = list((await db.scalars(_page(conditions, limit + 1))).all())
        shown = rows[:limit]
        more = len(rows) > limit
        return RecordPage(
            items=[summary(r) for r in shown],
            limit=limit,
            next_cursor=_encode_cursor(shown[-1]) if more else None,
        )

    @get("/export")
    async def export_request_records(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        caller: CallerDep,
        db: Db,
        state: State,
        filters: NamedDependency[RecordQuery],
        format: Format = "jsonl",
    ) -> Stream:
        """Every matching record, newest first, streamed as CSV (one row per record, the
        header first; ``attempts`` and ``routingEvents`` as JSON text) or JSONL (one
        detail object per line, payload included) (``completion-audit:export`` on the
        environment). The same filters as the list."""
        _, environment = await _scope(
            db, caller, "completion-audit:export", workspace_key, environment_key
        )
        conditions = filters.conditions(environment)
        sessions = gateway_of(state).sessions
        assert sessions is not None, "handlers run after startup"
        batches = _batches(sessions, conditions)
        body = _csv(batches) if format == "csv" else _jsonl(batches)
        media_type = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
        filename = f"requests-{environment.id}.{format}"
        return Stream(
            body,
            media_type=media_type,
            headers={"content-disposition": f'attachment; filename="{filename}"'},
        )

    @get("/{request_id:str}")
    async def get_request_record(
        self,
        workspace_key: FromPath[str],
        environment_key: FromPath[str],
        request_id: FromPath[str],
        caller: CallerDep,
        db: Db,
    ) -> RecordDetail:
        """One request (by its ``x-request-id``) with every attempt, the routing events and
        the captured payload (``completion-audit:get`` on the environment)."""
        _, environment = await _scope(
            db, caller, "completion-audit:get", workspace_key, environment_key
        )
        record = await db.scalar(
            select(_R).where(_R.environment_id == environment.id, _R.request_id == request_id)
        )
        if record is None:
            raise NotFound(f"request {request_id!r} not found in environment {environment.name!r}")
        return detail(record)
