"""``switchboard roles list|show`` against a real gateway."""

from __future__ import annotations

import json

import yaml

from switchboard.roles_default import DEFAULT_ROLES
from switchboard.testing.server import RunningGateway
from tests.core.cli_client.helpers import Run


def test_list_shows_the_default_roles(run: Run, admin: RunningGateway) -> None:
    table = run("roles", "list")

    assert table.code == 0, table.err
    lines = table.out.splitlines()
    assert lines[0].split() == ["NAME", "BUILTIN", "DESCRIPTION"]
    rows = {line.split()[0]: line.split(maxsplit=2)[1:] for line in lines[1:]}
    for name, role in DEFAULT_ROLES.items():
        assert rows[name] == ["yes", role["description"]]

    as_json = json.loads(run("roles", "list", "--json").out)
    assert {r["name"] for r in as_json} >= set(DEFAULT_ROLES)
    assert all(r["builtin"] for r in as_json if r["name"] in DEFAULT_ROLES)


def test_show_prints_the_statements_as_yaml_or_json(run: Run, admin: RunningGateway) -> None:
    for name, role in DEFAULT_ROLES.items():
        shown = run("roles", "show", name)
        assert shown.code == 0, shown.err
        assert yaml.safe_load(shown.out) == {
            "name": name,
            "description": role["description"],
            "builtin": True,
            "statements": role["statements"],
        }
        as_json = json.loads(run("roles", "show", name, "--json").out)
        assert as_json["statements"] == role["statements"]

    assert "statements:\n- effect: DENY\n" in run("roles", "show", "power-user").out


def test_an_unknown_role_is_the_servers_404(run: Run, admin: RunningGateway) -> None:
    result = run("roles", "show", "no-such-role")

    assert (result.code, result.out) == (1, "")
    assert result.err == "error: role 'no-such-role' not found\n"
