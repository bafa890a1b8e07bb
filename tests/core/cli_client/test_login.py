"""``switchboard login`` and ``logout``, where credentials come from, and clean failures."""

from __future__ import annotations

import json
import socket
import stat
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from switchboard.cli import cli
from switchboard.testing.server import RunningGateway
from tests.core.cli_client.helpers import ADMIN_PASSWORD, Run, free_port

NOT_SIGNED_IN = "error: not signed in: run switchboard login --url URL\n"


def stored(config_dir: Path) -> dict[str, str]:
    loaded: dict[str, str] = json.loads((config_dir / "credentials.json").read_text())
    return loaded


def me(url: str, token: str) -> httpx.Response:
    return httpx.get(f"{url}/api/v1/auth/me", headers={"authorization": f"Bearer {token}"})


def test_login_stores_a_private_working_token_and_prints_no_secret(
    run: Run, gateway: RunningGateway, config_dir: Path
) -> None:
    result = run("login", "--url", gateway.url + "/", "--password-stdin", stdin="admin-pass-1\n")

    assert (result.code, result.out, result.err) == (
        0,
        f"signed in to {gateway.url} as admin\n",
        "",
    )
    path = config_dir / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(config_dir.stat().st_mode) == 0o700
    saved = stored(config_dir)
    assert saved["url"] == gateway.url
    assert saved["token"].startswith("sbp_")
    assert me(gateway.url, saved["token"]).json()["username"] == "admin"
    for secret in (ADMIN_PASSWORD, saved["token"]):
        assert secret not in result.out + result.err
    tokens = httpx.get(
        f"{gateway.url}/api/v1/auth/tokens",
        headers={"authorization": f"Bearer {saved['token']}"},
    ).json()
    assert [t["name"] for t in tokens["items"]] == [f"cli@{socket.gethostname()}"]


def test_login_prompts_for_the_username_and_a_hidden_password(
    gateway: RunningGateway, config_dir: Path
) -> None:
    result = CliRunner().invoke(
        cli,
        ["login", "--url", gateway.url],
        input=f"\n{ADMIN_PASSWORD}\n",
        env={"SWITCHBOARD_CONFIG_DIR": str(config_dir)},
    )

    assert result.exit_code == 0, result.output
    assert "Username [admin]: " in result.output
    assert ADMIN_PASSWORD not in result.output  # typed, but not echoed
    assert result.output.endswith(f"signed in to {gateway.url} as admin\n")
    assert me(gateway.url, stored(config_dir)["token"]).status_code == 200


def test_a_wrong_password_is_the_servers_message_and_stores_nothing(
    run: Run, gateway: RunningGateway, config_dir: Path
) -> None:
    result = run(
        "login", "--url", gateway.url, "--username", "admin", "--password-stdin", stdin="nope\n"
    )

    assert (result.code, result.out, result.err) == (
        1,
        "",
        "error: invalid username or password\n",
    )
    assert not (config_dir / "credentials.json").exists()


def test_signing_in_again_revokes_the_token_it_replaces(
    run: Run, admin: RunningGateway, config_dir: Path
) -> None:
    first = stored(config_dir)["token"]

    again = run("login", "--url", admin.url, "--password-stdin", stdin=ADMIN_PASSWORD + "\n")

    assert again.code == 0, again.err
    assert stored(config_dir)["token"] != first
    assert me(admin.url, first).status_code == 401
    assert me(admin.url, stored(config_dir)["token"]).status_code == 200


def test_logout_revokes_the_token_and_deletes_the_file(
    run: Run, admin: RunningGateway, config_dir: Path
) -> None:
    token = stored(config_dir)["token"]

    result = run("logout")

    assert (result.code, result.out) == (0, f"signed out of {admin.url}\n")
    assert not (config_dir / "credentials.json").exists()
    assert me(admin.url, token).status_code == 401
    later = run("users", "list", "--url", admin.url, "--token", token)
    assert later.code == 1
    assert later.err == (
        "error: the personal access token is invalid or revoked "
        f"(run switchboard login --url {admin.url})\n"
    )
    assert "Traceback" not in later.err
    assert run("users", "list").err == NOT_SIGNED_IN
    assert run("logout").out == "not signed in\n"


def test_logout_finds_the_token_when_the_file_has_only_url_and_token(
    run: Run, admin: RunningGateway, config_dir: Path
) -> None:
    saved = stored(config_dir)
    (config_dir / "credentials.json").write_text(
        json.dumps({"url": saved["url"], "token": saved["token"]})
    )

    assert run("logout").code == 0
    assert me(admin.url, saved["token"]).status_code == 401


def test_without_credentials_the_commands_say_how_to_sign_in(run: Run) -> None:
    for command in (["users", "list"], ["users", "set-password", "bob"], ["roles", "list"]):
        result = run(*command)
        assert (result.code, result.out, result.err) == (1, "", NOT_SIGNED_IN)


def test_a_stored_token_is_never_sent_to_another_gateway(
    run: Run, admin: RunningGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = f"http://127.0.0.1:{free_port()}"
    result = run("roles", "list", "--url", other)
    assert result.err == f"error: not signed in to {other}: run switchboard login --url {other}\n"
    monkeypatch.setenv("SWITCHBOARD_URL", other)
    assert run("roles", "list").err == result.err


def test_options_beat_the_environment_which_beats_the_file(
    run: Run, admin: RunningGateway, config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = stored(config_dir)["token"]
    monkeypatch.setenv("SWITCHBOARD_TOKEN", "sbp_not-a-real-token")

    from_env = run("roles", "list")
    assert from_env.code == 1
    assert from_env.err.startswith("error: the personal access token is invalid or revoked")

    from_option = run("roles", "list", "--token", good)
    assert from_option.code == 0, from_option.err
    assert "read-only" in from_option.out

    (config_dir / "credentials.json").unlink()
    monkeypatch.setenv("SWITCHBOARD_URL", admin.url)
    monkeypatch.setenv("SWITCHBOARD_TOKEN", good)
    assert run("roles", "list").code == 0


def test_an_unreachable_gateway_is_one_line(run: Run, config_dir: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"

    listed = run("users", "list", "--url", url, "--token", "sbp_whatever")
    signed_in = run("login", "--url", url, "--password-stdin", stdin="x\n")

    for result in (listed, signed_in):
        assert result.code == 1
        assert result.err.startswith(f"error: cannot reach {url}: ")
        assert result.err.count("\n") == 1
        assert "Traceback" not in result.err
    assert not (config_dir / "credentials.json").exists()


def test_a_url_that_is_not_http_is_refused(run: Run) -> None:
    result = run("login", "--url", "localhost:8000", "--password-stdin", stdin="x\n")

    assert result.code == 1
    assert result.err.startswith("error: 'localhost:8000' is not a gateway URL")


def test_a_damaged_credentials_file_is_named(run: Run, config_dir: Path) -> None:
    config_dir.mkdir(parents=True)
    (config_dir / "credentials.json").write_text("{not json")

    result = run("roles", "list")

    assert result.code == 1
    assert result.err.startswith(f"error: {config_dir / 'credentials.json'} is not a credentials")
