"""What request records hold: payload capture by the environment's ``recording``, redaction,
the record's names, trace id and timings, and records of requests that never reached an
environment."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from switchboard.dataplane.capture import REDACTED, parse_path, redact, scrub_secrets
from switchboard.testing.pytest_plugin import RegisterPlugin
from switchboard.testing.records import KeptRecords
from tests.core.api.client import expect
from tests.core.dataplane.conftest import ENV, UPSTREAM_KEY, World

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture(autouse=True)
def recorder(register_plugin: RegisterPlugin) -> KeptRecords:
    # Autouse, so the recorder is registered before the world's gateway starts.
    kept = KeptRecords()
    register_plugin(kept, "kept-records")
    return kept


def _recording(world: World, **recording: Any) -> None:
    expect(world.admin.patch(ENV, {"recording": recording}), 200)


def test_by_default_records_keep_the_shape_of_the_exchange_without_its_text(
    world: World, recorder: KeptRecords
) -> None:
    answer = world.chat(
        "chat",
        "the secret plan",
        temperature=0.2,
        tools=[{"type": "function", "function": {"name": "get_weather", "parameters": {}}}],
        headers={"traceparent": TRACEPARENT, "x-correlation-id": "order-7"},
    )
    assert answer.status_code == 200
    record = recorder.of(answer.headers["x-request-id"])
    assert record.payload == {
        "request": {
            "model": "chat",
            "messages": 1,
            "roles": {"user": 1},
            "temperature": 0.2,
            "tools": ["get_weather"],
        },
        "response": {
            "id": answer.json()["id"],
            "model": answer.json()["model"],
            "finish_reasons": ["stop"],
            "tool_calls": [],
        },
    }
    assert "the secret plan" not in repr(record)
    assert (record.workspace_name, record.environment_name) == ("acme", "prod")
    assert (record.api_key_name, record.connection_name) == ("backend", "openai-main")
    assert (record.endpoint, record.stream, record.status) == ("chat/completions", False, 200)
    assert (record.trace_id, record.traceparent) == (TRACE_ID, TRACEPARENT)
    assert record.correlation_id == "order-7"
    [attempt] = record.attempts
    assert attempt.connection_name == "openai-main"
    assert 0 < record.routing_started_ms <= attempt.started_ms - attempt.capacity_ms
    assert attempt.started_ms + attempt.latency_ms <= record.latency_ms
    assert record.tokens_per_second is not None and record.tokens_per_second > 0


def test_full_capture_keeps_both_bodies_and_redacts_the_configured_paths(
    world: World, recorder: KeptRecords
) -> None:
    _recording(world, payload="full", redactPaths=["request.messages[*].content"])
    answer = world.chat("chat", "private words", user="ada@example.com")
    record = recorder.of(answer.headers["x-request-id"])
    assert record.payload is not None
    assert record.payload["request"] == {
        "model": "chat",
        "messages": [{"role": "user", "content": REDACTED}],
        "user": "ada@example.com",
    }
    assert record.payload["response"] == answer.json()


def test_full_capture_of_a_stream_puts_the_answer_back_together(
    world: World, recorder: KeptRecords
) -> None:
    _recording(world, payload="full")
    fake = world.openai_fake
    fake.script(
        fake.stream(
            [
                fake.chunk({"role": "assistant", "content": ""}),
                fake.chunk({"content": "Hel"}),
                fake.chunk({"content": "lo"}),
                fake.chunk({}, finish_reason="stop"),
                fake.usage_chunk(4, 2),
            ]
        )
    )
    answer = world.chat("chat", "Hi", stream=True)
    assert answer.status_code == 200
    record = recorder.of(answer.headers["x-request-id"])
    assert record.stream is True
    assert record.payload is not None
    [choice] = record.payload["response"]["choices"]
    assert choice["content"] == "".join(_contents(answer.text)) == "Hello"
    assert choice["finish_reason"] == "stop"
    assert record.time_to_first_token_ms is not None


def _contents(sse: str) -> Iterator[str]:
    for line in sse.splitlines():
        if line.startswith("data: {"):
            for choice in json.loads(line[6:])["choices"]:
                yield choice["delta"].get("content") or ""


def test_secrets_in_payloads_are_redacted_wherever_they_are(
    world: World, recorder: KeptRecords
) -> None:
    _recording(world, payload="full")
    leaked = "sk-proj-abcdefghijklmnopqrstuvwxyz0123"
    answer = world.chat("chat", f"my key is {leaked}, keep it", metadata={"apiKey": "hunter2"})
    record = recorder.of(answer.headers["x-request-id"])
    assert record.payload is not None
    request = record.payload["request"]
    assert request["messages"][0]["content"] == f"my key is {REDACTED}, keep it"
    assert request["metadata"] == {"apiKey": REDACTED}
    assert leaked not in repr(record) and "hunter2" not in repr(record)


def test_capture_off_keeps_no_payload(world: World, recorder: KeptRecords) -> None:
    _recording(world, payload="off")
    answer = world.chat("chat")
    assert recorder.of(answer.headers["x-request-id"]).payload is None


def test_requests_that_reach_no_environment_are_recorded_too(
    world: World, recorder: KeptRecords
) -> None:
    answer = world.chat("chat", key="sk-sb-not-a-key")
    assert answer.status_code == 401
    record = recorder.of(answer.headers["x-request-id"])
    assert (record.status, record.environment_id, record.endpoint) == (
        401,
        None,
        "chat/completions",
    )
    assert (record.error_class, record.error_message) == ("invalid_api_key", "invalid API key")
    unreadable = world.http.post(
        world.gateway.url + "/v1/chat/completions",
        headers={"authorization": f"Bearer {world.key}"},
        content=b"{not json",
    )
    rejected = recorder.of(unreadable.headers["x-request-id"])
    assert rejected.status == 400
    said = unreadable.json()["error"]
    assert rejected.error_class == (said["code"] or said["type"])
    unknown = world.chat("nope")
    missing = recorder.of(unknown.headers["x-request-id"])
    assert (missing.error_class, missing.resource_id, missing.resource_name) == (
        "model_not_found",
        None,
        "nope",
    )


def test_the_environment_api_validates_recording(world: World) -> None:
    refused = world.admin.patch(ENV, {"recording": {"payload": "everything"}})
    assert refused.status_code == 400
    assert refused.json()["error"]["param"] == "recording.payload"
    refused = world.admin.patch(ENV, {"recording": {"redactPaths": ["ok.path", "bad..path"]}})
    assert refused.json()["error"]["param"] == "recording.redactPaths[1]"
    shown = expect(world.admin.get(ENV), 200)
    assert shown["recording"] == {"payload": "metadata", "redactPaths": []}


# -- the pieces ---------------------------------------------------------------------------------


def test_paths_read_dots_indexes_and_wildcards() -> None:
    assert parse_path("$.request.messages[*].content") == parse_path("request.messages.*.content")
    payload: dict[str, Any] = {
        "request": {"messages": [{"content": "a"}, {"content": "b"}], "user": "u"},
        "response": {"choices": [{"message": "x"}, {"message": "y"}]},
    }
    paths = [parse_path("request.messages[*].content"), parse_path("response.choices[1]")]
    redact(payload, paths, scrub=True)
    assert payload == {
        "request": {"messages": [{"content": REDACTED}, {"content": REDACTED}], "user": "u"},
        "response": {"choices": [{"message": "x"}, REDACTED]},
    }
    with pytest.raises(ValueError, match="character"):
        parse_path("a..b")


@pytest.mark.parametrize(
    "secret",
    [
        "sk-ant-api03-abcdefghijklmnopqrstuvwxyz",
        "sk-sb-abcdefghijklmnopqrstuvwxyz012345",
        "gsk_abcdefghijklmnopqrstuvwxyz0123",
        "AIzaSyA-abcdefghijklmnopqrstuvwxyz01234",
        "AKIAIOSFODNN7EXAMPLE",
        "Bearer abcdefghijklmnopqrstuvwxyz",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ],
)
def test_credential_shaped_strings_are_scrubbed(secret: str) -> None:
    assert scrub_secrets(f"before {secret} after") == f"before {REDACTED} after"


def test_ordinary_text_is_left_alone() -> None:
    text = "a sketch of the plan_for_tomorrow, with no keys in it at all"
    assert scrub_secrets(text) is text


def test_a_provider_echoing_the_connection_key_does_not_put_it_in_the_record(
    world: World, recorder: KeptRecords
) -> None:
    fake = world.openai_fake
    fake.script(fake.error(500, f"upstream rejected the key {UPSTREAM_KEY}", "server_error"))
    answer = world.chat("chat")
    assert answer.status_code == 502
    assert UPSTREAM_KEY not in answer.text and REDACTED in answer.text
    record = recorder.of(answer.headers["x-request-id"])
    assert record.error_message is not None and REDACTED in record.error_message
    assert UPSTREAM_KEY not in repr(record)


def test_metadata_scrubs_the_free_text_it_keeps(world: World, recorder: KeptRecords) -> None:
    leaked = "sk-proj-abcdefghijklmnopqrstuvwxyz0123"
    answer = world.chat("chat", user=f"svc {leaked}", metadata={"note": leaked, "token": "x"})
    record = recorder.of(answer.headers["x-request-id"])
    assert record.payload is not None
    request = record.payload["request"]
    assert request["user"] == f"svc {REDACTED}"
    assert request["metadata"] == {"note": REDACTED, "token": REDACTED}


def test_an_overlong_correlation_id_is_cut_to_what_the_audit_keeps(
    world: World, recorder: KeptRecords
) -> None:
    answer = world.chat("chat", headers={"x-correlation-id": "c" * 1000})
    assert recorder.of(answer.headers["x-request-id"]).correlation_id == "c" * 255
