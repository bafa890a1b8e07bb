"""Async engines and sessions for SQLite (aiosqlite) and PostgreSQL (asyncpg).

:func:`create_engine` is the only place that knows how each database is tuned:

- SQLite: the file's folder is created; every connection turns on foreign keys (SQLite
  ignores them otherwise, and the cascades depend on them), WAL journaling (readers do not
  block the writer) and a busy timeout (writers wait for each other instead of failing). The
  driver's own transaction handling is replaced by an explicit ``BEGIN`` so that DDL and
  SAVEPOINTs are transactional, as SQLAlchemy's documentation recommends for aiosqlite.
- PostgreSQL: asyncpg with a bounded pool, pre-ping (connections survive a database restart)
  and a connect timeout, so an unreachable server is reported in seconds.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

__all__ = [
    "CONNECT_CHECK_TIMEOUT_S",
    "PING_TIMEOUT_S",
    "SQLITE_BEGIN_OPTION",
    "DatabaseUnavailable",
    "begin_writing",
    "connect_check",
    "create_engine",
    "default_database_url",
    "describe_url",
    "normalize_url",
    "ping",
    "session_factory",
    "writing",
]

SQLITE_BEGIN_OPTION: Final = "switchboard_sqlite_begin"
"""Execution option naming the ``BEGIN`` mode on SQLite (``"IMMEDIATE"`` takes the write lock
at once; used by migrations so that concurrent upgrades queue instead of failing)."""

PING_TIMEOUT_S: Final = 2.0
"""How long :func:`ping` waits for ``SELECT 1``."""
CONNECT_CHECK_TIMEOUT_S: Final = 15.0
"""How long :func:`connect_check` waits at startup."""

_SQLITE_BEGIN_MODES: Final = frozenset({"", "DEFERRED", "IMMEDIATE", "EXCLUSIVE"})
_SQLITE_BUSY_TIMEOUT_MS: Final = 5_000
_POSTGRES_CONNECT_TIMEOUT_S: Final = 10.0
_DRIVERS: Final = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}


class DatabaseUnavailable(Exception):
    """The database cannot be reached. ``str()`` is one line naming where it was looked for,
    with the password masked; print it instead of a traceback."""

    def __init__(self, target: str, reason: str) -> None:
        super().__init__(f"database unavailable at {target}: {reason}")
        self.target = target
        self.reason = reason


def default_database_url(data_dir: str | Path) -> str:
    """Return the URL of the embedded SQLite database, ``switchboard.db`` in ``data_dir``."""
    path = Path(data_dir).expanduser().resolve() / "switchboard.db"
    return URL.create("sqlite+aiosqlite", database=str(path)).render_as_string()


def normalize_url(url: str | URL) -> URL:
    """Parse ``url`` and select the async driver when the URL names none.

    ``sqlite:///f.db`` becomes ``sqlite+aiosqlite:///f.db``; ``postgresql://`` and
    ``postgres://`` become ``postgresql+asyncpg://``. Raises :class:`ValueError` for any
    other database or driver.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ValueError(f"invalid database URL: {exc}") from None
    drivername = _DRIVERS.get(parsed.drivername, parsed.drivername)
    if drivername not in _DRIVERS.values():
        raise ValueError(
            f"unsupported database URL scheme {parsed.drivername!r}: use sqlite+aiosqlite:// "
            "or postgresql+asyncpg://"
        )
    return parsed.set(drivername=drivername)


def describe_url(url: str | URL) -> str:
    """Name where a database lives for messages: ``host:port (url)`` or the SQLite file,
    never the password."""
    parsed = make_url(url)
    masked = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite":
        return masked
    host = parsed.host or "localhost"
    port = parsed.port or 5432
    return f"{host}:{port} ({masked})"


def create_engine(url: str | URL, *, pool_size: int = 10, max_overflow: int = 10) -> AsyncEngine:
    """Create the async engine for ``url`` (see :func:`normalize_url` for accepted URLs).

    ``pool_size`` and ``max_overflow`` bound each process's PostgreSQL connections; SQLite
    ignores them. Raises :class:`ValueError` for an unsupported URL and
    :class:`DatabaseUnavailable` when the SQLite file's folder cannot be created.
    """
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _create_sqlite_engine(parsed)
    return _create_async_engine(
        parsed,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={
            "timeout": _POSTGRES_CONNECT_TIMEOUT_S,
            "server_settings": {"application_name": "switchboard"},
        },
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Return the session factory for ``engine``; objects stay readable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def begin_writing(session: AsyncSession) -> None:
    """Begin ``session``'s transaction now, as one that will write: on SQLite, with the
    write lock taken first (``BEGIN IMMEDIATE``); nothing special on PostgreSQL.

    In WAL mode a transaction that read first cannot wait for the write lock: if another
    connection (the database recorder, say) committed since its read, SQLite refuses the
    write at once with "database is locked", whatever the busy timeout. One that takes the
    lock first waits its turn (up to the busy timeout) instead.
    """
    if session.get_bind().dialect.name == "sqlite":
        await session.connection(execution_options={SQLITE_BEGIN_OPTION: "IMMEDIATE"})


def writing(engine: AsyncEngine) -> AsyncEngine:
    """``engine`` whose transactions begin as writing ones (see :func:`begin_writing`) when
    their first statement runs: a session bound to it takes SQLite's write lock only once it
    touches the database."""
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})


async def ping(engine: AsyncEngine) -> None:
    """Run ``SELECT 1``; raise :class:`DatabaseUnavailable` unless it succeeds within
    :data:`PING_TIMEOUT_S`. Used by ``/readyz``."""
    await _probe(engine, PING_TIMEOUT_S)


async def connect_check(engine: AsyncEngine) -> None:
    """Check at startup that the database answers within :data:`CONNECT_CHECK_TIMEOUT_S`;
    raise :class:`DatabaseUnavailable` with a one-line message otherwise."""
    await _probe(engine, CONNECT_CHECK_TIMEOUT_S)


async def _probe(engine: AsyncEngine, limit_s: float) -> None:
    # A server that accepts TCP but never answers would otherwise hang the caller: the
    # limit turns that into the same one-line DatabaseUnavailable as a refused connection.
    try:
        async with asyncio.timeout(limit_s), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except TimeoutError:
        raise DatabaseUnavailable(
            describe_url(engine.url), f"no answer within {limit_s:g} s"
        ) from None
    except (OSError, SQLAlchemyError) as exc:
        raise DatabaseUnavailable(describe_url(engine.url), _reason(exc, engine.url)) from None


def _reason(exc: BaseException, url: URL) -> str:
    """Return the innermost error's first line, with the password scrubbed just in case a
    driver echoes its connection parameters."""
    root: BaseException = exc
    while True:
        inner = getattr(root, "orig", None) or root.__cause__
        if not isinstance(inner, BaseException) or inner is root:
            break
        root = inner
    lines = str(root).strip().splitlines()
    message = lines[0] if lines else type(root).__name__
    if url.password:
        message = message.replace(str(url.password), "***")
    return message


def _create_sqlite_engine(url: URL) -> AsyncEngine:
    in_memory = url.database in (None, "", ":memory:")
    if not in_memory and url.database is not None and not url.database.startswith("file:"):
        folder = Path(url.database).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            reason = f"cannot create the folder {folder}: {exc.strerror or exc}"
            raise DatabaseUnavailable(describe_url(url), reason) from None
    options: dict[str, Any] = {"connect_args": {"timeout": _SQLITE_BUSY_TIMEOUT_MS / 1000}}
    if in_memory:
        # Each connection to ":memory:" is a separate, empty database: share one.
        options["poolclass"] = StaticPool
    engine = _create_async_engine(url, **options)
    event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
    event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # Autocommit at the driver level: _on_sqlite_begin emits BEGIN itself, so DDL runs
    # inside the transaction instead of committing whatever came before it.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
        _switch_to_wal(cursor)
        # NORMAL is durable with WAL except for the last commits on power loss.
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    """``PRAGMA journal_mode=WAL``, waiting up to the busy timeout for the lock it needs.

    SQLite does not run the busy handler for this switch while another connection holds the
    write lock of a database still in rollback mode (waiting could deadlock), so a fresh
    file opened by several connections at once (concurrent migrations) answered "database
    is locked" at once. This runs in the driver's thread: sleeping here blocks no loop.
    """
    deadline = time.monotonic() + _SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except Exception as error:  # the driver's OperationalError, as the adapter raises it
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
        time.sleep(_WAL_RETRY_SECONDS)


_WAL_RETRY_SECONDS: Final = 0.01


def _on_sqlite_begin(connection: Connection) -> None:
    options = connection.get_execution_options()
    if options.get("isolation_level") == "AUTOCOMMIT":
        return
    mode = str(options.get(SQLITE_BEGIN_OPTION, "")).upper()
    if mode not in _SQLITE_BEGIN_MODES:
        raise ValueError(f"{SQLITE_BEGIN_OPTION} must be one of {sorted(_SQLITE_BEGIN_MODES)}")
    connection.exec_driver_sql(f"BEGIN {mode}".strip())
