"""``switchboard apply -f FILE.yaml`` and ``switchboard export``: configuration as code.

``apply`` reads the file (:mod:`~switchboard.cli_client.declarative_spec`), reads what the
gateway holds through its REST API, plans the changes
(:mod:`~switchboard.cli_client.declarative_plan`), prints them as a diff and makes them
(:mod:`~switchboard.cli_client.declarative_apply`). It creates what is missing, updates the
fields the file sets where they differ, and deletes nothing unless ``--prune`` is given.
A second apply of the same file changes nothing and says so. ``export`` writes the
gateway's configuration in the same shape (:mod:`~switchboard.cli_client.declarative_export`).

Secrets are never printed, except the secret of an API key apply creates: it exists only
in that answer, so it is printed once, or written to ``--keys-out``.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click
import yaml

from switchboard.cli_client.client import Client
from switchboard.cli_client.commands import _fail, _remote
from switchboard.cli_client.declarative_apply import (
    ApplyError,
    KeysFileError,
    counts,
    execute,
    read_keys_file,
    write_keys_file,
)
from switchboard.cli_client.declarative_changes import Change, PlanError
from switchboard.cli_client.declarative_export import export_config
from switchboard.cli_client.declarative_plan import Options, plan
from switchboard.cli_client.declarative_spec import ConfigFile, FileError, load_file, parse_file
from switchboard.cli_client.declarative_state import State

__all__ = ["apply", "export"]


def _load(source: Path) -> tuple[ConfigFile, Path]:
    """The file's configuration and the folder its relative paths start from."""
    if str(source) == "-":
        return parse_file(sys.stdin.read(), "<stdin>"), Path.cwd()
    return load_file(source), source.resolve().parent


def _summary(tally: dict[str, int], *, done: bool) -> str:
    if done:
        return f"{tally['create']} created, {tally['update']} updated, {tally['delete']} deleted"
    return f"{tally['create']} to create, {tally['update']} to update, {tally['delete']} to delete"


def _show_new_keys(new_keys: dict[str, str], keys_out: Path | None) -> None:
    """Hand over the secrets of the keys just created: the only time they exist."""
    if not new_keys:
        return
    if keys_out is not None:
        try:
            write_keys_file(keys_out, new_keys)
        except KeysFileError as exc:
            click.echo(f"error: {exc}; the new keys are printed instead", err=True)
        else:
            click.echo(f"wrote the secrets of {len(new_keys)} new API key(s) to {keys_out}")
            return
    click.echo("new API keys (shown only this once: store them now):")
    for path, secret in sorted(new_keys.items()):
        click.echo(f"  {path}: {secret}")


@click.command("apply")
@click.option(
    "-f",
    "--file",
    "source",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="The YAML file to apply ('-' for stdin).",
)
@click.option("--dry-run", is_flag=True, help="Show the changes; make none.")
@click.option("--prune", is_flag=True, help="Also delete what the file's lists leave out.")
@click.option(
    "--update-credentials",
    is_flag=True,
    help="Re-send the credentials and passwords of objects that exist already.",
)
@click.option(
    "--keys-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write new API keys' secrets to this JSON file (0600) instead of printing them.",
)
@_remote
def apply(
    client: Client,
    source: Path,
    dry_run: bool,
    prune: bool,
    update_credentials: bool,
    keys_out: Path | None,
) -> None:
    """Make the gateway match a YAML file: create what is missing, update what differs.

    Only the fields the file sets are compared; nothing is deleted unless --prune is given,
    and then only within the lists the file gives (a section or list left out of the file
    is not managed). Credentials and passwords are write-only: they are sent when an object
    is created (or its credential fields change), else only with --update-credentials.
    Secrets come from <field>FromEnv / <field>FromFile, passwordFromEnv / passwordFile.
    """
    try:
        config, base = _load(source)
        if keys_out is not None:
            read_keys_file(keys_out)
        state = State(client)
        changes = plan(config, state, Options(prune, update_credentials, base))
    except (FileError, PlanError, KeysFileError) as exc:
        _fail(str(exc))
    if not changes:
        click.echo("no changes: the gateway matches the file")
        return
    if dry_run:
        for change in changes:
            for line in change.lines():
                click.echo(line)
        click.echo(f"dry run: {_summary(counts(changes), done=False)}; nothing was changed")
        return
    made: list[Change] = []
    new_keys: dict[str, str] = {}

    def done(change: Change) -> None:
        made.append(change)
        for line in change.lines():
            click.echo(line)

    try:
        execute(client, changes, new_keys, done)
    except ApplyError as exc:
        _show_new_keys(new_keys, keys_out)
        left = len(changes) - len(made)
        _fail(f"{exc} ({len(made)} change(s) made before it, {left} not made)")
    _show_new_keys(new_keys, keys_out)
    click.echo(f"applied: {_summary(counts(made), done=True)}")


@click.command("export")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Write to this file instead of stdout.",
)
@_remote
def export(client: Client, output: Path | None) -> None:
    """Print the gateway's configuration as a file switchboard apply -f reads.

    No secrets: credentials become <field>FromEnv placeholders (SWITCHBOARD_<CONNECTION>_
    <FIELD>), users have no passwords, API keys no secrets. Applying the export to the same
    gateway changes nothing.
    """
    config, notes = export_config(State(client))
    stamp = datetime.now(UTC).replace(microsecond=0).isoformat()
    header = [
        f"# switchboard export of {client.url} at {stamp}",
        "# Secrets are not exported: set the *FromEnv variables before applying elsewhere.",
        *(f"# {note}" for note in notes),
    ]
    text = "\n".join(header) + "\n" + yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    if output is None or str(output) == "-":
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}")
    click.echo(f"wrote the configuration to {output}")
