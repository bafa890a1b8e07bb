"""The ``switchboard`` command: serve, migrate, inspect plugins; plugins add their own.

Every command turns the errors an operator can fix (a bad setting, an unreachable database,
a schema from a newer version, a broken plugin) into one line on stderr and a non-zero exit,
never a traceback.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import click
import msgspec

from switchboard import __version__
from switchboard.accounts.bootstrap import announce_generated_password, ensure_admin
from switchboard.cli_client.commands import register as register_client_commands
from switchboard.db.engine import DatabaseUnavailable, create_engine, session_factory
from switchboard.db.migrations import SchemaBehind, SchemaTooNew, prepare_database
from switchboard.logs import configure_logging
from switchboard.plugin_report import PluginReport, plugin_report
from switchboard.plugins.host import PluginHost, PluginLoadError
from switchboard.secrets_rotation import rotate_secrets
from switchboard.settings import Settings, SettingsError, load_settings

__all__ = ["cli", "main"]

T = TypeVar("T")

OPERATOR_ERRORS = (
    SettingsError,
    PluginLoadError,
    DatabaseUnavailable,
    SchemaTooNew,
    SchemaBehind,
)


def fail(message: str) -> NoReturn:
    """Print ``error: message`` to stderr and exit 1."""
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@contextmanager
def operator_errors() -> Iterator[None]:
    """Turn the errors an operator can fix into ``error: ...`` and exit status 1."""
    try:
        yield
    except OPERATOR_ERRORS as exc:
        fail(str(exc))


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion with the gateway's errors made readable."""
    with operator_errors():
        return asyncio.run(coro)


class Context:
    """What every command shares: the settings and the loaded plugins."""

    def __init__(self, settings: Settings, plugins: PluginHost) -> None:
        self.settings = settings
        self.plugins = plugins


pass_context = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="switchboard")
def cli() -> None:
    """Switchboard, the self-hosted AI gateway. Settings come from SWITCHBOARD_* variables."""


register_client_commands(cli)  # login, logout, users, roles: the admin CLI over the REST API


@cli.command()
@click.option("--host", help="Address to bind (default SWITCHBOARD_HOST or 127.0.0.1).")
@click.option("--port", type=int, help="Port (default SWITCHBOARD_PORT or 8000).")
@click.option("--workers", type=int, help="Worker processes (default SWITCHBOARD_WORKERS or 1).")
@click.option("--strict", is_flag=True, help="Refuse to start when any plugin fails to load.")
@click.option(
    "--migrate/--no-migrate",
    default=None,
    help="Migrate the database before serving (default: only the embedded SQLite).",
)
@pass_context
def serve(
    ctx: Context,
    host: str | None,
    port: int | None,
    workers: int | None,
    strict: bool,
    migrate: bool | None,
) -> None:
    """Run the gateway's HTTP server."""
    import uvicorn

    overrides = {"host": host, "port": port, "workers": workers}
    if strict:
        overrides["strict_plugins"] = True
    # Workers are fresh processes that read SWITCHBOARD_* again: pass the flags that way.
    for field, value in overrides.items():
        if value is not None:
            os.environ[f"SWITCHBOARD_{field.upper()}"] = (
                str(value).lower() if isinstance(value, bool) else str(value)
            )
    if strict and ctx.plugins.failures:
        failed = ctx.plugins.failures[0]
        fail(f"plugin {failed.name!r} failed to load: {failed.error}")
    with operator_errors():
        settings = load_settings()
    auto = settings.is_embedded_database if migrate is None else migrate
    run(_prepare(settings, auto_migrate=auto))
    uvicorn.run(
        "switchboard.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=30,
    )


async def _prepare(settings: Settings, *, auto_migrate: bool) -> None:
    """Migrate (when asked) and create the first admin, once, before workers start."""
    engine = create_engine(settings.effective_database_url)
    try:
        await prepare_database(engine, auto_migrate=auto_migrate)
        generated = await ensure_admin(session_factory(engine), password=settings.admin_password)
        if generated is not None:
            announce_generated_password(
                generated, data_dir=settings.data_dir, log_format=settings.log_format
            )
    finally:
        await engine.dispose()


@cli.command()
@pass_context
def migrate(ctx: Context) -> None:
    """Create or upgrade the database schema to this version's."""
    run(_prepare(ctx.settings, auto_migrate=True))
    click.echo("database schema is up to date")


@cli.group()
def plugins() -> None:
    """Inspect the installed plugins."""


@plugins.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_context
def plugins_list(ctx: Context, as_json: bool) -> None:
    """Show installed plugins, the hooks each implements, and where each is on."""
    report = run(plugin_report(ctx.settings, ctx.plugins))
    if as_json:
        click.echo(msgspec.json.format(msgspec.json.encode(report)).decode())
        return
    _print_report(report)


def _print_report(report: PluginReport) -> None:
    for plugin in report.plugins:
        click.echo(f"{plugin.name} ({plugin.distribution or '-'} {plugin.version or ''})".rstrip())
        if plugin.error:
            click.echo(f"  FAILED TO LOAD: {plugin.error}")
            continue
        if plugin.description:
            click.echo(f"  {plugin.description}")
        click.echo(f"  default: {'on' if plugin.enabled_by_default else 'off'}")
        click.echo(f"  hooks: {', '.join(plugin.hooks) or '-'}")
        where = ", ".join(plugin.environments) if plugin.environments else "-"
        click.echo(f"  environments: {where}")
    if report.environments_note:
        click.echo(f"\nnote: {report.environments_note}")


@cli.group()
def secrets() -> None:
    """Manage how connection credentials are encrypted at rest."""


@secrets.command("rotate")
@click.option("--dry-run", is_flag=True, help="Open every ciphertext, write nothing.")
@pass_context
def secrets_rotate(ctx: Context, dry_run: bool) -> None:
    """Re-seal every connection's credentials with its environment's current box and key.

    Safe while the gateway serves and safe to run again; see the README's key rotation.
    """
    report = run(rotate_secrets(ctx.settings, ctx.plugins, dry_run=dry_run))
    verb = "would re-seal" if dry_run else "re-sealed"
    line = f"{verb} {report.resealed} connection(s); {report.current} already current"
    if report.changed:
        line += f"; {report.changed} changed meanwhile, left as they are"
    click.echo(line)
    for failure in report.failures:
        click.echo(f"error: {failure.path} ({failure.connection_id}): {failure.message}", err=True)
    if report.failures:
        fail(f"{len(report.failures)} connection(s) could not be re-sealed")


# Commands that talk to a gateway over HTTP: the local server's settings do not concern
# them, so a bad SWITCHBOARD_PORT on an admin's laptop must not stop `switchboard users list`.
CLIENT_COMMANDS = frozenset({"login", "logout", "users", "roles", "apply", "export"})


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``switchboard`` command."""
    args = sys.argv[1:] if argv is None else argv
    wants_help = not args or any(a in ("-h", "--help", "--version") for a in args)
    try:
        settings = load_settings()
    except SettingsError as exc:
        if not wants_help and not (args and args[0] in CLIENT_COMMANDS):
            fail(str(exc))
        settings = Settings()
    configure_logging(settings)
    host = PluginHost(settings)
    try:
        host.load_entry_points()
    except PluginLoadError as exc:
        fail(str(exc))
    host.hooks.register_cli_commands(cli=cli)
    cli.main(args=args, prog_name="switchboard", obj=Context(settings, host))
