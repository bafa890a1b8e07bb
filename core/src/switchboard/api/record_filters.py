"""What the usage query and the request audit share: filters over request records, and
how a record names the objects it ran through (:class:`RecordRef`).

Each filter is a list of accepted values (any of them matches); filters combine with AND.
``resource``, ``connection`` and ``apiKey`` match the object's id or its name as recorded
(records copy both, so a deleted or renamed object can still be found under its old name).
``status`` takes exact codes (``429``) or classes (``4xx``, ``5xx``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, and_, or_

from switchboard.api.shapes import ApiShape
from switchboard.db.models import RequestRecord
from switchboard.errors import BadRequest

__all__ = [
    "ERROR_STATUS",
    "RecordFilters",
    "RecordRef",
    "as_utc",
    "filters_from_query",
    "record_conditions",
    "status_condition",
]

ERROR_STATUS = 400
"""A record is an error when its status is at least this (4xx and 5xx, rejections included)."""

_STATUS_CLASS = re.compile(r"^([1-5])xx$", re.IGNORECASE)
_STATUS_CODE = re.compile(r"^[1-5][0-9][0-9]$")

_FilterValues = list[str] | None


class RecordRef(ApiShape):
    """An object as a record names it: its id and its name at the time. Either may be null:
    a request for a resource that does not exist has a name but no id."""

    id: str | None
    name: str | None


class RecordFilters(ApiShape):
    """Narrow the records: each field lists accepted values (any matches); fields AND."""

    resource: _FilterValues = None
    provider: _FilterValues = None
    model: _FilterValues = None
    connection: _FilterValues = None
    api_key: _FilterValues = None
    status: list[str | int] | None = None
    error_class: _FilterValues = None


def as_utc(moment: datetime | None) -> datetime | None:
    """A time without an offset is read as UTC; every other time is converted to UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def status_condition(values: Sequence[str | int], param: str) -> ColumnElement[bool]:
    """``status_code`` equal to one of the codes or inside one of the classes (``4xx``)."""
    column = RequestRecord.status_code
    alternatives: list[ColumnElement[bool]] = []
    for value in values:
        text = str(value).strip()
        if _STATUS_CODE.match(text):
            alternatives.append(column == int(text))
            continue
        found = _STATUS_CLASS.match(text)
        if found is None:
            raise BadRequest(
                f"{param}: {value!r} is neither a status code (429) nor a class (4xx)",
                param=param,
            )
        low = int(found.group(1)) * 100
        alternatives.append(and_(column >= low, column < low + 100))
    return or_(*alternatives)


def _named(id_column: Any, name_column: Any, values: list[str]) -> ColumnElement[bool]:
    return or_(id_column.in_(values), name_column.in_(values))


def record_conditions(filters: RecordFilters, prefix: str = "") -> list[ColumnElement[bool]]:
    """The SQL conditions of ``filters``; a bad status value is a 400 naming
    ``<prefix>status``."""
    record = RequestRecord
    conditions: list[ColumnElement[bool]] = []
    if filters.resource:
        conditions.append(_named(record.resource_id, record.resource_name, filters.resource))
    if filters.connection:
        conditions.append(_named(record.connection_id, record.connection_name, filters.connection))
    if filters.api_key:
        conditions.append(_named(record.api_key_id, record.api_key_name, filters.api_key))
    if filters.provider:
        conditions.append(record.provider.in_(filters.provider))
    if filters.model:
        conditions.append(record.model.in_(filters.model))
    if filters.error_class:
        conditions.append(record.error_class.in_(filters.error_class))
    if filters.status:
        conditions.append(status_condition(filters.status, f"{prefix}status"))
    return conditions


def filters_from_query(**values: list[str] | None) -> RecordFilters:
    """Query parameters (each repeatable: ``?status=429&status=5xx``) as
    :class:`RecordFilters`. Values are not split on commas: names may contain them."""
    given = {name: list(value) for name, value in values.items() if value}
    return msgspec.structs.replace(RecordFilters(), **given)
