"""Shapes shared by every control-plane endpoint: names, pages, path keys.

The control plane speaks camelCase (the seed's YAML), so every Struct here and in the
endpoint modules renames its fields with ``rename="camel"``.
"""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

import msgspec

from switchboard.errors import BadRequest
from switchboard.naming import Email, Name

__all__ = [
    "MAX_PAGE_SIZE",
    "ApiShape",
    "Description",
    "Email",
    "Name",
    "Page",
    "convert_field",
    "paginate",
]

T = TypeVar("T")
S = TypeVar("S")

MAX_PAGE_SIZE = 500

Description = Annotated[str, msgspec.Meta(max_length=4096)]


class ApiShape(msgspec.Struct, rename="camel", kw_only=True, forbid_unknown_fields=True):
    """Base of request and response bodies: camelCase, unknown fields refused."""


class Page(msgspec.Struct, Generic[T], rename="camel", kw_only=True):
    """One page of a list: ``items``, the ``total`` across pages, and the window."""

    items: list[T]
    total: int
    limit: int
    offset: int


def paginate(items: list[T], limit: int, offset: int) -> Page[T]:
    """The page ``[offset, offset + limit)`` of ``items``."""
    return Page(items=items[offset : offset + limit], total=len(items), limit=limit, offset=offset)


def convert_field(value: object, shape: type[S], field: str) -> S:
    """``value`` (the request body's ``field``) as ``shape``; a 400 naming the exact field
    (``field.sub.path``) otherwise, which never echoes the value itself."""
    try:
        return msgspec.convert(value, shape)
    except msgspec.ValidationError as exc:
        problem, _, path = str(exc).partition(" - at `$")
        where = field + path.rstrip("`")
        raise BadRequest(f"{where}: {problem}", param=where) from None
