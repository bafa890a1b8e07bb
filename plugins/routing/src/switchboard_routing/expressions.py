"""Advanced mode: ``expression:`` conditions, checked when saved and evaluated by simpleeval.

What an expression may use:

* the routing variables by name (``requestTokens``, ``hasTools``, ``lastMessage``, ...,
  those plugins declare), ``metadata.<key>`` / ``metadata['key']`` and ``headers.<name>`` /
  ``headers['x-name']`` (missing keys read as ``null``), ``true``/``false``/``null``;
* ``and``/``or``/``not`` or their aliases ``&&``/``||``/``!``; comparisons, ``in``/``not
  in``, arithmetic, ``x if c else y``, list literals, indexing and slicing;
* the functions of :data:`FUNCTIONS`, ``errorRate(window=10, status='any', provider=None,
  model=None, connection=None)`` among them (``connection``: a connection's name or id).

The sandbox, on top of simpleeval's own limits: every node of the parsed tree must be of an
allowed kind (no attribute access, no dunder, no lambda, comprehension or f-string), names
and functions must be known, and the source, the tree and its depth are bounded, as are
exponents and the length of built strings. A problem is refused when the rule is saved, with
its line and column.
"""

from __future__ import annotations

import ast
import operator
import threading
from collections.abc import Callable, Mapping
from typing import Any, Final

import simpleeval  # type: ignore[import-untyped]

from switchboard_routing.errors import RoutingError
from switchboard_routing.fields import CORE_FIELDS, declared_variables
from switchboard_routing.operators import ErrorRateQuery, valid_status
from switchboard_routing.patterns import PatternError, compile_pattern
from switchboard_routing.source import Source

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_EXPRESSION_LENGTH",
    "MAX_NODES",
    "Expression",
    "compile_expression",
]

MAX_EXPRESSION_LENGTH = 2000
MAX_NODES = 300
MAX_DEPTH = 40
MAX_EXPONENT = 64
MAX_BASE = 10**9
MAX_STRING_CONSTANT = 1000

CONSTANTS: Final = {
    "true": True,
    "false": False,
    "null": None,
    "True": True,
    "False": False,
    "None": None,
}
MAPPINGS: Final = ("metadata", "headers")
ERROR_RATE_PARAMETERS: Final = ("window", "status", "provider", "model", "connection")

# name: (least, most positional arguments)
FUNCTIONS: Final[Mapping[str, tuple[int, int]]] = {
    "errorRate": (0, 5),
    "len": (1, 1),
    "lower": (1, 1),
    "upper": (1, 1),
    "contains": (2, 2),
    "startsWith": (2, 2),
    "endsWith": (2, 2),
    "matches": (2, 2),
    "min": (1, 10),
    "max": (1, 10),
    "abs": (1, 1),
    "int": (1, 1),
    "float": (1, 1),
    "str": (1, 1),
}

_ALLOWED: Final = (
    ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd,
    ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow,
    ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn,
    ast.IfExp, ast.Call, ast.keyword, ast.Name, ast.Constant, ast.List, ast.Tuple,
    ast.Subscript, ast.Slice, ast.Load,
)  # fmt: skip
_REFUSED_NAMES: Final = {
    ast.Attribute: "attribute access is not allowed (use metadata.<key> or headers.<name>)",
    ast.BitOr: "'|' is not an operator here: use || or or",
    ast.BitAnd: "'&' is not an operator here: use && or and",
    ast.Is: "'is' is not allowed: use == or !=",
    ast.IsNot: "'is not' is not allowed: use !=",
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.NamedExpr: "':=' is not allowed",
    ast.Starred: "'*' unpacking is not allowed",
}


def _refusal(node: ast.AST) -> str:
    known = _REFUSED_NAMES.get(type(node))
    return known or f"{type(node).__name__} is not allowed in a routing expression"


class _Problem(Exception):
    """A problem at a node of the tree (or at a position of the wrapped text)."""

    def __init__(self, problem: str, node: ast.AST | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.node = node


def _names() -> frozenset[str]:
    return frozenset(CORE_FIELDS) | declared_variables() | frozenset(CONSTANTS)


class _Checker(ast.NodeTransformer):
    """Refuses what the sandbox does not allow; rewrites ``metadata.key`` to a lookup."""

    def __init__(self) -> None:
        self.names = _names()

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if not isinstance(node, _ALLOWED):
            raise _Problem(_refusal(node), node)
        return super().generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if not (
            isinstance(node.value, ast.Name)
            and node.value.id in MAPPINGS
            and not node.attr.startswith("_")
        ):
            raise _Problem(_refusal(node), node)
        key = node.attr.lower() if node.value.id == "headers" else node.attr
        lookup = ast.Subscript(value=node.value, slice=ast.Constant(key), ctx=ast.Load())
        return ast.copy_location(lookup, node)

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        if (
            isinstance(node.value, ast.Name)
            and node.value.id == "headers"
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            node.slice = ast.copy_location(ast.Constant(node.slice.value.lower()), node.slice)
        return self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in FUNCTIONS:
            raise _Problem(f"{node.id} is a function: call it, e.g. {node.id}(...)", node)
        if node.id not in self.names:
            raise _Problem(f"unknown name {node.id!r}", node)
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        value = node.value
        if isinstance(value, str) and len(value) > MAX_STRING_CONSTANT:
            raise _Problem(f"text longer than {MAX_STRING_CONSTANT} characters", node)
        if not (value is None or isinstance(value, str | int | float | bool)):
            raise _Problem(f"{type(value).__name__} constants are not allowed", node)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        if isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Constant):
            exponent = node.right.value
            if isinstance(exponent, int | float) and abs(exponent) > MAX_EXPONENT:
                raise _Problem(f"exponent {exponent} is too large (at most {MAX_EXPONENT})", node)
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else None
            known = ", ".join(FUNCTIONS)
            problem = f"unknown function {name!r}" if name else "only named functions"
            raise _Problem(f"{problem} (available: {known})", node.func)
        name = node.func.id
        least, most = FUNCTIONS[name]
        if not least <= len(node.args) <= most:
            raise _Problem(f"{name}() takes {_count(least, most)} arguments", node)
        for keyword in node.keywords:
            if name != "errorRate" or keyword.arg not in ERROR_RATE_PARAMETERS:
                raise _Problem(f"{name}() has no argument {keyword.arg!r}", keyword)
        if name == "errorRate":
            _check_error_rate(node)
        if name == "matches" and isinstance(node.args[1], ast.Constant):
            _check_pattern(node.args[1])
        node.args = [self.visit(arg) for arg in node.args]
        node.keywords = [self.visit(keyword) for keyword in node.keywords]
        return node


def _count(least: int, most: int) -> str:
    return str(least) if least == most else f"{least} to {most}"


def _check_error_rate(node: ast.Call) -> None:
    given = dict(zip(ERROR_RATE_PARAMETERS, node.args, strict=False))
    for keyword in node.keywords:
        if keyword.arg in given:
            raise _Problem(f"errorRate() got {keyword.arg!r} twice", keyword)
        given[str(keyword.arg)] = keyword.value
    window = given.get("window")
    if isinstance(window, ast.Constant) and not (
        isinstance(window.value, int | float)
        and not isinstance(window.value, bool)
        and 1 <= window.value <= 60
    ):
        raise _Problem("errorRate() window is a number of minutes from 1 to 60", window)
    status = given.get("status")
    if isinstance(status, ast.Constant) and not valid_status(status.value):
        raise _Problem("errorRate() status is 'any', '4xx', '5xx' or an HTTP status", status)
    for name, what in _ERROR_RATE_NAMES.items():
        value = given.get(name)
        if isinstance(value, ast.Constant) and not _is_name(value.value):
            raise _Problem(f"errorRate() {name} is {what}", value)


_ERROR_RATE_NAMES: Final = {
    "provider": "a provider's name (or '*')",
    "model": "a model's name",
    "connection": "the name or id of a connection",
}


def _is_name(value: object) -> bool:
    """Whether ``value`` can name a provider, model or connection (``None``: not given)."""
    return value is None or (isinstance(value, str) and bool(value))


def _check_pattern(node: ast.Constant) -> None:
    if not isinstance(node.value, str):
        raise _Problem("matches() takes a pattern as text", node)
    try:
        compile_pattern(node.value)
    except PatternError as exc:
        raise _Problem(exc.problem, node) from None


def _check_size(tree: ast.AST) -> None:
    """Bound the tree's node count and depth without recursing."""
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise _Problem(f"the expression is too complex (more than {MAX_NODES} parts)", node)
        if depth > MAX_DEPTH:
            raise _Problem(f"the expression is nested too deeply (at most {MAX_DEPTH})", node)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


# -- evaluation ----------------------------------------------------------------------------


def _power(base: Any, exponent: Any) -> Any:
    if abs(exponent) > MAX_EXPONENT or abs(base) > MAX_BASE:
        raise simpleeval.NumberTooHigh(f"{base} ** {exponent} is too large to evaluate")
    return base**exponent


def _modulo(left: Any, right: Any) -> Any:
    if isinstance(left, str | bytes):
        raise simpleeval.FeatureNotAvailable("'%' formatting is not available")
    return left % right


_OPERATORS: Final = {
    ast.Add: simpleeval.safe_add,
    ast.Sub: operator.sub,
    ast.Mult: simpleeval.safe_mult,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: _modulo,
    ast.Pow: _power,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Not: operator.not_,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.In: lambda x, y: x in y,
    ast.NotIn: lambda x, y: x not in y,
}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _length(value: Any) -> int:
    return 0 if value is None else len(value)


def _contains(container: Any, item: Any) -> bool:
    if isinstance(container, str):
        return isinstance(item, str) and item in container
    if isinstance(container, list | tuple | dict):
        return item in container
    return False


def _matches(text: Any, pattern: Any) -> bool:
    if not isinstance(text, str) or not isinstance(pattern, str):
        return False
    return compile_pattern(pattern).search(text)


STATIC_FUNCTIONS: Final[Mapping[str, Callable[..., Any]]] = {
    "len": _length,
    "lower": lambda value: _text(value).lower(),
    "upper": lambda value: _text(value).upper(),
    "contains": _contains,
    "startsWith": lambda text, prefix: isinstance(text, str) and text.startswith(prefix),
    "endsWith": lambda text, suffix: isinstance(text, str) and text.endswith(suffix),
    "matches": _matches,
    "min": min,
    "max": max,
    "abs": abs,
    "int": int,
    "float": float,
    "str": str,
}


class _Lenient(dict[str, Any]):
    """A request's metadata or headers: a missing key reads as ``null``."""

    def __missing__(self, key: str) -> None:
        return None


ErrorRateFunction = Callable[[ErrorRateQuery], float]


class Expression:
    """A checked expression, ready to evaluate many times (one evaluator per thread at a
    time; a second thread evaluating at the same moment gets a fresh one)."""

    def __init__(self, source: str, tree: ast.expr) -> None:
        self.source = source
        self._tree = tree
        self._lock = threading.Lock()
        self._evaluator = simpleeval.EvalWithCompoundTypes(
            operators=_OPERATORS, functions={}, names={}, allowed_attrs={}
        )

    def evaluate(self, variables: Mapping[str, Any], error_rate: ErrorRateFunction) -> bool:
        """The expression's truth for a request; raises when evaluation fails."""
        names: dict[str, Any] = dict(CONSTANTS)
        names.update(dict.fromkeys(declared_variables()))
        names.update(variables)
        for key in MAPPINGS:
            mapping = variables.get(key)
            names[key] = _Lenient(mapping if isinstance(mapping, Mapping) else {})

        def rate(
            window: float = 10,
            status: str | int = "any",
            provider: str | None = None,
            model: str | None = None,
            connection: str | None = None,
        ) -> float:
            if not valid_status(status) or isinstance(window, bool):
                raise ValueError("errorRate(): bad status or window")
            if not all(_is_name(name) for name in (provider, model, connection)):
                raise ValueError("errorRate(): provider, model and connection are names")
            query = ErrorRateQuery(
                window=window,
                status=status,
                provider=provider,
                model=model,
                connection=connection,
            )
            return error_rate(query)

        functions = {**STATIC_FUNCTIONS, "errorRate": rate}
        if self._lock.acquire(blocking=False):
            try:
                return self._run(self._evaluator, names, functions)
            finally:
                self._lock.release()
        fresh = simpleeval.EvalWithCompoundTypes(
            operators=_OPERATORS, functions={}, names={}, allowed_attrs={}
        )
        return self._run(fresh, names, functions)

    def _run(self, evaluator: Any, names: dict[str, Any], functions: dict[str, Any]) -> bool:
        evaluator.names = names
        evaluator.functions = functions
        try:
            return bool(evaluator.eval(self.source, previously_parsed=self._tree))
        finally:
            evaluator.names = {}
            evaluator.functions = {}


def compile_expression(written: object, where: str) -> Expression:
    """Check an expression as the user wrote it; :class:`RoutingError` (``param`` ``where``)
    gives the problem and its position."""
    if not isinstance(written, str) or not written.strip():
        raise RoutingError(where, "write the condition as an expression")
    if len(written) > MAX_EXPRESSION_LENGTH:
        raise RoutingError(
            where, f"the expression is longer than {MAX_EXPRESSION_LENGTH} characters"
        )
    source = Source(written)
    try:
        parsed = ast.parse(source.python, mode="eval")
    except SyntaxError as exc:
        offset = source.offset_of((exc.offset or 1) - 1, in_bytes=False)
        problem = (exc.msg or "invalid syntax").replace("was never closed", "is never closed")
        raise RoutingError(where, f"{problem} at {source.where(offset)}") from None
    except (RecursionError, MemoryError, ValueError):
        raise RoutingError(where, "the expression is nested too deeply") from None
    try:
        _check_size(parsed.body)
        tree = _Checker().visit(parsed.body)
    except _Problem as exc:
        column = getattr(exc.node, "col_offset", None)
        if isinstance(column, int):
            offset = source.offset_of(column, in_bytes=True)
            raise RoutingError(where, f"{exc.problem} at {source.where(offset)}") from None
        raise RoutingError(where, exc.problem) from None
    assert isinstance(tree, ast.expr)
    return Expression(source.written, tree)
