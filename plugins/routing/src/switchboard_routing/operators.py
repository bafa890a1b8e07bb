"""Simple-mode tests: ``{field, operator, value}`` checked when saved, compiled to predicates.

Each operator states which kinds of field it applies to and what value it takes, so a rule
like ``{field: lastMessage, operator: lessThan, value: 5}`` is refused with the reason when
it is saved instead of never matching. Values read from ``metadata.<key>`` and
``headers.<name>`` are text; the ordering operators read them as numbers when they can.
"""

from __future__ import annotations

import operator as op
from collections.abc import Callable, Mapping
from typing import Any, Final

import msgspec

from switchboard_routing.errors import RoutingError
from switchboard_routing.fields import ERROR_RATE, FieldKind, field_kind
from switchboard_routing.patterns import PatternError, compile_pattern

__all__ = [
    "OPERATORS",
    "ErrorRateQuery",
    "Predicate",
    "Test",
    "as_number",
    "build_test",
    "valid_status",
]

Predicate = Callable[[Any], bool]

OPERATORS: Final = (
    "equals",
    "notEquals",
    "lessThan",
    "lessThanOrEqual",
    "greaterThan",
    "greaterThanOrEqual",
    "contains",
    "notContains",
    "startsWith",
    "endsWith",
    "matches",
    "in",
    "notIn",
    "exists",
)

MAX_IN_VALUES = 1000
_ERROR_RATE_KEYS = frozenset({"window", "status", "provider", "model", "connection"})
_TEST_KEYS = frozenset({"field", "operator", "value"}) | _ERROR_RATE_KEYS
_ORDERING: Final[dict[str, Callable[[float, float], bool]]] = {
    "lessThan": op.lt,
    "lessThanOrEqual": op.le,
    "greaterThan": op.gt,
    "greaterThanOrEqual": op.ge,
}


class ErrorRateQuery(msgspec.Struct, frozen=True, kw_only=True):
    """``errorRate`` arguments: minutes, status filter, and whose rate (``None``: the
    resource's primary model, see :mod:`switchboard_routing.engine`). ``connection`` is the
    name or id of one of the environment's connections."""

    window: float = 10
    status: str | int = "any"
    provider: str | None = None
    model: str | None = None
    connection: str | None = None


class Test(msgspec.Struct, frozen=True, kw_only=True):
    """One compiled test: the field it reads, how it reads as text, its predicate."""

    field: str
    text: str
    predicate: Predicate
    error_rate: ErrorRateQuery | None = None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def as_number(value: object) -> float | None:
    """``value`` as a number: numbers as they are, numeric text parsed, anything else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _as_text(value: object) -> str:
    """How a rule's scalar compares with text (``true``, ``3``, ``2.5``, ``null``)."""
    return value if isinstance(value, str) else msgspec.json.encode(value).decode()


def _equals(expected: Any) -> Predicate:
    def predicate(actual: Any) -> bool:
        if isinstance(actual, str) and not isinstance(expected, str):
            if _is_number(expected):
                return bool(as_number(actual) == expected)
            return actual == _as_text(expected)
        if isinstance(actual, bool) != isinstance(expected, bool):
            return False  # ``True == 1`` in Python, not in a rule
        return bool(actual == expected)

    return predicate


def _contains(expected: Any) -> Predicate:
    def predicate(actual: Any) -> bool:
        if isinstance(actual, str):
            return isinstance(expected, str) and expected in actual
        if isinstance(actual, list | tuple | set | frozenset):
            return expected in actual
        return False

    return predicate


def _member_of(values: frozenset[Any]) -> Predicate:
    texts = frozenset(_as_text(v) for v in values)

    def one(item: Any) -> bool:
        if isinstance(item, str):
            return item in texts
        return _is_scalar(item) and item in values

    def predicate(actual: Any) -> bool:
        if isinstance(actual, list | tuple | set | frozenset):
            return any(one(item) for item in actual)
        return one(actual)

    return predicate


def _exists(actual: Any) -> bool:
    return (
        actual is not None
        and actual != ""
        and not (isinstance(actual, list | tuple | dict) and not actual)
    )


def _negate(predicate: Predicate) -> Predicate:
    return lambda actual: not predicate(actual)


def _refuse(where: str, problem: str) -> RoutingError:
    return RoutingError(where, problem)


def _predicate(
    operator: str, value: Any, has_value: bool, field: str, kind: FieldKind, where: str
) -> Predicate:
    """The predicate of ``operator`` with ``value`` on a field of ``kind``."""
    if operator == "exists":
        if has_value and not isinstance(value, bool):
            raise _refuse(f"{where}.value", "exists takes true, false or no value")
        return _exists if value is not False else _negate(_exists)
    if not has_value:
        raise _refuse(where, f"{operator} needs a value")
    if operator in ("equals", "notEquals"):
        _check_equality(value, field, kind, f"{where}.value")
        predicate = _equals(value)
        return predicate if operator == "equals" else _negate(predicate)
    if operator in _ORDERING:
        if not _is_number(value):
            raise _refuse(f"{where}.value", f"{operator} compares numbers; give a number")
        if kind not in (FieldKind.NUMBER, FieldKind.TEXT, FieldKind.ANY) or (
            kind is FieldKind.TEXT and "." not in field
        ):
            raise _refuse(f"{where}.operator", f"{field} holds {kind.value}, not a number")
        compare, bound = _ORDERING[operator], float(value)

        def ordered(actual: Any) -> bool:
            number = as_number(actual)
            return number is not None and compare(number, bound)

        return ordered
    if operator in ("contains", "notContains"):
        if kind not in (FieldKind.TEXT, FieldKind.TEXT_LIST, FieldKind.ANY):
            raise _refuse(
                f"{where}.operator", f"{operator} needs text or a list; {field} holds {kind.value}"
            )
        if kind is not FieldKind.ANY and not isinstance(value, str):
            raise _refuse(f"{where}.value", f"{operator} takes text")
        predicate = _contains(value)
        return predicate if operator == "contains" else _negate(predicate)
    if operator in ("startsWith", "endsWith", "matches"):
        if kind not in (FieldKind.TEXT, FieldKind.ANY):
            raise _refuse(f"{where}.operator", f"{operator} needs text; {field} holds {kind.value}")
        if not isinstance(value, str):
            raise _refuse(f"{where}.value", f"{operator} takes text")
        if operator == "matches":
            try:
                pattern = compile_pattern(value)
            except PatternError as exc:
                at = f" at position {exc.position}" if exc.position is not None else ""
                raise _refuse(f"{where}.value", f"{exc.problem}{at}") from None
            return lambda actual: isinstance(actual, str) and pattern.search(actual)
        if operator == "startsWith":
            return lambda actual: isinstance(actual, str) and actual.startswith(value)
        return lambda actual: isinstance(actual, str) and actual.endswith(value)
    if operator in ("in", "notIn"):
        if not isinstance(value, list) or not value or len(value) > MAX_IN_VALUES:
            raise _refuse(
                f"{where}.value", f"{operator} takes a list of 1 to {MAX_IN_VALUES} values"
            )
        for index, item in enumerate(value):
            if not _is_scalar(item):
                raise _refuse(f"{where}.value[{index}]", "give text, a number, true, false or null")
        predicate = _member_of(frozenset(value))
        return predicate if operator == "in" else _negate(predicate)
    known = ", ".join(OPERATORS)
    raise _refuse(f"{where}.operator", f"unknown operator {operator!r} (one of: {known})")


def _check_equality(value: Any, field: str, kind: FieldKind, where: str) -> None:
    if kind is FieldKind.BOOLEAN and not isinstance(value, bool):
        raise _refuse(where, f"{field} is true or false; compare it with true or false")
    if kind is FieldKind.NUMBER and not (_is_number(value) or value is None):
        raise _refuse(where, f"{field} is a number; compare it with a number")
    if kind is FieldKind.TEXT_LIST:
        raise _refuse(
            f"{where.rpartition('.')[0]}.operator",
            f"{field} is a list of text: use contains, notContains, in, notIn or exists",
        )
    if not _is_scalar(value) and kind is not FieldKind.ANY:
        raise _refuse(where, "give text, a number, true, false or null")


def _error_rate_query(raw: Mapping[str, Any], where: str) -> ErrorRateQuery:
    window = raw.get("window", 10)
    if not _is_number(window) or not 1 <= window <= 60:
        raise _refuse(f"{where}.window", "a number of minutes from 1 to 60")
    status = raw.get("status", "any")
    if not valid_status(status):
        raise _refuse(f"{where}.status", "'any', '4xx', '5xx' or an HTTP status such as 429")
    for key in ("provider", "model"):
        if key in raw and not (isinstance(raw[key], str) and raw[key]):
            raise _refuse(f"{where}.{key}", "give a name")
    if "connection" in raw and not (isinstance(raw["connection"], str) and raw["connection"]):
        raise _refuse(f"{where}.connection", "give the name or id of a connection")
    return ErrorRateQuery(
        window=window,
        status=status,
        provider=raw.get("provider"),
        model=raw.get("model"),
        connection=raw.get("connection"),
    )


def valid_status(status: object) -> bool:
    """Whether ``status`` filters error rates: ``any``, ``4xx``, ``5xx`` or an HTTP status."""
    if isinstance(status, bool):
        return False
    if isinstance(status, int):
        return 100 <= status <= 599
    if not isinstance(status, str):
        return False
    return status in ("any", "4xx", "5xx") or (status.isdigit() and 100 <= int(status) <= 599)


def build_test(raw: object, where: str) -> Test:
    """Check one ``{field, operator, value?, ...}`` entry and compile it."""
    if not isinstance(raw, Mapping):
        raise _refuse(where, "a test is {field, operator, value}")
    unknown = sorted(set(raw) - _TEST_KEYS)
    if unknown:
        raise _refuse(
            f"{where}.{unknown[0]}",
            "unknown key (a test has field, operator, value; errorRate also window, status, "
            "provider, model, connection)",
        )
    field, operator = raw.get("field"), raw.get("operator")
    if not isinstance(field, str) or not field:
        raise _refuse(f"{where}.field", "name the field to test")
    if not isinstance(operator, str) or not operator:
        raise _refuse(f"{where}.operator", "name the operator")
    kind = field_kind(field)
    if kind is None:
        raise _refuse(f"{where}.field", f"unknown field {field!r}")
    extra = sorted(_ERROR_RATE_KEYS & set(raw))
    if extra and field != ERROR_RATE:
        raise _refuse(
            f"{where}.{extra[0]}",
            "only errorRate takes window, status, provider, model and connection",
        )
    query = _error_rate_query(raw, where) if field == ERROR_RATE else None
    value = raw.get("value")
    predicate = _predicate(operator, value, "value" in raw, field, kind, where)
    shown = "" if "value" not in raw else " " + msgspec.json.encode(value).decode()
    label = field if query is None else f"errorRate({_arguments(query)})"
    return Test(
        field=field, text=f"{label} {operator}{shown}", predicate=predicate, error_rate=query
    )


def _arguments(query: ErrorRateQuery) -> str:
    parts = [f"window={query.window:g}", f"status={query.status!r}"]
    given = (("provider", query.provider), ("model", query.model), ("connection", query.connection))
    parts += [f"{k}={v!r}" for k, v in given if v]
    return ", ".join(parts)
