"""A connection's ``pricing`` through ``switchboard apply`` and ``export``: created, left
alone when unchanged, updated field by field, exported, and refused naming the field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from switchboard.cli_client import credentials
from switchboard.testing.server import RunningGateway
from tests.core.cli_client.helpers import Run
from tests.core.cli_client.test_declarative import (  # noqa: F401 - its gateway, with an encryption key
    switchboard_settings,
)

CONNECTION = "/workspaces/acme/environments/prod/connections/openai-main"
NO_CHANGES = "no changes: the gateway matches the file\n"

FILE = """\
workspaces:
  - name: acme
    environments:
      - name: prod
        connections:
          - name: openai-main
            provider: openai
            credentials: {apiKeyFromEnv: OPENAI_API_KEY}
            pricing:
              gpt-4o: {input: 2.5, output: 10, cachedInput: 1.25}
"""


@pytest.fixture
def api(admin: RunningGateway) -> Iterator[httpx.Client]:
    stored = credentials.load()
    assert stored is not None
    headers = {"authorization": f"Bearer {stored.token}"}
    with httpx.Client(base_url=admin.url + "/api/v1", headers=headers) as client:
        yield client


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-pricing-0123456789")
    path = tmp_path / "repo"
    path.mkdir()
    return path


def apply(run: Run, folder: Path, text: str) -> str:
    path = folder / "switchboard.yaml"
    path.write_text(text)
    result = run("apply", "-f", str(path))
    assert result.code == 0, result.err
    return result.out


def pricing(api: httpx.Client) -> object:
    response = api.get(CONNECTION)
    assert response.status_code == 200, response.text
    return response.json()["pricing"]


def test_prices_are_applied_compared_and_exported(
    run: Run, admin: RunningGateway, api: httpx.Client, folder: Path
) -> None:
    apply(run, folder, FILE)
    assert pricing(api) == {"gpt-4o": {"input": 2.5, "output": 10.0, "cachedInput": 1.25}}
    assert apply(run, folder, FILE) == NO_CHANGES

    out = apply(run, folder, FILE.replace("output: 10,", "output: 12,"))
    assert "~ update connection acme/prod/openai-main: pricing.gpt-4o.output 10.0 → 12" in out
    assert pricing(api) == {"gpt-4o": {"input": 2.5, "output": 12.0, "cachedInput": 1.25}}

    exported = folder / "exported.yaml"
    result = run("export", "-o", str(exported))
    assert result.code == 0, result.err
    assert "pricing:" in exported.read_text()
    again = run("apply", "-f", str(exported))
    assert (again.code, again.out) == (0, NO_CHANGES)

    apply(
        run,
        folder,
        FILE.replace("            pricing:\n", "            pricing: {}\n").replace(
            "              gpt-4o: {input: 2.5, output: 10, cachedInput: 1.25}\n", ""
        ),
    )
    assert pricing(api) == {}


def test_a_bad_price_is_refused_naming_the_field(
    run: Run, admin: RunningGateway, folder: Path
) -> None:
    path = folder / "switchboard.yaml"
    path.write_text(FILE.replace("input: 2.5", "input: -1"))
    result = run("apply", "-f", str(path))
    assert result.code != 0
    assert "pricing.gpt-4o.input" in result.err
