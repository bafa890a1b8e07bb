"""Process-wide settings, read once from ``SWITCHBOARD_*`` environment variables.

Every field of :class:`Settings` is one variable: ``database_url`` is
``SWITCHBOARD_DATABASE_URL``, and so on. Values are converted with msgspec's string
coercion, so a wrong value stops startup with :class:`SettingsError` naming the variable.
The README's configuration table is checked against this class by the tests.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from switchboard.db.engine import default_database_url, normalize_url

__all__ = ["ENV_PREFIX", "SECRET_FIELDS", "Settings", "SettingsError", "load_settings"]

ENV_PREFIX = "SWITCHBOARD_"

SECRET_FIELDS = frozenset({"admin_password", "encryption_key", "previous_encryption_keys"})
"""Settings that ``repr`` masks: they must never reach a log line or a test report."""

LogFormat = Literal["text", "json"]
LogLevel = Literal["debug", "info", "warning", "error"]


class SettingsError(ValueError):
    """A ``SWITCHBOARD_*`` variable has a value the gateway cannot use."""


def _default_data_dir() -> str:
    return str(Path.cwd() / "data")


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The gateway's process-wide configuration.

    Field docs become the README's configuration table (see ``describe_settings``).
    The fields in :data:`SECRET_FIELDS` are secrets: ``repr`` masks them, so a settings
    object printed in a log or a test failure does not show them.
    """

    def __repr__(self) -> str:
        shown = {
            f: ("***" if f in SECRET_FIELDS and getattr(self, f) else getattr(self, f))
            for f in self.__struct_fields__
        }
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    database_url: Annotated[
        str,
        msgspec.Meta(
            description=(
                "SQLAlchemy URL of the database. Empty: SQLite file `switchboard.db` in the "
                "data dir. PostgreSQL: `postgresql+asyncpg://user:pass@host/db`."
            )
        ),
    ] = ""
    redis_url: Annotated[
        str,
        msgspec.Meta(
            description=(
                "Redis URL (`redis://host:6379/0`) for shared state. Empty: in-process "
                "state, correct for one process only."
            )
        ),
    ] = ""
    redis_cluster: Annotated[
        bool,
        msgspec.Meta(
            description=(
                "`true`: `SWITCHBOARD_REDIS_URL` names a node of a Redis Cluster; the capacity "
                "limiter and the login throttle use a cluster client, cache invalidation "
                "(pub/sub, broadcast by the cluster) and `/readyz` the node in the URL."
            )
        ),
    ] = False
    host: Annotated[str, msgspec.Meta(description="Address `switchboard serve` binds.")] = (
        "127.0.0.1"
    )
    port: Annotated[
        int, msgspec.Meta(ge=0, le=65535, description="Port `switchboard serve` listens on.")
    ] = 8000
    workers: Annotated[
        int, msgspec.Meta(ge=1, le=256, description="Worker processes of `switchboard serve`.")
    ] = 1
    data_dir: Annotated[
        str,
        msgspec.Meta(
            description="Folder for the embedded database, generated keys and spooled records."
        ),
    ] = msgspec.field(default_factory=_default_data_dir)
    log_format: Annotated[
        LogFormat, msgspec.Meta(description="`text` for people, `json` for log pipelines.")
    ] = "text"
    log_level: Annotated[
        LogLevel, msgspec.Meta(description="`debug`, `info`, `warning` or `error`.")
    ] = "info"
    plugins: Annotated[
        str,
        msgspec.Meta(
            description=(
                "Comma-separated allow-list of plugin names; empty loads every installed plugin."
            )
        ),
    ] = ""
    disable_plugins: Annotated[
        str,
        msgspec.Meta(description="Comma-separated plugin names never to load."),
    ] = ""
    strict_plugins: Annotated[
        bool,
        msgspec.Meta(
            description="`true`: a plugin that fails to load stops startup instead of a warning."
        ),
    ] = False
    max_body_bytes: Annotated[
        int,
        msgspec.Meta(ge=1024, description="Largest request body accepted, in bytes (else 413)."),
    ] = 10 * 1024 * 1024
    admin_password: Annotated[
        str,
        msgspec.Meta(
            description=(
                "Password of the `admin` account created on first start. Empty: one is "
                "generated and printed once to stderr."
            )
        ),
    ] = ""
    encryption_key: Annotated[
        str,
        msgspec.Meta(
            description=(
                "Key that seals connection credentials (libsodium secret box): 32 random "
                "bytes in base64. Empty: with the embedded SQLite one is generated into "
                "`encryption.key` in the data dir; with PostgreSQL credentials are refused."
            )
        ),
    ] = ""
    previous_encryption_keys: Annotated[
        str,
        msgspec.Meta(
            description=(
                "Comma-separated former encryption keys: they still open credentials sealed "
                "before a key rotation, never seal (see `switchboard secrets rotate`)."
            )
        ),
    ] = ""
    session_hours: Annotated[
        int,
        msgspec.Meta(ge=1, le=24 * 30, description="Lifetime of a UI login session, in hours."),
    ] = 12
    record_retention_days: Annotated[
        int,
        msgspec.Meta(
            ge=0,
            description=(
                "Days request records (the request audit, and the usage computed from it) "
                "are kept; older ones are purged at start and every hour. `0` keeps them "
                "forever."
            ),
        ),
    ] = 90
    debug: Annotated[
        bool, msgspec.Meta(description="Litestar debug mode; never on in production.")
    ] = False

    # -- derived values -------------------------------------------------------------

    @property
    def effective_database_url(self) -> str:
        """The database URL to connect to: the configured one or the embedded SQLite file."""
        if self.database_url:
            return normalize_url(self.database_url).render_as_string(hide_password=False)
        return default_database_url(self.data_dir)

    @property
    def is_embedded_database(self) -> bool:
        """Whether the database is the embedded SQLite default."""
        return self.effective_database_url.startswith("sqlite")

    @property
    def plugin_allow_list(self) -> frozenset[str]:
        """Names from ``SWITCHBOARD_PLUGINS``; empty means no allow-list."""
        return _split_names(self.plugins)

    @property
    def plugin_block_list(self) -> frozenset[str]:
        """Names from ``SWITCHBOARD_DISABLE_PLUGINS``."""
        return _split_names(self.disable_plugins)


def _split_names(value: str) -> frozenset[str]:
    return frozenset(name.strip() for name in value.split(",") if name.strip())


def env_var_name(field: str) -> str:
    """The environment variable that fills ``field``."""
    return ENV_PREFIX + field.upper()


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Build :class:`Settings` from ``environ`` (default ``os.environ``) and ``overrides``.

    Variables that are not settings (``SWITCHBOARD_TEST_*`` and the like) are ignored.
    """
    environ = os.environ if environ is None else environ
    known = {env_var_name(f): f for f in Settings.__struct_fields__}
    raw: dict[str, object] = {}
    for var, value in environ.items():
        if not var.startswith(ENV_PREFIX):
            continue
        field = known.get(var)
        if field is not None:
            raw[field] = value
    raw.update(overrides)
    try:
        settings = msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(_name_variable(str(exc))) from None
    if settings.database_url:
        try:
            normalize_url(settings.database_url)
        except ValueError as exc:
            raise SettingsError(f"{env_var_name('database_url')}: {exc}") from None
    return settings


def _name_variable(message: str) -> str:
    """Rewrite msgspec's ``... - at `$.port``` into a message naming the variable."""
    marker = " - at `$."
    if marker in message:
        problem, _, rest = message.partition(marker)
        field = rest.rstrip("`").split(".", 1)[0].split("[", 1)[0]
        return f"{env_var_name(field)}: {problem}"
    return message


def describe_settings() -> list[tuple[str, str, str]]:
    """``(variable, default, description)`` for every setting, in declaration order."""
    info = msgspec.inspect.type_info(Settings)
    assert isinstance(info, msgspec.inspect.StructType)
    rows = []
    for field in info.fields:
        description = ""
        ftype = field.type
        if isinstance(ftype, msgspec.inspect.Metadata):
            description = (
                ftype.extra_json_schema.get("description", "") if ftype.extra_json_schema else ""
            )
        if field.name == "data_dir":
            default = "`./data`"
        elif field.default in (msgspec.NODEFAULT, ""):
            default = "(empty)"
        else:
            default = f"`{_format_default(field.default)}`"
        rows.append((env_var_name(field.name), default, description))
    return rows


def _format_default(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
