"""``switchboard login``, ``logout``, ``users ...`` and ``roles ...``: the admin CLI
(``apply``/``export`` and ``usage``/``audit ...`` build on its helpers).

These commands talk to a gateway over its REST API, local or remote. Which gateway and which
token: ``--url`` and ``--token``, else ``SWITCHBOARD_URL`` and ``SWITCHBOARD_TOKEN``, else what
``switchboard login`` stored. A stored token is only ever sent to the URL it was made for.
Every failure is one line, ``error: ...``, and exit status 1; secrets are never printed.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import socket
import sys
from collections.abc import Callable, Iterator
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit

import click
import msgspec
import yaml

from switchboard.cli_client import credentials
from switchboard.cli_client.client import Client, RemoteError, Unreachable
from switchboard.cli_client.credentials import Credentials, CredentialsError

__all__ = ["login", "logout", "register", "roles", "users"]

T = TypeVar("T")

URL_VARIABLE = "SWITCHBOARD_URL"
TOKEN_VARIABLE = "SWITCHBOARD_TOKEN"  # noqa: S105 - the variable's name, not a secret
REVOKE_TIMEOUT_SECONDS = 5.0  # a best-effort revocation must not hold up login
NOT_SIGNED_IN = "not signed in: run switchboard login --url URL"
# What a name may not contain (switchboard.naming.NAME_PATTERN), for the token's name.
_NOT_IN_NAMES = re.compile(r"[:*?/\\\x00-\x1f\x7f]")


def register(group: click.Group) -> None:
    """Add the client commands to the root ``switchboard`` group."""
    # Imported here: the declarative and observing commands build on this module's helpers.
    from switchboard.cli_client.declarative import apply, export
    from switchboard.cli_client.observe import audit, usage

    for command in (login, logout, users, roles, apply, export, usage, audit):
        group.add_command(command)


def _quiet_http_logs() -> None:
    """httpx narrates every request at INFO: noise on a command's stderr."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@contextlib.contextmanager
def _reported(url: str | None = None) -> Iterator[None]:
    """Turn the client's failures into ``error: ...``; a 401 says how to sign in again."""
    try:
        yield
    except Unreachable as exc:
        _fail(str(exc))
    except RemoteError as exc:
        if exc.status == 401 and url is not None:
            _fail(f"{exc.message} (run switchboard login --url {url})")
        _fail(exc.message)
    except CredentialsError as exc:
        _fail(str(exc))


def _checked_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        _fail(f"{url!r} is not a gateway URL: give it as http://host:port or https://host")
    return url.strip().rstrip("/")


def _password(from_stdin: bool, *, confirm: bool, prompt: str = "Password") -> str:
    """One line of stdin (without its newline), or a hidden prompt."""
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise click.UsageError("--password-stdin: no password on stdin")
        return line
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=confirm))


def _connect(url: str | None, token: str | None) -> Client:
    """A client for the gateway and token that the options, environment or credentials name."""
    stored = None if url and token else credentials.load()
    if not url:
        if stored is None:
            _fail(NOT_SIGNED_IN)
        url = stored.url
    url = _checked_url(url)
    if not token and stored is not None and _checked_url(stored.url) == url:
        token = stored.token
    if not token:
        _fail(f"not signed in to {url}: run switchboard login --url {url}")
    return Client(url, token)


def _remote(func: Callable[..., None]) -> Callable[..., None]:
    """Add ``--url`` and ``--token`` to a command and hand it a connected :class:`Client`."""

    @click.option(
        "--token",
        envvar=TOKEN_VARIABLE,
        metavar="TOKEN",
        help=f"Personal access token (default ${TOKEN_VARIABLE}, else the stored one).",
    )
    @click.option(
        "--url",
        envvar=URL_VARIABLE,
        metavar="URL",
        help=f"Gateway URL (default ${URL_VARIABLE}, else the one switchboard login stored).",
    )
    @functools.wraps(func)
    def command(url: str | None, token: str | None, **kwargs: Any) -> None:
        _quiet_http_logs()
        with _reported():
            client = _connect(url, token)
        with client, _reported(client.url):
            func(client, **kwargs)

    return command


def _print_json(value: object) -> None:
    click.echo(msgspec.json.format(msgspec.json.encode(value)).decode())


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _print_list(
    items: list[T], as_json: bool, headers: list[str], row: Callable[[T], list[str]]
) -> None:
    """``items`` as a JSON array, or as a table of ``row(item)`` under ``headers``."""
    if as_json:
        _print_json(items)
    else:
        _print_table(headers, [row(item) for item in items])


def _print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(headers)]
    for row in [headers, *rows]:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


# -- login, logout ---------------------------------------------------------------------


def _token_name() -> str:
    host = _NOT_IN_NAMES.sub("-", socket.gethostname()).strip()
    return f"cli@{host}"[:255] if host else "cli"


def _revoke_quietly(stored: Credentials) -> None:
    """Best effort: revoke a token we are about to forget, so it does not linger."""
    if stored.token_id is None:
        return
    with (
        contextlib.suppress(RemoteError, Unreachable),
        Client(stored.url, stored.token, timeout=REVOKE_TIMEOUT_SECONDS) as old,
    ):
        old.revoke_token(stored.token_id)


@click.command()
@click.option(
    "--url",
    envvar=URL_VARIABLE,
    required=True,
    metavar="URL",
    help=f"The gateway, e.g. http://127.0.0.1:8000 (default ${URL_VARIABLE}).",
)
@click.option("--username", help="Username or email (prompted for, default admin).")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of stdin; the username defaults to admin.",
)
def login(url: str, username: str | None, password_stdin: bool) -> None:
    """Sign in to a gateway and store a personal access token for the other commands.

    The token (named cli@<hostname>) goes to credentials.json in $SWITCHBOARD_CONFIG_DIR
    (default ~/.config/switchboard), readable only by you; the sign-in session is ended.
    """
    _quiet_http_logs()
    url = _checked_url(url)
    if username is None:
        username = "admin" if password_stdin else str(click.prompt("Username", default="admin"))
    password = _password(password_stdin, confirm=False)
    with _reported(), Client(url) as client:
        signed_in = client.login(username, password)
        try:
            token = client.create_token(_token_name())
        finally:
            # The token is what we keep; the session would only linger until it expires.
            with contextlib.suppress(RemoteError, Unreachable):
                client.logout()
        previous = None
        with contextlib.suppress(CredentialsError):
            previous = credentials.load()
        new = Credentials(
            url=url, token=token.token, token_id=token.id, username=signed_in.user.username
        )
        try:
            credentials.save(new)
        except CredentialsError:
            _revoke_quietly(new)
            raise
        if previous is not None and previous.token != new.token:
            _revoke_quietly(previous)
    click.echo(f"signed in to {url} as {signed_in.user.username}")


@click.command()
def logout() -> None:
    """Revoke the token switchboard login stored and delete the credentials file."""
    _quiet_http_logs()
    with _reported():
        stored = credentials.load()
        if stored is None:
            click.echo("not signed in")
            return
        with Client(stored.url, stored.token) as client:
            try:
                token_id = stored.token_id or _token_id(client, stored.token)
                if token_id is not None:
                    client.revoke_token(token_id)
            except Unreachable as exc:
                _fail(
                    f"{exc} (the token stays valid; delete {credentials.credentials_path()} "
                    "to forget it anyway)"
                )
            except RemoteError as exc:
                # 401 or 404: the token is revoked or expired already; nothing left to revoke.
                if exc.status not in (401, 404):
                    raise
        credentials.forget()
    click.echo(f"signed out of {stored.url}")


def _token_id(client: Client, token: str) -> str | None:
    """The id of ``token`` among the caller's tokens, matched by its shown prefix."""
    for listed in client.tokens():
        if token.startswith(listed.prefix):
            return listed.id
    return None


# -- users -------------------------------------------------------------------------------


@click.group()
def users() -> None:
    """Manage the gateway's user accounts."""


@users.command("create")
@click.argument("username")
@click.option("--email", required=True, help="The user's email address.")
@click.option("--display-name", default="", help="Name shown in the UI.")
@click.option("--role", "role_names", multiple=True, help="A role to give; repeat for several.")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@click.option("--no-password", is_flag=True, help="No password: the user cannot sign in yet.")
@_remote
def users_create(
    client: Client,
    username: str,
    email: str,
    display_name: str,
    role_names: tuple[str, ...],
    password_stdin: bool,
    no_password: bool,
) -> None:
    """Create a user (the password is prompted for unless given otherwise)."""
    if password_stdin and no_password:
        raise click.UsageError("--password-stdin and --no-password exclude each other")
    password = None if no_password else _password(password_stdin, confirm=True)
    user = client.create_user(
        username, email, display_name=display_name, password=password, roles=list(role_names)
    )
    held = f"roles: {', '.join(user.roles)}" if user.roles else "no roles"
    click.echo(f"created user {user.username} ({held})")
    if password is None:
        click.echo(f"it cannot sign in until: switchboard users set-password {user.username}")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@_remote
def users_list(client: Client, as_json: bool) -> None:
    """List the users you may see."""
    _print_list(
        client.users(),
        as_json,
        ["USERNAME", "EMAIL", "ROLES", "ENABLED"],
        lambda u: [u.username, u.email, ",".join(u.roles) or "-", _yes(u.enabled)],
    )


@users.command("set-password")
@click.argument("user")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@_remote
def users_set_password(client: Client, user: str, password_stdin: bool) -> None:
    """Set USER's password (USER is a username, email or id); their sessions end."""
    password = _password(password_stdin, confirm=True, prompt="New password")
    client.set_password(user, password)
    click.echo(f"password set for {user}; their sessions were signed out")


# -- roles -------------------------------------------------------------------------------


@click.group()
def roles() -> None:
    """Inspect the gateway's roles and their policies."""


@roles.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@_remote
def roles_list(client: Client, as_json: bool) -> None:
    """List the roles you may see."""
    _print_list(
        client.roles(),
        as_json,
        ["NAME", "BUILTIN", "DESCRIPTION"],
        lambda r: [r.name, _yes(r.builtin), r.description],
    )


@roles.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of YAML.")
@_remote
def roles_show(client: Client, name: str, as_json: bool) -> None:
    """Show role NAME and its policy statements, as YAML (or JSON)."""
    role = client.role(name)
    if as_json:
        _print_json(role)
        return
    shown = {
        "name": role.name,
        "description": role.description,
        "builtin": role.builtin,
        "statements": role.statements,
    }
    click.echo(yaml.safe_dump(shown, sort_keys=False, allow_unicode=True).rstrip("\n"))
