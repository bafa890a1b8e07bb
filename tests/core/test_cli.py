"""The ``switchboard`` command, run as operators run it: a real process, real sockets."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import EntryPoint
from pathlib import Path

import httpx
import pytest

from switchboard.cli import main
from switchboard.plugins import host as host_module


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def env_for(data_dir: Path, **variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    env["SWITCHBOARD_DATA_DIR"] = str(data_dir)
    env.update(variables)
    return env


def switchboard(
    *args: str, env: dict[str, str], timeout: float = 60, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m switchboard ARGS`` as a separate process, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "switchboard", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextmanager
def serving(*args: str, env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "switchboard", "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(
                    f"serve exited: {process.stderr.read() if process.stderr else ''}"
                )
            try:
                httpx.get(f"{url}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(30)


def test_serve_migrates_the_embedded_database_and_answers(tmp_path: Path) -> None:
    env = env_for(tmp_path / "data", SWITCHBOARD_LOG_FORMAT="json")
    with serving(env=env) as (url, process):
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
        assert httpx.get(f"{url}/readyz").status_code == 200
        assert httpx.get(f"{url}/api/docs").status_code == 200
        assert httpx.get(f"{url}/nowhere").status_code == 404
    # uvicorn re-raises the SIGTERM it handled after a graceful shutdown.
    assert process.returncode in (0, -signal.SIGTERM)
    assert (tmp_path / "data" / "switchboard.db").exists()
    stderr = process.stderr.read() if process.stderr else ""
    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    assert all(
        {"time", "level", "logger", "message", "request_id"} <= line.keys() for line in lines
    )
    messages = [line["message"] for line in lines]
    assert any("Uvicorn running on" in m for m in messages)
    assert "Application shutdown complete." in messages


def test_serve_with_several_workers_warns_that_limits_are_per_worker(tmp_path: Path) -> None:
    with serving("--workers", "2", env=env_for(tmp_path)) as (url, process):
        ids = {httpx.get(f"{url}/readyz").headers["x-request-id"] for _ in range(20)}
        assert len(ids) == 20
    stderr = process.stderr.read() if process.stderr else ""
    assert stderr.count("capacity limits and caches are kept per worker process") == 2


def test_a_bad_setting_stops_startup_naming_the_variable(tmp_path: Path) -> None:
    result = switchboard("serve", env=env_for(tmp_path, SWITCHBOARD_WORKERS="lots"))
    assert result.returncode == 1
    assert result.stderr.startswith("error: SWITCHBOARD_WORKERS: Expected `int`")
    assert "Traceback" not in result.stderr


def test_an_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://postgres:hunter2@127.0.0.1:1/switchboard"
    result = switchboard("serve", env=env_for(tmp_path, SWITCHBOARD_DATABASE_URL=url))
    assert result.returncode == 1
    assert "127.0.0.1:1" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_a_schema_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    assert switchboard("migrate", env=env).returncode == 0
    with sqlite3.connect(tmp_path / "switchboard.db") as db:
        db.execute("UPDATE alembic_version SET version_num = 'f00dfeed_from_the_future'")
    result = switchboard("serve", "--port", str(free_port()), env=env)
    assert result.returncode == 1
    assert "f00dfeed_from_the_future" in result.stderr and "newer" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.postgres
def test_postgres_needs_an_explicit_migrate(tmp_path: Path, postgres_url: str) -> None:
    env = env_for(tmp_path, SWITCHBOARD_DATABASE_URL=postgres_url)
    refused = switchboard("serve", "--port", str(free_port()), env=env)
    assert refused.returncode == 1
    assert "switchboard migrate" in refused.stderr
    migrated = switchboard("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert "up to date" in migrated.stdout
    with serving(env=env) as (url, _):
        assert httpx.get(f"{url}/readyz").json()["checks"] == {"database": "ok"}


def test_plugins_list_shows_builtins_and_where_they_are_on(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    assert switchboard("migrate", env=env).returncode == 0
    with sqlite3.connect(tmp_path / "switchboard.db") as db:
        now = "2026-01-01 00:00:00.000000"
        db.execute(
            "INSERT INTO workspaces (id, name, description, created_at, updated_at)"
            " VALUES (?, ?, '', ?, ?)",
            ("w1", "acme", now, now),
        )
        for env_id, name, plugins in [
            ("e1", "production", json.dumps({"log-recorder": {}})),
            ("e2", "quiet", "{}"),
        ]:
            db.execute(
                "INSERT INTO environments"
                " (id, workspace_id, name, description, plugins, created_at, updated_at)"
                " VALUES (?, 'w1', ?, '', ?, ?, ?)",
                (env_id, name, plugins, now, now),
            )
    result = switchboard("plugins", "list", "--json", env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    recorder = next(p for p in report["plugins"] if p["name"] == "log-recorder")
    assert recorder["hooks"] == ["switchboard_register_recorders"]
    assert recorder["environments"] == ["acme/production"]
    assert report["environments_note"] is None
    table = switchboard("plugins", "list", env=env)
    assert "log-recorder (switchboard-log-recorder" in table.stdout
    assert "environments: acme/production" in table.stdout


def test_plugins_list_without_a_database_still_lists(tmp_path: Path) -> None:
    result = switchboard("plugins", "list", env=env_for(tmp_path))
    assert result.returncode == 0
    assert "log-recorder" in result.stdout
    assert "environments not shown" in result.stdout


# -- in-process: plugin failures (entry points faked) ----------------------------------------


@pytest.fixture
def broken_plugin_installed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    broken = EntryPoint("broken", "tests.core.plugins.broken_plugin", "switchboard")
    monkeypatch.setattr(host_module, "entry_points", lambda group: [broken])
    for name in list(os.environ):
        if name.startswith("SWITCHBOARD_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SWITCHBOARD_DATA_DIR", str(tmp_path))


@pytest.mark.usefixtures("broken_plugin_installed")
def test_a_failing_plugin_is_reported_by_plugins_list(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["plugins", "list"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "broken" in out
    assert "FAILED TO LOAD: ImportError: No module named 'some_missing_dependency'" in out


@pytest.mark.usefixtures("broken_plugin_installed")
def test_serve_strict_refuses_a_failing_plugin(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--strict"])
    assert exited.value.code == 1
    assert "error: plugin 'broken' failed to load: ImportError" in capsys.readouterr().err


@pytest.mark.usefixtures("broken_plugin_installed")
def test_unknown_plugin_in_the_allow_list_stops_the_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SWITCHBOARD_PLUGINS", "broken,typo")
    with pytest.raises(SystemExit) as exited:
        main(["plugins", "list"])
    assert exited.value.code == 1
    assert "SWITCHBOARD_PLUGINS names unknown plugin(s) 'typo'" in capsys.readouterr().err


def test_client_commands_ignore_the_local_servers_settings(tmp_path: Path) -> None:
    env = env_for(tmp_path, SWITCHBOARD_PORT="not-a-port", SWITCHBOARD_CONFIG_DIR=str(tmp_path))
    result = switchboard("users", "list", env=env)
    assert result.returncode == 1
    assert "not signed in" in result.stderr  # the client's own error, not SWITCHBOARD_PORT's
    assert "SWITCHBOARD_PORT" not in result.stderr
    served = switchboard("serve", env=env)
    assert served.stderr.startswith("error: SWITCHBOARD_PORT")
