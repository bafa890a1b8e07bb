"""Who used what, how much, and what failed, answered from real traffic: requests through
the gateway, stored by the database recorder, read back by the usage and audit APIs."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.core.api.client import expect
from tests.core.dataplane.conftest import ENV, World


def _usage(world: World, body: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = expect(world.admin.post(f"{ENV}/usage/query", body), 200)
    return answer


def _stored(world: World, since: datetime, expected: int) -> dict[str, Any]:
    """The usage totals once every record has been written (the recorder batches)."""
    body = {
        "from": since.isoformat(),
        "to": (datetime.now(UTC) + timedelta(minutes=1)).isoformat(),
        "granularity": "hour",
        "groupBy": ["status"],
        "metrics": ["requests", "errors", "promptTokens", "completionTokens", "totalTokens"],
    }
    deadline = time.monotonic() + 15
    while True:
        answer = _usage(world, body)
        if answer["totals"]["requests"] >= expected or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


def test_a_known_workload_reads_back_exactly(world: World) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    fake = world.openai_fake
    fake.script(
        fake.completion("one", prompt_tokens=11, completion_tokens=3),
        fake.completion("two", prompt_tokens=13, completion_tokens=7),
        fake.stream(
            [
                fake.chunk({"role": "assistant", "content": "Hi"}),
                fake.chunk({}, finish_reason="stop"),
                fake.usage_chunk(17, 2),
            ]
        ),
        fake.error(500, "the fake is down", "server_error"),
    )
    sent = [
        world.chat("chat"),
        world.chat("chat"),
        world.chat("chat", stream=True),
        world.chat("chat"),  # the provider fails: 502
        world.chat("no-such-resource"),  # rejected: 404
        world.chat("chat", key="sk-sb-wrong"),  # no environment: not in this one's usage
    ]
    assert [a.status_code for a in sent] == [200, 200, 200, 502, 404, 401]
    usage = _stored(world, since, expected=5)

    assert usage["totals"] == {
        "requests": 5,
        "errors": 2,
        "promptTokens": 11 + 13 + 17,
        "completionTokens": 3 + 7 + 2,
        "totalTokens": 41 + 12,
    }
    by_status = {row["group"]["status"]: row["metrics"]["requests"] for row in usage["rows"]}
    assert by_status == {200: 3, 404: 1, 502: 1}

    # One record each, with the attempts, in the audit.
    listed = expect(world.admin.get(f"{ENV}/audit", limit="50"), 200)
    ids = [item["requestId"] for item in listed["items"]]
    assert sorted(ids) == sorted(a.headers["x-request-id"] for a in sent[:5])
    failed = expect(world.admin.get(f"{ENV}/audit/{sent[3].headers['x-request-id']}"), 200)
    assert (failed["status"], failed["errorClass"]) == (502, "server_error")
    [attempt] = failed["attempts"]
    assert attempt["outcome"] == "failed" and attempt["connection"]["name"] == "openai-main"

    exported = world.admin.get(f"{ENV}/audit/export", format="jsonl")
    lines = [json.loads(line) for line in exported.text.splitlines() if line]
    assert sorted(line["requestId"] for line in lines) == sorted(ids)
