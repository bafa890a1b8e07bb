"""The admin CLI as an operator runs it: a separate ``switchboard`` process."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from switchboard.testing.server import RunningGateway
from tests.core.cli_client.helpers import ADMIN_PASSWORD, http_login
from tests.core.test_cli import switchboard as run_switchboard


def switchboard(*args: str, config_dir: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    env["SWITCHBOARD_CONFIG_DIR"] = str(config_dir)
    return run_switchboard(*args, env=env, stdin=stdin)


def test_login_create_a_user_list_and_logout(gateway: RunningGateway, tmp_path: Path) -> None:
    config = tmp_path / "cli-config"

    signed_in = switchboard(
        "login",
        "--url",
        gateway.url,
        "--password-stdin",
        config_dir=config,
        stdin=ADMIN_PASSWORD + "\n",
    )
    assert signed_in.returncode == 0, signed_in.stderr
    assert signed_in.stdout == f"signed in to {gateway.url} as admin\n"

    created = switchboard(
        "users",
        "create",
        "ops",
        "--email",
        "ops@example.com",
        "--role",
        "power-user",
        "--password-stdin",
        config_dir=config,
        stdin="ops-pass-12\n",
    )
    assert created.returncode == 0, created.stderr
    assert http_login(gateway.url, "ops", "ops-pass-12").status_code == 200

    listed = switchboard("users", "list", config_dir=config)
    assert "ops" in listed.stdout and "power-user" in listed.stdout
    assert (listed.returncode, listed.stderr) == (0, "")  # no request log lines either

    assert switchboard("logout", config_dir=config).returncode == 0
    after = switchboard("roles", "list", config_dir=config)
    assert (after.returncode, after.stderr) == (
        1,
        "error: not signed in: run switchboard login --url URL\n",
    )
