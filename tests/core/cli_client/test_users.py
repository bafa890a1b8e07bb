"""``switchboard users create|list|set-password`` against a real gateway."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from switchboard.cli import cli
from switchboard.cli_client import client as client_module
from switchboard.testing.server import RunningGateway
from tests.core.cli_client.helpers import Run, http_login


def test_create_list_and_set_password(run: Run, admin: RunningGateway) -> None:
    created = run(
        "users",
        "create",
        "bob",
        "--email",
        "Bob@Example.com",
        "--display-name",
        "Bob B",
        "--role",
        "read-only",
        "--role",
        "power-user",
        "--password-stdin",
        stdin="first-pass-1\n",
    )
    assert (created.code, created.err) == (0, "")
    assert created.out == "created user bob (roles: power-user, read-only)\n"
    assert http_login(admin.url, "bob", "first-pass-1").status_code == 200

    table = run("users", "list")
    assert table.code == 0, table.err
    lines = table.out.splitlines()
    assert lines[0].split() == ["USERNAME", "EMAIL", "ROLES", "ENABLED"]
    assert [line.split() for line in lines[1:]] == [
        ["admin", "admin@localhost", "admin", "yes"],
        ["bob", "bob@example.com", "power-user,read-only", "yes"],
    ]

    as_json = json.loads(run("users", "list", "--json").out)
    assert [(u["username"], u["displayName"], u["roles"]) for u in as_json] == [
        ("admin", "Administrator", ["admin"]),
        ("bob", "Bob B", ["power-user", "read-only"]),
    ]

    changed = run("users", "set-password", "bob", "--password-stdin", stdin="second-pass-2\n")
    assert (changed.code, changed.err) == (0, "")
    assert "second-pass-2" not in changed.out
    assert http_login(admin.url, "bob", "second-pass-2").status_code == 200
    assert http_login(admin.url, "bob", "first-pass-1").status_code == 401


def test_list_follows_pagination_to_the_end(
    run: Run, admin: RunningGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "PAGE_SIZE", 2)
    for n in range(4):
        created = run("users", "create", f"u{n}", "--email", f"u{n}@example.com", "--no-password")
        assert created.code == 0, created.err

    listed = json.loads(run("users", "list", "--json").out)

    assert [u["username"] for u in listed] == ["admin", "u0", "u1", "u2", "u3"]


def test_names_with_spaces_quotes_and_unicode_reach_the_right_user(
    run: Run, admin: RunningGateway
) -> None:
    name = "zoë o'brien; DROP TABLE users"
    created = run("users", "create", name, "--email", "zoe@example.com", "--no-password")
    assert created.code == 0, created.err
    assert "cannot sign in until" in created.out

    changed = run("users", "set-password", name, "--password-stdin", stdin="zoe-pass-1\n")

    assert changed.code == 0, changed.err
    assert http_login(admin.url, "zoe@example.com", "zoe-pass-1").status_code == 200


def test_the_password_prompt_asks_twice(admin: RunningGateway) -> None:
    runner = CliRunner()
    mismatch = runner.invoke(
        cli,
        ["users", "create", "carol", "--email", "carol@example.com"],
        input="carol-pass-1\ncarol-pass-2\ncarol-pass-1\ncarol-pass-1\n",
    )

    assert mismatch.exit_code == 0, mismatch.output
    assert "Repeat for confirmation" in mismatch.output
    assert "carol-pass" not in mismatch.output
    assert http_login(admin.url, "carol", "carol-pass-1").status_code == 200


def test_a_bad_field_is_named_by_the_server(run: Run, admin: RunningGateway) -> None:
    short = run(
        "users",
        "create",
        "dave",
        "--email",
        "dave@example.com",
        "--password-stdin",
        stdin="short\n",
    )
    taken = run("users", "create", "admin", "--email", "x@example.com", "--no-password")
    no_role = run(
        "users", "create", "erin", "--email", "e@example.com", "--role", "nope", "--no-password"
    )
    nobody = run("users", "set-password", "nobody", "--password-stdin", stdin="long-enough-1\n")

    assert short.err == "error: password: Expected `str` of length >= 8\n"
    assert taken.err == "error: a user named 'admin' already exists\n"
    assert no_role.err == "error: role 'nope' not found\n"
    assert nobody.err.startswith("error: ") and "nobody" in nobody.err
    assert {r.code for r in (short, taken, no_role, nobody)} == {1}


def test_conflicting_password_flags_are_a_usage_error(run: Run, admin: RunningGateway) -> None:
    result = run(
        "users", "create", "x", "--email", "x@example.com", "--password-stdin", "--no-password"
    )

    assert result.code == 2
    assert "--password-stdin and --no-password exclude each other" in result.err


def test_a_read_only_user_is_refused_with_the_action_and_resource(
    run: Run, admin: RunningGateway
) -> None:
    made = run(
        "users",
        "create",
        "reader",
        "--email",
        "reader@example.com",
        "--role",
        "read-only",
        "--password-stdin",
        stdin="reader-pass-1\n",
    )
    assert made.code == 0, made.err
    signed_in = run(
        "login",
        "--url",
        admin.url,
        "--username",
        "reader",
        "--password-stdin",
        stdin="reader-pass-1\n",
    )
    assert signed_in.out == f"signed in to {admin.url} as reader\n"

    refused = run("users", "create", "mallory", "--email", "mallory@example.com", "--no-password")

    assert refused.code == 1
    assert refused.err.startswith("error: reader may not user:create on user:mallory@example.com")
    assert refused.err.count("\n") == 1
    assert run("users", "list").code == 0  # reading is allowed
