"""``switchboard usage`` and ``switchboard audit list|show|export``: who used what, how
much, how fast and what failed, from a terminal.

They read an environment's request records through the control plane
(``POST .../usage/query`` and ``GET .../audit[...]``, see docs/usage-and-audit.md). The
gateway validates what it is asked (granularity, dimensions, metrics, status filters, the
export format) and its message is printed as is; the client only checks what it parses
itself: the times of ``--since`` and ``--until``, given as a duration back from now
(``15m``, ``24h``, ``7d``) or an ISO 8601 time, and sent as UTC.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, TypeVar

import click
import msgspec
import yaml

from switchboard.cli_client.client import Client, RemoteError
from switchboard.cli_client.commands import _fail, _print_json, _print_table, _remote

__all__ = [
    "AUDIT_PAGE_SIZE",
    "DEFAULT_METRICS",
    "TimeError",
    "audit",
    "parse_time",
    "usage",
]

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

DEFAULT_METRICS: Final = (
    "requests",
    "errors",
    "totalTokens",
    "latencyP50",
    "latencyP95",
    "estimatedCost",
)
"""The columns of ``switchboard usage`` unless ``--metrics`` names others: the count, the
failures, the volume, the speed and the money, narrow enough for a terminal."""

AUDIT_PAGE_SIZE = 500
"""The largest page ``audit list`` asks for (the gateway's most)."""

_DURATION: Final = re.compile(r"^(\d+)\s*([smhdw])$", re.IGNORECASE)
_UNITS: Final = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_CAMEL_PART: Final = re.compile(r"[-_]+([a-zA-Z0-9])")
_CAMEL_BOUNDARY: Final = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_MISSING: Final = "-"


# -- times ------------------------------------------------------------------------------


class TimeError(ValueError):
    """A ``--since`` or ``--until`` that is neither a duration nor an ISO 8601 time."""


def parse_time(value: str, option: str, now: datetime) -> datetime:
    """``value`` as an aware UTC time: ``now`` minus a duration (``30s``, ``15m``, ``24h``,
    ``7d``, ``2w``), ``now`` itself for ``now``, or an ISO 8601 time (UTC when it has no
    offset, as the gateway reads it too).

    Raises :class:`TimeError` naming ``option`` and the value.
    """
    text = value.strip()
    if text.lower() == "now":
        return now
    relative = _DURATION.match(text)
    try:
        if relative is not None:
            amount, unit = int(relative.group(1)), relative.group(2).lower()
            return now - timedelta(**{_UNITS[unit]: amount})
        moment = datetime.fromisoformat(text)
    except OverflowError:
        raise TimeError(f"{option}: {value!r} reaches beyond the calendar") from None
    except ValueError:
        raise TimeError(
            f"{option}: {value!r} is not a time: give a duration back from now "
            "(15m, 24h, 7d) or an ISO 8601 time (2026-01-05T10:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _times(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    """Both ends against one ``now``: a 24h range is then exactly 24 hours, which is what
    the gateway's longest minute range allows."""
    now = datetime.now(UTC)
    try:
        start = None if since is None else parse_time(since, "--since", now)
        end = None if until is None else parse_time(until, "--until", now)
    except TimeError as exc:
        _fail(str(exc))
    return start, end


# -- options and names ------------------------------------------------------------------


def _camel(name: str) -> str:
    """``api-key`` or ``api_key`` as the API spells it (``apiKey``); camelCase stays."""
    return _CAMEL_PART.sub(lambda found: found.group(1).upper(), name.strip())


def _names(values: Iterable[str]) -> list[str]:
    """Repeated and comma-separated option values, in order, in the API's spelling."""
    return [_camel(part) for value in values for part in value.split(",") if part.strip()]


def _label(name: str) -> str:
    """A column header for an API name: ``latencyP95`` is ``LATENCY_P95``."""
    return _CAMEL_BOUNDARY.sub("_", name).upper()


# (option, API name, help): the record filters the usage query and the audit share.
_FILTERS: Final = (
    ("--resource", "resource", "A resource (id or name)."),
    ("--provider", "provider", "A provider (openai, anthropic, ...)."),
    ("--model", "model", "A provider's model."),
    ("--connection", "connection", "A connection (id or name)."),
    ("--api-key", "apiKey", "An API key (id or name)."),
    ("--status", "status", "A status code (429) or class (5xx)."),
    ("--error-class", "errorClass", "An error class (provider_error, ...)."),
)


def _filter_options(func: F) -> F:
    """Add the record filters; each may repeat (any value matches), filters combine (AND).
    Values are not split on commas: names may contain them."""
    for option, name, text in reversed(_FILTERS):
        func = click.option(
            option, name, multiple=True, metavar="VALUE", help=f"{text} Repeatable."
        )(func)
    return func


def _time_options(since_default: str | None) -> Callable[[F], F]:
    """Add ``--since`` (with this default) and ``--until``, kept as text for :func:`_times`."""
    since_help = (
        "Oldest time (inclusive): a duration back from now (15m, 24h, 7d) or ISO 8601; "
        f"default {since_default or 'none'}."
    )

    def add(func: F) -> F:
        func = click.option(
            "--until",
            metavar="TIME",
            help="Newest time (exclusive), in the same forms; default now.",
        )(func)
        return click.option("--since", default=since_default, metavar="TIME", help=since_help)(func)

    return add


def _given(filters: dict[str, tuple[str, ...]]) -> dict[str, list[str]]:
    """The filters that were given, by API name."""
    return {name: list(filters[name]) for _, name, _ in _FILTERS if filters.get(name)}


def _shaped(value: Any, shape: type[T]) -> T:
    """``value`` (decoded JSON) as ``shape``: an answer the CLI cannot read is an error."""
    try:
        return msgspec.convert(value, shape)
    except msgspec.ValidationError as exc:
        raise RemoteError(200, f"unexpected answer: {exc}") from None


class _Shape(msgspec.Struct, rename="camel", kw_only=True):
    """What the tables read of an answer; other fields are ignored (a newer gateway)."""


# -- usage --------------------------------------------------------------------------------


class _UsageRow(_Shape):
    bucket: datetime
    group: dict[str, Any]
    metrics: dict[str, Any]


class _UsageAnswer(_Shape):
    granularity: str
    group_by: list[str]
    metrics: list[str]
    rows: list[_UsageRow]
    totals: dict[str, Any]


_BUCKET_FORMATS: Final = {
    "minute": "%Y-%m-%dT%H:%MZ",
    "hour": "%Y-%m-%dT%H:%MZ",
    "day": "%Y-%m-%d",
    "week": "%Y-%m-%d",
    "month": "%Y-%m",
}


def _bucket(moment: datetime, granularity: str) -> str:
    pattern = _BUCKET_FORMATS.get(granularity)
    if pattern is None:  # a granularity this CLI does not know yet: the full time
        return _iso(moment)
    return moment.astimezone(UTC).strftime(pattern)


def _group_cell(value: Any) -> str:
    """A group's value: an object by its recorded name (its id when it has none)."""
    if isinstance(value, dict):
        value = value.get("name") or value.get("id")
    return _MISSING if value is None else str(value)


def _metric_cell(name: str, value: Any) -> str:
    """Counts as they are, the error rate in percent, milliseconds to 0.1, USD to 1e-8."""
    if value is None:
        return _MISSING
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if name == "errorRate":
        return f"{value * 100:.1f}%"
    if name == "estimatedCost":
        # A small model's request costs millionths of a dollar: fixed six places would
        # show 0.000003 for 0.00000345, so eight places without the trailing zeros.
        return f"{value:.8f}".rstrip("0").rstrip(".")
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _print_usage(answer: _UsageAnswer) -> None:
    headers = [
        "BUCKET",
        *(_label(d) for d in answer.group_by),
        *(_label(m) for m in answer.metrics),
    ]

    def measured(values: dict[str, Any]) -> list[str]:
        return [_metric_cell(m, values.get(m)) for m in answer.metrics]

    rows = [
        [
            _bucket(row.bucket, answer.granularity),
            *(_group_cell(row.group.get(d)) for d in answer.group_by),
            *measured(row.metrics),
        ]
        for row in answer.rows
    ]
    rows.append(["TOTAL", *("" for _ in answer.group_by), *measured(answer.totals)])
    _print_table(headers, rows)


@click.command()
@click.argument("workspace")
@click.argument("environment")
@_time_options(since_default="24h")
@click.option(
    "--granularity",
    default="hour",
    show_default=True,
    help="Bucket size, aligned in UTC: minute, hour, day, week (from Monday) or month.",
)
@click.option(
    "--group-by",
    "group_by",
    multiple=True,
    metavar="DIMENSIONS",
    help="Comma-separated: resource, provider, model, connection, apiKey, status, "
    "errorClass (api-key works too). Default: no grouping.",
)
@click.option(
    "--metrics",
    multiple=True,
    metavar="METRICS",
    help="Comma-separated columns: requests, errors, errorRate, promptTokens, "
    "completionTokens, cachedTokens, totalTokens, latencyAvg, latencyP50, latencyP95, "
    "latencyP99, timeToFirstTokenAvg, timeToFirstTokenP50, timeToFirstTokenP95, "
    "gatewayLatencyAvg, estimatedCost (total-tokens works too); latencies in ms, cost in "
    f"USD. Default: {', '.join(DEFAULT_METRICS)}.",
)
@_filter_options
@click.option("--json", "as_json", is_flag=True, help="Print the gateway's JSON answer.")
@_remote
def usage(
    client: Client,
    workspace: str,
    environment: str,
    since: str,
    until: str | None,
    granularity: str,
    group_by: tuple[str, ...],
    metrics: tuple[str, ...],
    as_json: bool,
    **filters: tuple[str, ...],
) -> None:
    """Requests, errors, tokens, latency and cost of ENVIRONMENT (of WORKSPACE) per time
    bucket and group, with the totals of the range; only buckets with requests are shown.
    """
    start, end = _times(since, until or "now")
    assert start is not None and end is not None  # both have a default
    query: dict[str, Any] = {
        "from": _iso(start),
        # Sent even when it is now: the range is then what --since said, not a bit longer.
        "to": _iso(end),
        "granularity": granularity.strip(),
        "groupBy": _names(group_by),
        "metrics": _names(metrics) or list(DEFAULT_METRICS),
    }
    given = _given(filters)
    if given:
        query["filters"] = given
    answer = client.usage(workspace, environment, query)
    if as_json:
        _print_json(answer)
        return
    _print_usage(_shaped(answer, _UsageAnswer))


# -- the request audit -----------------------------------------------------------------


class _Ref(_Shape):
    id: str | None = None
    name: str | None = None


class _AuditItem(_Shape):
    request_id: str
    created_at: datetime
    status: int
    resource: _Ref = msgspec.field(default_factory=_Ref)
    provider: str | None = None
    model: str | None = None
    error_class: str | None = None
    total_tokens: int = 0
    latency_ms: float | None = None
    estimated_cost: float | None = None


class _AuditPage(_Shape):
    items: list[Any]
    next_cursor: str | None = None


def _record_params(
    since: str | None,
    until: str | None,
    correlation_id: str | None,
    filters: dict[str, tuple[str, ...]],
) -> list[tuple[str, str]]:
    """The audit's query parameters (a filter given several times repeats its name)."""
    start, end = _times(since, until)
    params: list[tuple[str, str]] = []
    if start is not None:
        params.append(("from", _iso(start)))
    if end is not None:
        params.append(("to", _iso(end)))
    for name, values in _given(filters).items():
        params.extend((name, value) for value in values)
    if correlation_id is not None:
        params.append(("correlationId", correlation_id))
    return params


def _audit_filters(func: F) -> F:
    """The time range, the record filters and ``--correlation-id``."""
    func = click.option(
        "--correlation-id", metavar="ID", help="The x-correlation-id the caller sent."
    )(func)
    return _time_options(since_default=None)(_filter_options(func))


def _model_cell(item: _AuditItem) -> str:
    if item.provider is None and item.model is None:
        return _MISSING
    return f"{item.provider or _MISSING}/{item.model or _MISSING}"


def _audit_row(item: _AuditItem) -> list[str]:
    return [
        item.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        item.request_id,
        _group_cell({"id": item.resource.id, "name": item.resource.name}),
        _model_cell(item),
        str(item.status),
        item.error_class or _MISSING,
        str(item.total_tokens),
        _metric_cell("latencyMs", item.latency_ms),
        _metric_cell("estimatedCost", item.estimated_cost),
    ]


@click.group()
def audit() -> None:
    """Read the request audit: what each data-plane request did."""


@audit.command("list")
@click.argument("workspace")
@click.argument("environment")
@_audit_filters
@click.option(
    "--limit",
    default=50,
    show_default=True,
    metavar="N",
    help="Show the newest N matching requests (fetched in as many pages as that takes).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of the records.")
@_remote
def audit_list(
    client: Client,
    workspace: str,
    environment: str,
    since: str | None,
    until: str | None,
    correlation_id: str | None,
    limit: int,
    as_json: bool,
    **filters: tuple[str, ...],
) -> None:
    """List the requests of ENVIRONMENT (of WORKSPACE), newest first: time (UTC), request
    id, resource, provider/model, status, error class, tokens, latency (ms), cost (USD)."""
    if limit < 1:
        _fail(f"--limit: {limit} is not a count of records: give 1 or more")
    params = _record_params(since, until, correlation_id, filters)
    items: list[Any] = []
    cursor: str | None = None
    while len(items) < limit:
        page = _shaped(
            client.audit_page(
                workspace,
                environment,
                params,
                limit=min(AUDIT_PAGE_SIZE, limit - len(items)),
                cursor=cursor,
            ),
            _AuditPage,
        )
        items.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    if as_json:
        _print_json(items)
    else:
        _print_table(
            [
                "TIME",
                "REQUEST_ID",
                "RESOURCE",
                "MODEL",
                "STATUS",
                "ERROR_CLASS",
                "TOKENS",
                "LATENCY_MS",
                "COST",
            ],
            [_audit_row(item) for item in _shaped(items, list[_AuditItem])],
        )
    if cursor is not None:
        # On stderr: the table or the JSON on stdout stays exactly the records.
        click.echo(
            f"note: only the newest {limit} are shown; more match (raise --limit or narrow "
            "the filters)",
            err=True,
        )


@audit.command("show")
@click.argument("workspace")
@click.argument("environment")
@click.argument("request_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of YAML.")
@_remote
def audit_show(
    client: Client, workspace: str, environment: str, request_id: str, as_json: bool
) -> None:
    """Show request REQUEST_ID (its x-request-id) with every provider attempt, the routing
    events and the captured payload, as YAML (or JSON)."""
    record = client.audit_record(workspace, environment, request_id)
    if as_json:
        _print_json(record)
        return
    click.echo(yaml.safe_dump(record, sort_keys=False, allow_unicode=True).rstrip("\n"))


def _to_stdout(chunks: Iterator[bytes]) -> None:
    """The bytes as they come (already UTF-8): no decoding and re-encoding."""
    stdout = sys.stdout.buffer
    try:
        for chunk in chunks:
            stdout.write(chunk)
        stdout.flush()
    except BrokenPipeError:
        # The reader left (| head): stop without a traceback, and point stdout at devnull
        # so the interpreter's last flush does not raise again (Python's signal docs).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)


def _count_records(path: Path, export_format: str) -> int:
    """Records in a written export, read back as a stream: a CSV cell may hold newlines."""
    with path.open(newline="", encoding="utf-8") as written:
        if export_format == "csv":
            return max(sum(1 for _ in csv.reader(written)) - 1, 0)  # less the header
        return sum(1 for line in written if line.strip())


@contextlib.contextmanager
def _replacing(target: Path) -> Iterator[Path]:
    """A file beside ``target`` that becomes ``target`` only once complete: an export cut
    short must not pass for a whole one, nor destroy a previous one. Made 0600 (tempfile's
    mode): records hold client IPs and payloads."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    partial = Path(name)
    try:
        yield partial
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


@audit.command("export")
@click.argument("workspace")
@click.argument("environment")
@click.option(
    "--format",
    "export_format",
    default="jsonl",
    show_default=True,
    metavar="csv|jsonl",
    help="csv: one row per request (attempts as JSON text); jsonl: one detail per line.",
)
@_audit_filters
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to FILE (replaced only once complete) instead of stdout.",
)
@_remote
def audit_export(
    client: Client,
    workspace: str,
    environment: str,
    export_format: str,
    since: str | None,
    until: str | None,
    correlation_id: str | None,
    output: Path | None,
    **filters: tuple[str, ...],
) -> None:
    """Export every matching request of ENVIRONMENT (of WORKSPACE), newest first, streamed
    as it arrives (never held in memory)."""
    params = [
        ("format", export_format.strip()),
        *_record_params(since, until, correlation_id, filters),
    ]
    with client.audit_export(workspace, environment, params) as chunks:
        if output is None:
            _to_stdout(chunks)
            return
        try:
            with _replacing(output) as partial:
                with partial.open("wb") as written:
                    for chunk in chunks:
                        written.write(chunk)
                count = _count_records(partial, export_format.strip())
        except OSError as exc:
            _fail(f"cannot write {output}: {exc.strerror or exc}")
    click.echo(f"exported {count} requests to {output}")
