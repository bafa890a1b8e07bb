"""``switchboard apply -f`` and ``switchboard export`` against a real gateway.

The file holds every YAML example of the seed's "Core Components" page as written (capacity,
allowedModels, each routing example including the advanced expression with ``traffic``,
fallbackModels, resource capacity, assignApiKeys) inside DESIGN.md section 5's file shape.
Everything is checked through the REST API; secrets must never show in any output except
the secrets of the API keys an apply creates.
"""

from __future__ import annotations

import base64
import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from switchboard.cli_client import credentials
from switchboard.settings import Settings, load_settings
from switchboard.testing.server import RunningGateway
from tests.core.cli_client.helpers import ADMIN_PASSWORD, Run, http_login

OPENAI_SECRET = "sk-openai-secret-0123456789"
GROQ_SECRET = "gsk-groq-secret-0123456789"
ANTHROPIC_SECRET = "sk-ant-literal-0123456789"
AWS_KEY_ID = "AKIAEXAMPLE000000001"
AWS_SECRET = "aws-secret-access-key-0123456789"
ALICE_PASSWORD = "alice-Password-123"
SECRETS = (OPENAI_SECRET, GROQ_SECRET, ANTHROPIC_SECRET, AWS_KEY_ID, AWS_SECRET, ALICE_PASSWORD)

ENV = "/workspaces/acme/environments/prod"

# The seed's examples are pasted below as written, indented to their place in the file.
FULL = """\
roles:
  - name: auditors
    description: Read everything
    statements:
      - effect: ALLOW
        actions: ["*:get", "*:list"]
        resources: ["*"]
users:
  - username: alice
    email: alice@example.com
    displayName: Alice
    roles: [auditors]
    passwordFromEnv: ALICE_PASSWORD
workspaces:
  - name: acme
    description: ACME Corp
    members:
      - {user: alice, role: member}
    environments:
      - name: prod
        description: Production
        plugins: {}
        connections:
          - name: openai-main
            provider: openai
            settings: {baseUrl: "http://127.0.0.1:9/v1"}
            credentials: {apiKeyFromEnv: OPENAI_API_KEY}
            capacity:
              - period: minute
                requests: 100      # Requests per minute
                tokens: 100000     # Tokens per minute
              - period: hour
                requests: 5000
                tokens: 5000000
              - period: day
                requests: 100000
                tokens: 100000000
            allowedModels:
              - gpt-4o
              - gpt-4o-mini
          - name: groq-main
            provider: groq
            settings: {baseUrl: "http://127.0.0.1:9/openai/v1"}
            credentials: {apiKeyFromFile: groq.key}
          - name: claude
            provider: anthropic
            credentials: {apiKey: sk-ant-literal-0123456789}
          - name: bedrock-main
            provider: bedrock
            settings: {region: us-east-1}
            credentials:
              accessKeyIdFromEnv: AWS_KEY_ID
              secretAccessKeyFromEnv: AWS_SECRET
        resources:
          - name: chat
            model: {provider: openai, model: gpt-4o}
            routing:
              enabled: true
              conditions:
                - description: "Use Groq for small requests"
                  if:
                    - field: requestTokens
                      operator: lessThan
                      value: 100
                  then:
                    provider: groq
                    model: llama-3.1-70b-versatile
            useFallback: true
            fallbackModels: [{provider: anthropic, model: claude-3-5-sonnet-20241022}]
            capacity: [{period: minute, requests: 50, tokens: 50000}]
            enforceCapacity: true
            assignApiKeys: [backend-service]
          - name: error-rate
            model: {provider: openai, model: gpt-4o-mini}
            routing:
              enabled: true
              conditions:
                - description: "Switch to Anthropic if error rate is high"
                  if:
                    - field: errorRate
                      operator: greaterThan
                      value: 10
                      window: 10  # minutes
                  then:
                    provider: anthropic
                    model: claude-3-5-sonnet-20241022
          - name: tools
            model: {provider: groq, model: llama-3.1-70b-versatile}
            useFallback: false
            routing:
              enabled: true
              conditions:
                - description: "Use GPT-4 for requests with tools"
                  if:
                    - field: hasTools
                      operator: equals
                      value: true
                  then:
                    provider: openai
                    model: gpt-4o
          - name: advanced
            model: {provider: openai, model: gpt-4o, connection: openai-main}
            routing:
              enabled: true
              mode: advanced
              conditions:
                - description: "Complex routing logic"
                  expression: |
                    requestTokens < 100 && errorRate(10, 'any') < 5
                  then:
                    provider: groq
                    model: llama-3.1-70b-versatile
                    traffic: 50  # 50% of matching requests
          - name: fallback
            model: {provider: openai, model: gpt-4o}
            useFallback: true
            fallbackModels:
              - provider: bedrock
                model: anthropic.claude-3-5-sonnet-20241022-v2:0
              - provider: openai
                model: gpt-4o-mini
            capacity:
              - period: minute
                requests: 50
                tokens: 50000
            enforceCapacity: true
            assignApiKeys:
              - api-key-id-1
              - api-key-id-2
        apiKeys:
          - name: backend-service
            resources: [chat]
          - name: api-key-id-1
          - name: api-key-id-2
            description: Batch jobs
            labels: [batch]
            capacity: [{period: day, requests: 1000}]
"""

CREATED = [
    "+ create role auditors",
    "+ create user alice",
    "+ create workspace acme",
    "+ create member acme/alice as member",
    "+ create environment acme/prod",
    "+ create connection acme/prod/openai-main",
    "+ create connection acme/prod/groq-main",
    "+ create connection acme/prod/claude",
    "+ create connection acme/prod/bedrock-main",
    "+ create resource acme/prod/chat",
    "+ create resource acme/prod/error-rate",
    "+ create resource acme/prod/tools",
    "+ create resource acme/prod/advanced",
    "+ create resource acme/prod/fallback",
    "+ create API key acme/prod/backend-service",
    "+ create API key acme/prod/api-key-id-1",
    "+ create API key acme/prod/api-key-id-2",
]


@pytest.fixture
def switchboard_settings(tmp_path: Path) -> Settings:
    """The gateway of conftest.py, with an encryption key (else it warns on stderr)."""
    return load_settings(
        {},
        data_dir=str(tmp_path / "data"),
        admin_password=ADMIN_PASSWORD,
        encryption_key=base64.b64encode(bytes(range(32))).decode(),
    )


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder for apply files, with the groq key file; the secrets' variables set."""
    folder = tmp_path / "config-repo"
    folder.mkdir()
    (folder / "groq.key").write_text(GROQ_SECRET + "\n")
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_SECRET)
    monkeypatch.setenv("AWS_KEY_ID", AWS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET", AWS_SECRET)
    monkeypatch.setenv("ALICE_PASSWORD", ALICE_PASSWORD)
    return folder


@pytest.fixture
def api(admin: RunningGateway) -> Iterator[httpx.Client]:
    """The REST API with the token the CLI stored."""
    stored = credentials.load()
    assert stored is not None
    headers = {"authorization": f"Bearer {stored.token}"}
    with httpx.Client(base_url=admin.url + "/api/v1", headers=headers) as client:
        yield client


def write(folder: Path, text: str, name: str = "switchboard.yaml") -> str:
    path = folder / name
    path.write_text(text)
    return str(path)


def get(api: httpx.Client, path: str) -> Any:
    response = api.get(path)
    assert response.status_code == 200, response.text
    return response.json()


def items(api: httpx.Client, path: str) -> dict[str, Any]:
    page = get(api, f"{path}?limit=500")
    return {item.get("name", item.get("username")): item for item in page["items"]}


def assert_no_secrets(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def snapshot(api: httpx.Client) -> Any:
    """Everything a bad file could have touched."""
    workspaces = items(api, "/workspaces")
    return (
        sorted(items(api, "/roles")),
        sorted(items(api, "/users")),
        sorted(workspaces),
        {w: sorted(items(api, f"/workspaces/{w}/environments")) for w in workspaces},
    )


def plan_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line[:2] in ("+ ", "~ ", "- ")]


def applied(run: Run, path: str, *args: str) -> str:
    result = run("apply", "-f", path, *args)
    assert result.code == 0, result.err
    assert result.err == ""
    return result.out


# -- apply, then apply again ----------------------------------------------------------


def test_apply_creates_everything_then_changes_nothing(
    run: Run, admin: RunningGateway, api: httpx.Client, files: Path
) -> None:
    path = write(files, FULL)

    out = applied(run, path)

    assert plan_lines(out) == CREATED
    assert out.rstrip().endswith("applied: 17 created, 0 updated, 0 deleted")
    # The three new keys' secrets are printed once, each matching its key.
    keys = items(api, f"{ENV}/api-keys")
    assert set(keys) == {"backend-service", "api-key-id-1", "api-key-id-2"}
    shown = dict(
        line.strip().split(": ", 1) for line in out.splitlines() if line.startswith("  acme/")
    )
    assert set(shown) == {f"acme/prod/{name}" for name in keys}
    for name, key in keys.items():
        secret = shown[f"acme/prod/{name}"]
        assert secret.startswith("sk-sb-") and secret.startswith(key["keyPrefix"])
    assert_no_secrets(out)

    # Roles, users (with the password from the variable), members.
    role = get(api, "/roles/auditors")
    assert role["description"] == "Read everything"
    assert role["statements"] == [
        {"effect": "ALLOW", "actions": ["*:get", "*:list"], "resources": ["*"]}
    ]
    alice = get(api, "/users/alice")
    assert (alice["email"], alice["displayName"], alice["roles"]) == (
        "alice@example.com",
        "Alice",
        ["auditors"],
    )
    assert http_login(admin.url, "alice", ALICE_PASSWORD).status_code == 200
    members = {m["username"]: m["role"] for m in get(api, "/workspaces/acme/members")}
    assert members == {"admin": "owner", "alice": "member"}
    assert get(api, "/workspaces/acme/environments/prod")["description"] == "Production"

    # Connections: settings, capacity, allowedModels; credentials set but never shown.
    connections = items(api, f"{ENV}/connections")
    openai = connections["openai-main"]
    assert openai["settings"]["baseUrl"] == "http://127.0.0.1:9/v1"
    assert openai["allowedModels"] == ["gpt-4o", "gpt-4o-mini"]
    assert [c["period"] for c in openai["capacity"]] == ["minute", "hour", "day"]
    assert openai["capacity"][2]["tokens"] == 100000000
    assert {name: c["credentialFields"] for name, c in connections.items()} == {
        "openai-main": ["apiKey"],
        "groq-main": ["apiKey"],
        "claude": ["apiKey"],
        "bedrock-main": ["accessKeyId", "secretAccessKey"],
    }
    assert connections["bedrock-main"]["settings"]["region"] == "us-east-1"

    # Resources: every routing example as written, fallbacks, capacity, key assignments.
    resources = items(api, f"{ENV}/resources")
    chat = resources["chat"]
    assert chat["routing"]["conditions"][0]["then"] == {
        "provider": "groq",
        "model": "llama-3.1-70b-versatile",
    }
    assert chat["useFallback"] is True and chat["enforceCapacity"] is True
    assert chat["assignApiKeys"] == ["backend-service"]
    assert resources["error-rate"]["routing"]["conditions"][0]["if"][0]["window"] == 10
    assert resources["tools"]["routing"]["conditions"][0]["if"][0]["value"] is True
    advanced = resources["advanced"]["routing"]
    assert advanced["mode"] == "advanced"
    assert advanced["conditions"][0]["expression"] == (
        "requestTokens < 100 && errorRate(10, 'any') < 5\n"
    )
    assert advanced["conditions"][0]["then"]["traffic"] == 50
    assert resources["advanced"]["model"]["connection"] == "openai-main"
    fallback = resources["fallback"]
    assert fallback["fallbackModels"] == [
        {"provider": "bedrock", "model": "anthropic.claude-3-5-sonnet-20241022-v2:0"},
        {"provider": "openai", "model": "gpt-4o-mini"},
    ]
    assert fallback["capacity"] == [{"period": "minute", "requests": 50, "tokens": 50000}]
    assert fallback["assignApiKeys"] == ["api-key-id-1", "api-key-id-2"]
    assert keys["backend-service"]["resources"] == ["chat"]
    assert keys["api-key-id-2"]["labels"] == ["batch"]
    assert keys["api-key-id-2"]["capacity"] == [{"period": "day", "requests": 1000, "tokens": None}]

    again = run("apply", "-f", path)
    assert (again.code, again.out, again.err) == (
        0,
        "no changes: the gateway matches the file\n",
        "",
    )


def test_editing_one_field_makes_exactly_one_update(
    run: Run, admin: RunningGateway, api: httpx.Client, files: Path
) -> None:
    path = write(files, FULL)
    applied(run, path)

    edited = write(files, FULL.replace("useFallback: false", "useFallback: true"))
    out = applied(run, edited)

    assert plan_lines(out) == ["~ update resource acme/prod/tools: useFallback false → true"]
    assert out.rstrip().endswith("applied: 0 created, 1 updated, 0 deleted")
    assert get(api, f"{ENV}/resources/tools")["useFallback"] is True
    assert run("apply", "-f", edited).out == "no changes: the gateway matches the file\n"


def test_a_nested_change_shows_where_it_is(
    run: Run, admin: RunningGateway, api: httpx.Client, files: Path
) -> None:
    applied(run, write(files, FULL))
    edited = FULL.replace("value: 100\n", "value: 200\n").replace(
        "  - name: groq-main\n", "  - name: groq-main\n            timeouts: {total: 30}\n"
    )

    out = applied(run, write(files, edited))

    assert plan_lines(out) == [
        "~ update connection acme/prod/groq-main: timeouts.total 600.0 → 30.0",
        "~ update resource acme/prod/chat: routing.conditions[0].if[0].value 100 → 200",
    ]
    assert out.rstrip().endswith("applied: 0 created, 2 updated, 0 deleted")
    condition = get(api, f"{ENV}/resources/chat")["routing"]["conditions"][0]
    assert condition["if"][0]["value"] == 200
    timeouts = get(api, f"{ENV}/connections/groq-main")["timeouts"]
    assert timeouts == {"connect": 10.0, "firstByte": 120.0, "total": 30.0}


def test_links_from_either_side_and_field_lists(
    run: Run, admin: RunningGateway, api: httpx.Client, files: Path
) -> None:
    applied(run, write(files, FULL))
    edited = (
        FULL.replace(
            "          - name: api-key-id-1\n",
            "          - name: api-key-id-1\n            resources: [tools, fallback]\n",
        )
        .replace("allowedModels:\n              - gpt-4o\n", "allowedModels:\n")
        .replace("roles: [auditors]", "roles: [read-only]")
    )

    out = applied(run, write(files, edited))

    assert plan_lines(out) == [
        "~ update user alice: roles [auditors] → [read-only]",
        "~ update connection acme/prod/openai-main: allowedModels [gpt-4o, gpt-4o-mini] → "
        "[gpt-4o-mini]",
        "~ update API key acme/prod/api-key-id-1: resources [fallback] → [fallback, tools]",
    ]
    assert get(api, f"{ENV}/resources/tools")["assignApiKeys"] == ["api-key-id-1"]
    assert get(api, f"{ENV}/connections/openai-main")["allowedModels"] == ["gpt-4o-mini"]
    assert get(api, "/users/alice")["roles"] == ["read-only"]


# -- dry run, prune ---------------------------------------------------------------------


def test_dry_run_shows_the_plan_and_changes_nothing(
    run: Run, admin: RunningGateway, api: httpx.Client, files: Path
) -> None:
    path = write(files, FULL)
    before = snapshot(api)

    result = run("apply", "-f", path, "--dry-run")

    assert result.code == 0, result.err
    assert plan_lines(result.out) == CREATED
    assert result.out.rstrip().endswith(
        "dry run: 17 to create, 0 to update, 0 to delete; nothing was changed"
    )
    assert "sk-sb-" not in result.out
    assert_no_secrets(result.out, result.err)
    assert snapshot(api) == before

    applied(run, path)
    edited = write(files, FULL.replace("description: Production", "description: Live"))
    dry = run("apply", "-f", edited, "--dry-run")
    assert plan_lines(dry.out) == ["~ update environment acme/prod: description Production → Live"]
    assert get(api, "/workspaces/acme/environments/prod")["description"] == "Production"


def test_prune_deletes_only_with_the_flag(
    run: Run, admin: RunningGateway, api: httpx.Client, files: Path
) -> None:
    applied(run, write(files, FULL))
    api.post("/workspaces", json={"name": "other"}).raise_for_status()
    smaller = FULL.replace(
        "          - name: api-key-id-2\n"
        "            description: Batch jobs\n"
        "            labels: [batch]\n"
        "            capacity: [{period: day, requests: 1000}]\n",
        "",
    ).replace("              - api-key-id-2\n", "")
    smaller = smaller.replace(
        "    members:\n      - {user: alice, role: member}\n", "    members: []\n"
    )
    path = write(files, smaller)

    # Without --prune the key stays; only the resource's assignApiKeys (a value) changes.
    kept = applied(run, path)
    assert plan_lines(kept) == [
        "~ update resource acme/prod/fallback: assignApiKeys [api-key-id-1, api-key-id-2] → "
        "[api-key-id-1]"
    ]
    assert items(api, f"{ENV}/api-keys")["api-key-id-2"]["resources"] == []

    out = applied(run, path, "--prune")

    assert plan_lines(out) == [
        "- delete API key acme/prod/api-key-id-2",
        "- delete member acme/alice",
        "- delete workspace other (and everything in it)",
    ]
    # The caller's own membership (it created the workspace) is never pruned.
    assert [m["username"] for m in get(api, "/workspaces/acme/members")] == ["admin"]
    assert "api-key-id-2" not in items(api, f"{ENV}/api-keys")
    assert sorted(items(api, "/workspaces")) == ["acme"]
    assert sorted(items(api, "/users")) == ["admin", "alice"]  # the caller is never pruned
    assert run("apply", "-f", path, "--prune").out == "no changes: the gateway matches the file\n"


# -- credentials and new keys -----------------------------------------------------------


def test_credentials_are_sent_on_create_and_on_request_only(
    run: Run, admin: RunningGateway, api: httpx.Client, files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(files, FULL)
    applied(run, path)
    first = get(api, f"{ENV}/connections/openai-main")["updatedAt"]

    # Existing connections need no secrets at all: the variables may be unset.
    monkeypatch.delenv("OPENAI_API_KEY")
    assert run("apply", "-f", path).out == "no changes: the gateway matches the file\n"

    monkeypatch.setenv("OPENAI_API_KEY", "sk-rotated-secret-987654321")
    out = applied(run, path, "--update-credentials")
    assert (
        "~ update connection acme/prod/openai-main: credentials {apiKey: ***} → {apiKey: ***}"
        in (out.splitlines())
    )
    assert "~ update user alice: password *** → ***" in out.splitlines()
    assert "sk-rotated-secret-987654321" not in out
    assert_no_secrets(out)
    assert get(api, f"{ENV}/connections/openai-main")["updatedAt"] != first


def test_new_key_secrets_go_to_keys_out(
    run: Run, admin: RunningGateway, api: httpx.Client, files: Path
) -> None:
    keys_out = files / "keys.json"

    out = applied(run, write(files, FULL), "--keys-out", str(keys_out))

    assert "sk-sb-" not in out
    assert f"wrote the secrets of 3 new API key(s) to {keys_out}" in out
    assert stat.S_IMODE(keys_out.stat().st_mode) == 0o600
    saved = json.loads(keys_out.read_text())
    assert sorted(saved) == [
        "acme/prod/api-key-id-1",
        "acme/prod/api-key-id-2",
        "acme/prod/backend-service",
    ]
    prefix = get(api, f"{ENV}/api-keys/backend-service")["keyPrefix"]
    assert saved["acme/prod/backend-service"].startswith(prefix)


# -- export -------------------------------------------------------------------------------


def test_export_then_apply_changes_nothing(
    run: Run, admin: RunningGateway, files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    applied(run, write(files, FULL))
    exported = files / "exported.yaml"

    result = run("export", "-o", str(exported))

    assert result.code == 0, result.err
    text = exported.read_text()
    assert_no_secrets(text, result.out)
    assert "sk-sb-" not in text
    assert "apiKeyFromEnv: SWITCHBOARD_OPENAI_MAIN_API_KEY" in text
    assert "accessKeyIdFromEnv: SWITCHBOARD_BEDROCK_MAIN_ACCESS_KEY_ID" in text
    assert "baseUrl: https://" not in text  # defaults are left out
    # Applying it needs none of the secrets' variables: every connection exists.
    for variable in ("OPENAI_API_KEY", "AWS_KEY_ID", "AWS_SECRET", "ALICE_PASSWORD"):
        monkeypatch.delenv(variable)
    again = run("apply", "-f", str(exported))
    assert (again.code, again.out, again.err) == (
        0,
        "no changes: the gateway matches the file\n",
        "",
    )

    printed = run("export")
    assert printed.code == 0 and "name: acme" in printed.out


# -- bad files ----------------------------------------------------------------------------

CONNECTIONS = "workspaces[0].environments[0].connections"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "provider: groq\n            settings",
            "provdier: groq\n            settings",
            f"{CONNECTIONS}[1].provdier: unknown field",
        ),
        (
            "provider: anthropic\n            credentials",
            "provider: anthropik\n            credentials",
            f"{CONNECTIONS}[2].provider: unknown provider 'anthropik' (installed: ",
        ),
        (
            "apiKeyFromEnv: OPENAI_API_KEY",
            "apiKeyFromEnv: NOT_SET_ANYWHERE",
            f"{CONNECTIONS}[0].credentials.apiKeyFromEnv: environment variable "
            "NOT_SET_ANYWHERE is not set",
        ),
        (
            "apiKeyFromFile: groq.key",
            "apiKeyFromFile: missing.key",
            f"{CONNECTIONS}[1].credentials.apiKeyFromFile: cannot read ",
        ),
        (
            "passwordFromEnv: ALICE_PASSWORD",
            "password: hunter2-hunter2",
            "users[0].password: unknown field (use passwordFromEnv or passwordFile",
        ),
        (
            "              - api-key-id-2\n",
            "              - api-key-id-3\n",
            "workspaces[0].environments[0].resources[4].assignApiKeys[1]: no API key "
            "'api-key-id-3' in acme/prod",
        ),
        (
            "{provider: openai, model: gpt-4o, connection: openai-main}",
            "{provider: openai, model: gpt-4o, connection: openai-other}",
            "workspaces[0].environments[0].resources[3].model.connection: no connection "
            "'openai-other' in acme/prod",
        ),
        (
            "requests: 5000\n",
            "requests: -5\n",
            f"{CONNECTIONS}[0].capacity[1].requests: expected `int` >= 1",
        ),
        (
            "- {user: alice, role: member}",
            "- {user: bob, role: member}",
            "workspaces[0].members[0].user: no user 'bob'",
        ),
        ("  - name: acme\n", "  - name: acme:corp\n", "workspaces[0].name: must not contain ':'"),
    ],
)
def test_a_bad_file_names_the_path_and_changes_nothing(
    run: Run,
    admin: RunningGateway,
    api: httpx.Client,
    files: Path,
    old: str,
    new: str,
    message: str,
) -> None:
    assert FULL.count(old) == 1
    path = write(files, FULL.replace(old, new))
    before = snapshot(api)

    result = run("apply", "-f", path)

    assert result.code == 1
    assert result.out == ""
    assert result.err.startswith("error: ") and message in result.err, result.err
    assert_no_secrets(result.err)
    assert snapshot(api) == before


def test_unreadable_yaml_and_a_changed_provider_are_refused(
    run: Run, admin: RunningGateway, files: Path
) -> None:
    broken = run("apply", "-f", write(files, "workspaces: [\n  - name: x\n", "broken.yaml"))
    assert broken.code == 1 and "not valid YAML" in broken.err and "line " in broken.err

    applied(run, write(files, FULL))
    moved = FULL.replace(
        "provider: anthropic\n            credentials", "provider: openai\n            credentials"
    )
    result = run("apply", "-f", write(files, moved))
    assert result.code == 1
    assert f"{CONNECTIONS}[2].provider: connection acme/prod/claude is of provider 'anthropic'" in (
        result.err
    )


def test_an_api_error_names_the_object_and_a_second_apply_goes_on(
    run: Run, admin: RunningGateway, api: httpx.Client, files: Path
) -> None:
    bad = FULL.replace("requestTokens < 100 && errorRate(10, 'any') < 5", "requestTokens < < 100")

    result = run("apply", "-f", write(files, bad))

    assert result.code == 1
    assert result.err.startswith("error: create resource acme/prod/advanced: "), result.err
    assert "routing.conditions[0].expression" in result.err
    assert result.err.rstrip().endswith("(12 change(s) made before it, 5 not made)")
    assert plan_lines(result.out) == CREATED[:12]  # what was made is shown
    assert sorted(items(api, f"{ENV}/resources")) == ["chat", "error-rate", "tools"]
    assert_no_secrets(result.out, result.err)

    out = applied(run, write(files, FULL))
    assert plan_lines(out) == CREATED[12:]
