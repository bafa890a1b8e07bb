"""``switchboard usage`` and ``switchboard audit list|show|export`` against a real gateway.

One gateway for the module, with a known workload sent through its data plane to a fake
OpenAI and stored by the database recorder; every test reads it back through the CLI and
checks the numbers, the rows and the files exactly.

The workload, oldest first (``Workload.sent``):

==  =========  ================  =======  ======  ==============  ======  ==========
#   key        resource          model    status  error class     prompt  completion
==  =========  ================  =======  ======  ==============  ======  ==========
0   backend    chat              4o-mini  200                     11      3
1   backend    chat              4o-mini  200                     13      7
2   batch      summarize         4o       200                     40      20
3   batch      summarize         4o       502     server_error    0       0
4   backend    no-such-resource  -        404     model_not_found 0       0
==  =========  ================  =======  ======  ==============  ======  ==========
"""

from __future__ import annotations

import csv
import json
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from switchboard.api.request_audit_shapes import CSV_COLUMNS
from switchboard.cli_client import observe
from switchboard.cli_client.observe import TimeError, parse_time
from switchboard.plugins.host import PluginHost
from switchboard.settings import load_settings
from switchboard.testing import serve_in_thread
from switchboard.testing.fakes.openai import OpenAIFake
from tests.core.api.client import Transcript, expect, login
from tests.core.cli_client.helpers import ADMIN_PASSWORD, Result, Run
from tests.core.test_cli import switchboard as run_switchboard

ENV = "/api/v1/workspaces/acme/environments/prod"
UPSTREAM_KEY = "sk-upstream-observe"
RECORDED_WITHIN_SECONDS = 15.0

# (resource, provider/model, status, error class, total tokens) of each request, oldest first.
EXPECTED = [
    ("chat", "openai/gpt-4o-mini", "200", "-", "14"),
    ("chat", "openai/gpt-4o-mini", "200", "-", "20"),
    ("summarize", "openai/gpt-4o", "200", "-", "60"),
    ("summarize", "openai/gpt-4o", "502", "server_error", "0"),
    ("no-such-resource", "-", "404", "model_not_found", "0"),
]


@dataclass(frozen=True)
class Workload:
    """The gateway, an admin token for it, and what was sent."""

    url: str
    token: str
    sent: list[str]
    """The x-request-id of each request, oldest first."""
    records: dict[str, dict[str, Any]]
    """Each request's record as the audit API gives it, by request id."""

    def created(self, index: int) -> str:
        """When request ``index`` was recorded (ISO 8601, as the API gives it)."""
        created_at: str = self.records[self.sent[index]]["createdAt"]
        return created_at

    def newest_first(self, *indexes: int) -> list[str]:
        """The request ids of ``indexes`` (all by default), newest first."""
        chosen = indexes or tuple(range(len(self.sent)))
        return [self.sent[i] for i in sorted(chosen, reverse=True)]


def _chat(http: httpx.Client, url: str, key: str, model: str) -> str:
    response = http.post(
        f"{url}/v1/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": model, "messages": [{"role": "user", "content": "Hi"}]},
    )
    request_id: str = response.headers["x-request-id"]
    return request_id


@pytest.fixture(scope="module")
def workload(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workload]:
    """A gateway whose environment ``acme/prod`` holds the records of the workload."""
    settings = load_settings(
        {}, data_dir=str(tmp_path_factory.mktemp("data")), admin_password=ADMIN_PASSWORD
    )
    plugins = PluginHost(settings)
    plugins.load_entry_points()
    with (
        OpenAIFake(api_key=UPSTREAM_KEY) as fake,
        serve_in_thread(settings, plugins) as gateway,
        # A connection per request: kept-alive ones wait on delayed ACKs (see dataplane).
        httpx.Client(timeout=30.0, limits=httpx.Limits(max_keepalive_connections=0)) as http,
    ):
        admin = login(gateway.url, Transcript(), "admin", ADMIN_PASSWORD).as_token()
        admin.create_workspace("acme")
        admin.create_environment("acme", "prod")
        connection = {
            "name": "openai-main",
            "provider": "openai",
            "settings": {"baseUrl": f"{fake.url}/v1"},
            "credentials": {"apiKey": UPSTREAM_KEY},
        }
        expect(admin.post(f"{ENV}/connections", connection), 201)
        for name, model in (("chat", "gpt-4o-mini"), ("summarize", "gpt-4o")):
            target = {"provider": "openai", "model": model, "connection": "openai-main"}
            expect(admin.post(f"{ENV}/resources", {"name": name, "model": target}), 201)
        keys = {
            name: expect(
                admin.post(f"{ENV}/api-keys", {"name": name, "resources": resources}), 201
            )["key"]
            for name, resources in (("backend", ["chat", "summarize"]), ("batch", ["summarize"]))
        }
        fake.script(
            fake.completion("a", prompt_tokens=11, completion_tokens=3),
            fake.completion("b", prompt_tokens=13, completion_tokens=7),
            fake.completion("c", prompt_tokens=40, completion_tokens=20),
            fake.error(500, "the fake is down", "server_error"),
        )
        sent = [
            _chat(http, gateway.url, keys["backend"], "chat"),
            _chat(http, gateway.url, keys["backend"], "chat"),
            _chat(http, gateway.url, keys["batch"], "summarize"),
            _chat(http, gateway.url, keys["batch"], "summarize"),
            _chat(http, gateway.url, keys["backend"], "no-such-resource"),
        ]
        # The database recorder writes in batches: wait until the audit holds them all.
        deadline = time.monotonic() + RECORDED_WITHIN_SECONDS
        while True:
            items = expect(admin.get(f"{ENV}/audit", limit="50"), 200)["items"]
            if len(items) >= len(sent):
                break
            assert time.monotonic() < deadline, f"{len(items)} of {len(sent)} recorded"
            time.sleep(0.1)
        assert admin.token is not None
        records = {item["requestId"]: item for item in items}
        assert set(records) == set(sent)
        yield Workload(gateway.url, admin.token, sent, records)


@pytest.fixture
def cli(run: Run, workload: Workload, monkeypatch: pytest.MonkeyPatch) -> Run:
    """The ``switchboard`` command, pointed at the workload's gateway by the environment."""
    monkeypatch.setenv("SWITCHBOARD_URL", workload.url)
    monkeypatch.setenv("SWITCHBOARD_TOKEN", workload.token)
    return run


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    """An empty folder for the exports (``tmp_path`` also holds the CLI's config)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def _ok(result: Result) -> str:
    assert (result.code, result.err) == (0, ""), result.err
    return result.out


def _columns(out: str) -> tuple[list[str], list[list[str]]]:
    """A printed table's headers and rows, cut at the headers' columns (cells may be
    empty, as the group cells of the TOTAL row are)."""
    header, *lines = out.splitlines()
    headers = header.split()
    starts = [header.index(f"{h} " if i < len(headers) - 1 else h) for i, h in enumerate(headers)]
    # Each column starts where its header does: check that the header names are unique.
    assert len(set(starts)) == len(starts)
    ends = [*starts[1:], None]
    rows = [[line[s:e].strip() for s, e in zip(starts, ends, strict=True)] for line in lines]
    return headers, rows


def _hour(created_at: str) -> str:
    moment = datetime.fromisoformat(created_at).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:00Z")


def _json(result: Result) -> Any:
    return json.loads(_ok(result))


# -- usage ------------------------------------------------------------------------------


def test_usage_by_default_shows_the_last_day_by_hour_with_totals(
    cli: Run, workload: Workload
) -> None:
    headers, rows = _columns(_ok(cli("usage", "acme", "prod")))

    assert headers == [
        "BUCKET",
        "REQUESTS",
        "ERRORS",
        "TOTAL_TOKENS",
        "LATENCY_P50",
        "LATENCY_P95",
        "ESTIMATED_COST",
    ]
    answer = _json(cli("usage", "acme", "prod", "--json"))
    totals = answer["totals"]
    cost = sum(r["estimatedCost"] or 0 for r in workload.records.values())
    assert cost > 0  # the catalog prices both models: the column must show a number
    expected_total = [
        "TOTAL",
        "5",
        "2",
        str(14 + 20 + 60),
        f"{totals['latencyP50']:.1f}",
        f"{totals['latencyP95']:.1f}",
        f"{cost:.8f}".rstrip("0"),
    ]
    assert rows[-1] == expected_total
    # One row per hour that has requests (the workload may straddle an hour).
    hours = Counter(_hour(r["createdAt"]) for r in workload.records.values())
    assert [(row[0], row[1]) for row in rows[:-1]] == sorted(
        (hour, str(n)) for hour, n in hours.items()
    )
    # The JSON is the gateway's answer: the defaults were sent, the range is exactly 24h.
    assert answer["granularity"] == "hour" and answer["groupBy"] == []
    assert answer["metrics"] == list(observe.DEFAULT_METRICS)
    start, end = (datetime.fromisoformat(answer[k]) for k in ("from", "to"))
    assert end - start == timedelta(hours=24)
    assert abs(datetime.now(UTC) - end) < timedelta(seconds=30)
    assert {k: totals[k] for k in ("requests", "errors", "totalTokens")} == {
        "requests": 5,
        "errors": 2,
        "totalTokens": 94,
    }


def test_usage_grouped_by_resource_and_key_is_exact(cli: Run, workload: Workload) -> None:
    out = _ok(
        cli(
            "usage",
            "acme",
            "prod",
            "--group-by",
            "resource,api-key",
            "--metrics",
            "requests,errors,error-rate",
            "--metrics",
            "promptTokens,completionTokens",
        )
    )
    headers, rows = _columns(out)

    assert headers == [
        "BUCKET",
        "RESOURCE",
        "API_KEY",
        "REQUESTS",
        "ERRORS",
        "ERROR_RATE",
        "PROMPT_TOKENS",
        "COMPLETION_TOKENS",
    ]
    assert rows[-1] == ["TOTAL", "", "", "5", "2", "40.0%", "64", "30"]
    # Per group, summed over the hours the workload touched.
    by_group: dict[tuple[str, str], list[int]] = {}
    for row in rows[:-1]:
        assert row[0] in {_hour(r["createdAt"]) for r in workload.records.values()}
        sums = by_group.setdefault((row[1], row[2]), [0, 0, 0, 0])
        for i, cell in enumerate((row[3], row[4], row[6], row[7])):
            sums[i] += int(cell)
    assert by_group == {
        ("chat", "backend"): [2, 0, 24, 10],
        ("summarize", "batch"): [2, 1, 40, 20],
        ("no-such-resource", "backend"): [1, 1, 0, 0],
    }


def test_usage_filters_and_time_bounds(cli: Run, workload: Workload) -> None:
    def totals(*args: str) -> list[str]:
        metrics = ("--metrics", "requests,errors,totalTokens")
        _, rows = _columns(_ok(cli("usage", "acme", "prod", *metrics, *args)))
        return rows[-1][1:]

    assert totals("--resource", "summarize") == ["2", "1", "60"]
    assert totals("--status", "2xx") == ["3", "0", "94"]
    assert totals("--status", "404", "--status", "502") == ["2", "2", "0"]
    assert totals("--api-key", "backend", "--model", "gpt-4o-mini") == ["2", "0", "34"]
    assert totals("--error-class", "server_error") == ["1", "1", "0"]
    assert totals("--provider", "anthropic") == ["0", "0", "0"]
    # from is inclusive, to exclusive: request 1 is in the first range, not the second.
    assert totals("--since", workload.created(1)) == ["4", "2", "80"]
    assert totals("--until", workload.created(1)) == ["1", "0", "14"]


def test_usage_times_are_sent_as_utc(cli: Run) -> None:
    answer = _json(
        cli(
            "usage",
            "acme",
            "prod",
            "--since",
            "2026-01-05T12:00:00+02:00",
            "--until",
            "2026-01-05T13:30",  # no offset: UTC
            "--granularity",
            "minute",
            "--json",
        )
    )
    assert (answer["from"], answer["to"]) == ("2026-01-05T10:00:00Z", "2026-01-05T13:30:00Z")
    assert answer["rows"] == [] and answer["totals"]["requests"] == 0

    relative = _json(cli("usage", "acme", "prod", "--since", "15m", "--json"))
    start, end = (datetime.fromisoformat(relative[k]) for k in ("from", "to"))
    assert end - start == timedelta(minutes=15)
    assert relative["totals"]["requests"] == 5

    # Nothing in the range: the table is the headers and a TOTAL of nothing.
    empty = _ok(cli("usage", "acme", "prod", "--since", "2026-01-05", "--until", "2026-01-06"))
    assert _columns(empty)[1] == [["TOTAL", "0", "0", "0", "-", "-", "-"]]


# -- audit list -------------------------------------------------------------------------


def test_audit_list_shows_every_request_newest_first(cli: Run, workload: Workload) -> None:
    headers, rows = _columns(_ok(cli("audit", "list", "acme", "prod")))

    assert headers == [
        "TIME",
        "REQUEST_ID",
        "RESOURCE",
        "MODEL",
        "STATUS",
        "ERROR_CLASS",
        "TOKENS",
        "LATENCY_MS",
        "COST",
    ]
    assert [row[1] for row in rows] == workload.newest_first()
    assert [tuple(row[2:7]) for row in rows] == EXPECTED[::-1]
    for row in rows:
        record = workload.records[row[1]]
        moment = datetime.fromisoformat(record["createdAt"])
        assert row[0] == moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert row[7] == f"{record['latencyMs']:.1f}"
        cost = record["estimatedCost"]
        assert row[8] == ("-" if cost is None else f"{cost:.8f}".rstrip("0"))

    as_json = _json(cli("audit", "list", "acme", "prod", "--json"))
    assert as_json == [workload.records[i] for i in workload.newest_first()]


@pytest.mark.parametrize(
    ("filters", "indexes"),
    [
        (["--resource", "summarize"], (2, 3)),
        (["--status", "5xx"], (3,)),
        (["--status", "404", "--status", "502"], (3, 4)),
        (["--error-class", "server_error"], (3,)),
        (["--api-key", "batch"], (2, 3)),
        (["--model", "gpt-4o-mini"], (0, 1)),
        (["--provider", "openai"], (0, 1, 2, 3)),
        (["--connection", "openai-main", "--status", "2xx"], (0, 1, 2)),
        (["--resource", "chat", "--api-key", "batch"], ()),
        (["--correlation-id", "nobody-sent-this"], ()),
    ],
)
def test_audit_list_filters(
    cli: Run, workload: Workload, filters: list[str], indexes: tuple[int, ...]
) -> None:
    listed = _json(cli("audit", "list", "acme", "prod", *filters, "--json"))

    expected = [workload.sent[i] for i in sorted(indexes, reverse=True)]
    assert [item["requestId"] for item in listed] == expected


def test_audit_list_time_bounds(cli: Run, workload: Workload) -> None:
    args = ("--since", workload.created(1), "--until", workload.created(3), "--json")
    listed = _json(cli("audit", "list", "acme", "prod", *args))

    assert [item["requestId"] for item in listed] == workload.newest_first(1, 2)


def test_audit_list_follows_the_cursor_up_to_the_limit(
    cli: Run, workload: Workload, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(observe, "AUDIT_PAGE_SIZE", 2)

    everything = cli("audit", "list", "acme", "prod", "--limit", "5", "--json")
    newest = cli("audit", "list", "acme", "prod", "--limit", "3", "--json")
    beyond = cli("audit", "list", "acme", "prod", "--limit", "9", "--json")

    assert [item["requestId"] for item in _json(everything)] == workload.newest_first()
    assert [item["requestId"] for item in _json(beyond)] == workload.newest_first()
    assert newest.code == 0
    assert [item["requestId"] for item in json.loads(newest.out)] == workload.newest_first()[:3]
    assert newest.err == (
        "note: only the newest 3 are shown; more match (raise --limit or narrow the filters)\n"
    )


# -- audit show -------------------------------------------------------------------------


def test_audit_show_prints_the_attempts_as_yaml_or_json(cli: Run, workload: Workload) -> None:
    failed = workload.sent[3]

    shown = yaml.safe_load(_ok(cli("audit", "show", "acme", "prod", failed)))
    as_json = _json(cli("audit", "show", "acme", "prod", failed, "--json"))

    detail = httpx.get(
        f"{workload.url}{ENV}/audit/{failed}",
        headers={"authorization": f"Bearer {workload.token}"},
    ).json()
    assert shown == as_json == detail
    assert (shown["requestId"], shown["status"], shown["errorClass"]) == (
        failed,
        502,
        "server_error",
    )
    [attempt] = shown["attempts"]
    assert {k: attempt[k] for k in ("provider", "model", "outcome", "status", "errorClass")} == {
        "provider": "openai",
        "model": "gpt-4o",
        "outcome": "failed",
        "status": 500,
        "errorClass": "server_error",
    }
    assert attempt["connection"]["name"] == "openai-main"
    assert "the fake is down" in attempt["errorMessage"]
    assert shown["routingEvents"] == []


# -- audit export -----------------------------------------------------------------------


def test_audit_export_csv_to_a_file(cli: Run, workload: Workload, out_dir: Path) -> None:
    target = out_dir / "requests.csv"

    result = cli("audit", "export", "acme", "prod", "--format", "csv", "--output", str(target))

    assert _ok(result) == f"exported 5 requests to {target}\n"
    with target.open(newline="", encoding="utf-8") as written:
        reader = csv.DictReader(written)
        assert reader.fieldnames == list(CSV_COLUMNS)
        rows = list(reader)
    assert [row["requestId"] for row in rows] == workload.newest_first()
    assert [(r["resourceName"], r["status"], r["totalTokens"]) for r in rows] == [
        (resource, status, tokens) for resource, _, status, _, tokens in EXPECTED[::-1]
    ]
    assert json.loads(rows[1]["attempts"])[0]["outcome"] == "failed"
    # Records hold client IPs and payloads: the file is the user's alone.
    assert target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in out_dir.iterdir()] == ["requests.csv"]  # no partial file left


def test_audit_export_jsonl_to_stdout_with_filters(cli: Run, workload: Workload) -> None:
    out = _ok(cli("audit", "export", "acme", "prod", "--format", "jsonl", "--status", "2xx"))

    lines = [json.loads(line) for line in out.splitlines()]
    assert out.endswith("\n") and len(out.splitlines()) == 3
    assert [line["requestId"] for line in lines] == workload.newest_first(0, 1, 2)
    assert [len(line["attempts"]) for line in lines] == [1, 1, 1]


def test_audit_export_jsonl_to_a_file_replaces_it(
    cli: Run, workload: Workload, out_dir: Path
) -> None:
    target = out_dir / "summarize.jsonl"
    target.write_text("an older export\n")

    result = cli("audit", "export", "acme", "prod", "--resource", "summarize", "-o", str(target))

    assert _ok(result) == f"exported 2 requests to {target}\n"
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [line["requestId"] for line in lines] == workload.newest_first(2, 3)


def test_a_refused_export_leaves_the_file_alone(cli: Run, out_dir: Path) -> None:
    kept = out_dir / "kept.csv"
    kept.write_text("an older export\n")

    refused = cli("audit", "export", "acme", "prod", "--format", "xml", "-o", str(kept))
    nowhere = cli("audit", "export", "acme", "prod", "-o", str(out_dir / "no" / "such.csv"))

    assert (refused.code, refused.out) == (1, "")
    assert refused.err == "error: format: Invalid enum value 'xml'\n"
    assert kept.read_text() == "an older export\n"
    assert (nowhere.code, nowhere.out) == (1, "")
    assert nowhere.err.startswith(f"error: cannot write {out_dir / 'no' / 'such.csv'}: ")
    assert sorted(p.name for p in out_dir.iterdir()) == ["kept.csv"]


def test_export_streams_to_the_stdout_of_a_separate_process(
    workload: Workload, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    env |= {
        "SWITCHBOARD_CONFIG_DIR": str(tmp_path / "cli-config"),
        "SWITCHBOARD_URL": workload.url,
        "SWITCHBOARD_TOKEN": workload.token,
    }

    done = run_switchboard("audit", "export", "acme", "prod", "--format", "csv", env=env)

    assert (done.returncode, done.stderr) == (0, "")  # no request log lines either
    rows = list(csv.DictReader(done.stdout.splitlines()))
    assert [row["requestId"] for row in rows] == workload.newest_first()
    assert workload.token not in done.stdout


# -- bad input --------------------------------------------------------------------------

NOT_A_TIME = "is not a time: give a duration back from now (15m, 24h, 7d) or an ISO 8601 time"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["usage", "--since", "yesterday"], f"--since: 'yesterday' {NOT_A_TIME}"),
        (["usage", "--until", "5 parsecs"], f"--until: '5 parsecs' {NOT_A_TIME}"),
        (["usage", "--since", "99999999999d"], "--since: '99999999999d' reaches beyond"),
        (["usage", "--granularity", "fortnight"], "granularity: Invalid enum value 'fortnight'"),
        (["usage", "--metrics", "requests,vibes"], "metrics[1]: Invalid enum value 'vibes'"),
        (["usage", "--group-by", "model,colour"], "groupBy[1]: Invalid enum value 'colour'"),
        (["usage", "--group-by", "model,model"], "groupBy: a dimension is named twice"),
        (["usage", "--since", "2d", "--granularity", "minute"], "from: by minute, a range"),
        (["usage", "--since", "1h", "--until", "2h"], "from ("),
        (["usage", "--status", "6xx"], "filters.status: '6xx' is neither a status code"),
        (["audit", "list", "--since", "10x"], f"--since: '10x' {NOT_A_TIME}"),
        (["audit", "list", "--status", "teapot"], "status: 'teapot' is neither a status code"),
        (["audit", "list", "--limit", "0"], "--limit: 0 is not a count of records"),
        (["audit", "export", "--until", "soon"], f"--until: 'soon' {NOT_A_TIME}"),
    ],
)
def test_bad_input_is_one_line_naming_the_problem(cli: Run, args: list[str], message: str) -> None:
    # The workspace and environment go right after the command's name(s).
    where = 2 if args[0] == "audit" else 1
    result = cli(*args[:where], "acme", "prod", *args[where:])

    assert (result.code, result.out) == (1, "")
    assert result.err.startswith(f"error: {message}"), result.err
    assert result.err.count("\n") == 1


def test_unknown_workspace_and_request_are_named(cli: Run) -> None:
    nowhere = cli("usage", "nope", "prod")
    missing = cli("audit", "show", "acme", "prod", "req-that-never-was")

    assert (nowhere.code, nowhere.err) == (1, "error: workspace 'nope' not found\n")
    assert (missing.code, missing.err) == (
        1,
        "error: request 'req-that-never-was' not found in environment 'prod'\n",
    )


# -- the time parser --------------------------------------------------------------------

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", NOW - timedelta(seconds=30)),
        ("15m", NOW - timedelta(minutes=15)),
        (" 24H ", NOW - timedelta(hours=24)),
        ("7d", NOW - timedelta(days=7)),
        ("2w", NOW - timedelta(weeks=2)),
        ("0m", NOW),
        ("now", NOW),
        ("2026-01-04T10:00:00Z", datetime(2026, 1, 4, 10, tzinfo=UTC)),
        ("2026-01-04T10:00:00-05:00", datetime(2026, 1, 4, 15, tzinfo=UTC)),
        ("2026-01-04 10:00", datetime(2026, 1, 4, 10, tzinfo=UTC)),
        ("2026-01-04", datetime(2026, 1, 4, tzinfo=UTC)),
    ],
)
def test_times_are_durations_back_from_now_or_iso(text: str, expected: datetime) -> None:
    parsed = parse_time(text, "--since", NOW)

    assert parsed == expected and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["", "15", "m", "-15m", "1.5h", "15 minutes", "2026-13-01"])
def test_what_is_not_a_time_is_refused(text: str) -> None:
    with pytest.raises(TimeError, match=f"^--until: {re.escape(repr(text))} is not a time"):
        parse_time(text, "--until", NOW)
