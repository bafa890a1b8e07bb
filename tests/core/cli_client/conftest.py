"""Fixtures for the admin CLI: a real gateway with a known admin password, and a runner.

The runner calls ``switchboard.cli.main`` in this process, as the ``switchboard`` command
would, with the credentials file in ``tmp_path`` and no ``SWITCHBOARD_URL``/``_TOKEN``.
"""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path

import pytest

from switchboard.cli import main
from switchboard.settings import Settings, load_settings
from switchboard.testing.server import RunningGateway
from tests.core.cli_client.helpers import ADMIN_PASSWORD, Result, Run


@pytest.fixture
def switchboard_settings(tmp_path: Path) -> Settings:
    """The throwaway gateway, with the admin password the tests sign in with."""
    return load_settings({}, data_dir=str(tmp_path / "data"), admin_password=ADMIN_PASSWORD)


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the CLI keeps its credentials in this test (not created yet)."""
    folder = tmp_path / "config" / "switchboard"
    monkeypatch.setenv("SWITCHBOARD_CONFIG_DIR", str(folder))
    monkeypatch.delenv("SWITCHBOARD_URL", raising=False)
    monkeypatch.delenv("SWITCHBOARD_TOKEN", raising=False)
    return folder


@pytest.fixture
def run(
    config_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Run:
    """``run("users", "list", stdin="...")``: the ``switchboard`` command, in process."""

    def run(*args: str, stdin: str = "") -> Result:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (1 if exc.code else 0)
        else:
            code = 0
        finally:
            # main() logs to the stderr of this moment, which capsys closes after the test.
            root.handlers[:], root.level = handlers, level
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


@pytest.fixture
def admin(run: Run, gateway: RunningGateway) -> RunningGateway:
    """The gateway, with the CLI signed in to it as ``admin``."""
    result = run("login", "--url", gateway.url, "--password-stdin", stdin=ADMIN_PASSWORD + "\n")
    assert result.code == 0, result.err
    return gateway
