"""A client that leaves mid-request: the gateway stops reading from the provider at once,
closes the provider's connection, and records the request once, promptly, as closed by its
client (499 ``client_closed_request``) with what it knew.

Real gateway, real sockets; the fake providers stream a piece every 100 ms for 10 s, so a
gateway that read on to the end would be seen at once.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from switchboard.dataplane.asgi import _send_stream
from switchboard.dataplane.pipeline import CLIENT_CLOSED, CLIENT_CLOSED_STATUS
from switchboard.records import RequestRecord
from switchboard.testing.fakes.base import FakeServer, Reply
from switchboard.testing.fakes.bedrock import BedrockFake
from switchboard.testing.fakes.gemini import GeminiFake
from switchboard.testing.pytest_plugin import RegisterPlugin
from switchboard.testing.records import KeptRecords
from tests.core.api.client import expect
from tests.core.dataplane.conftest import ENV, World

PIECES = [f"piece {i} " for i in range(100)]
EVENT_DELAY = 0.1  # 100 pieces: 10 s for the whole answer
PROMPTLY = 1.0  # seconds the provider and the record may take to see the client leave
GEMINI_KEY = "AIzaSy-test-gemini-key-for-disconnects"
BEDROCK_KEY_ID = "AKIATESTDISCONNECT01"
BEDROCK_SECRET = "test-bedrock-secret-for-disconnects"
BEDROCK_REGION = "eu-west-3"
BEDROCK_MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0"


@pytest.fixture(autouse=True)
def kept(register_plugin: RegisterPlugin) -> KeptRecords:
    # Autouse, so the recorder is registered before the world's gateway starts.
    records = KeptRecords()
    register_plugin(records, "kept-records")
    return records


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every log line of the test (the gateway's thread included), from INFO up."""
    caplog.set_level(logging.INFO)
    return caplog


@dataclass
class Upstream:
    """A resource served by one provider's fake, and how to script a slow answer there."""

    resource: str
    fake: FakeServer
    slow_reply: Callable[[], Reply]


def _slow(reply: Reply) -> Reply:
    return dataclasses.replace(reply, event_delay=EVENT_DELAY)


def _openai(world: World) -> Upstream:
    fake = world.openai_fake

    def reply() -> Reply:
        chunks = [fake.chunk({"role": "assistant", "content": ""})]
        chunks += [fake.chunk({"content": piece}) for piece in PIECES]
        chunks += [fake.chunk({}, "stop"), fake.usage_chunk(10, 200)]
        return _slow(fake.stream(chunks))

    return Upstream("chat", fake, reply)


def _anthropic(world: World) -> Upstream:
    fake = world.anthropic_fake
    world.resource(
        "claude-chat",
        model={"provider": "anthropic", "model": "claude-x", "connection": "claude"},
    )
    world.assign("backend", "chat", "claude-chat")
    return Upstream(
        "claude-chat",
        fake,
        lambda: _slow(fake.stream_text(PIECES, input_tokens=10, output_tokens=200)),
    )


def _gemini(world: World) -> Upstream:
    fake = world.start(GeminiFake(api_key=GEMINI_KEY))
    world.connection("gemini", "gemini", fake.url + "/v1beta", api_key=GEMINI_KEY)
    world.resource(
        "gemini-chat",
        model={"provider": "gemini", "model": fake.model, "connection": "gemini"},
    )
    world.assign("backend", "chat", "gemini-chat")
    return Upstream("gemini-chat", fake, lambda: _slow(fake.text_stream(PIECES)))


def _bedrock(world: World) -> Upstream:
    fake = world.start(BedrockFake(BEDROCK_KEY_ID, BEDROCK_SECRET, region=BEDROCK_REGION))
    body = {
        "name": "bedrock",
        "provider": "bedrock",
        "settings": {"region": BEDROCK_REGION, "endpointUrl": fake.url},
        "credentials": {"accessKeyId": BEDROCK_KEY_ID, "secretAccessKey": BEDROCK_SECRET},
    }
    expect(world.admin.post(f"{ENV}/connections", body), 201)
    world.resource(
        "bedrock-chat",
        model={"provider": "bedrock", "model": BEDROCK_MODEL, "connection": "bedrock"},
    )
    world.assign("backend", "chat", "bedrock-chat")
    return Upstream(
        "bedrock-chat",
        fake,
        lambda: fake.stream(fake.text_events(PIECES), event_delay=EVENT_DELAY),
    )


UPSTREAMS: dict[str, Callable[[World], Upstream]] = {
    "openai": _openai,
    "anthropic": _anthropic,
    "gemini": _gemini,
    "bedrock": _bedrock,
}


@pytest.fixture(params=sorted(UPSTREAMS))
def upstream(request: pytest.FixtureRequest, world: World) -> Upstream:
    expect(world.admin.patch(ENV, {"recording": {"payload": "full"}}), 200)
    return UPSTREAMS[request.param](world)


def _read_then_leave(
    world: World, path: str, body: dict[str, Any], *, pieces: int = 3
) -> tuple[str, float]:
    """Stream ``body`` to ``path``, read until ``pieces`` lines of answer text have come, then
    close the connection (as a browser's Stop does); the request id and when it closed."""
    url = world.gateway.url + path
    headers = {"authorization": f"Bearer {world.key}"}
    read = 0
    with world.http.stream("POST", url, headers=headers, json=body) as response:
        assert response.status_code == 200, response.read()
        for line in response.iter_lines():
            read += "piece" in line
            if read >= pieces:
                break
        closed = time.monotonic()
    return response.headers["x-request-id"], closed


def _recorded_promptly(kept: KeptRecords, request_id: str, closed: float) -> RequestRecord:
    record = kept.of(request_id)
    assert time.monotonic() - closed < PROMPTLY, "the record came late"
    return record


def _assert_nothing_went_wrong(logged: pytest.LogCaptureFixture) -> None:
    """The gateway said the client left (the log reaches the test) and logged no error."""
    deadline = time.monotonic() + PROMPTLY
    while "the request was stopped" not in logged.text and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "the request was stopped" in logged.text
    problems = [r.getMessage() for r in logged.records if r.levelno >= logging.WARNING]
    assert problems == []


def _assert_cut_stream_record(record: RequestRecord) -> None:
    assert (record.status, record.error_class) == (CLIENT_CLOSED_STATUS, CLIENT_CLOSED)
    assert record.stream is True
    assert record.latency_ms < 5000  # the answer would have taken 10 s
    assert record.time_to_first_token_ms is not None
    [attempt] = record.attempts
    assert attempt.outcome == "ok"  # the provider did nothing wrong
    # No usage came (it comes last): the gateway's own count of the prompt and of the
    # answer relayed so far.
    assert record.prompt_tokens > 0
    assert 0 < record.completion_tokens < 100
    assert record.payload is not None
    [choice] = record.payload["response"]["choices"]
    assert choice["content"].startswith("piece 0 piece 1 piece 2 ")
    assert "piece 99" not in choice["content"]
    assert "finish_reason" not in choice


# -- streams ---------------------------------------------------------------------------------


def test_leaving_a_chat_stream_stops_the_provider_and_records_the_request(
    world: World, upstream: Upstream, kept: KeptRecords, logged: pytest.LogCaptureFixture
) -> None:
    upstream.fake.script(upstream.slow_reply())
    body = {
        "model": upstream.resource,
        "messages": [{"role": "user", "content": "Count slowly"}],
        "stream": True,
    }
    request_id, closed = _read_then_leave(world, "/v1/chat/completions", body)

    record = _recorded_promptly(kept, request_id, closed)
    abandoned = upstream.fake.wait_abandoned(within=5.0)
    assert abandoned.closed_at - closed < PROMPTLY, "the provider's stream was read on"
    assert abandoned.events_written < len(PIECES) // 2
    _assert_cut_stream_record(record)
    assert record.endpoint == "chat/completions"
    _assert_nothing_went_wrong(logged)
    assert kept.of(request_id) is record  # still one record


def test_leaving_a_messages_stream_stops_the_provider_too(
    world: World, upstream: Upstream, kept: KeptRecords, logged: pytest.LogCaptureFixture
) -> None:
    upstream.fake.script(upstream.slow_reply())
    body = {
        "model": upstream.resource,
        "max_tokens": 1000,
        "messages": [{"role": "user", "content": "Count slowly"}],
        "stream": True,
    }
    request_id, closed = _read_then_leave(world, "/v1/messages", body)

    record = _recorded_promptly(kept, request_id, closed)
    abandoned = upstream.fake.wait_abandoned(within=5.0)
    assert abandoned.closed_at - closed < PROMPTLY, "the provider's stream was read on"
    _assert_cut_stream_record(record)
    assert record.endpoint == "messages"
    _assert_nothing_went_wrong(logged)


def test_a_stream_left_early_settles_its_reservation(world: World, kept: KeptRecords) -> None:
    expect(
        world.admin.patch(
            f"{ENV}/connections/openai-main",
            {"capacity": [{"period": "minute", "tokens": 10000}]},
        ),
        200,
    )
    upstream = _openai(world)
    upstream.fake.script(upstream.slow_reply())
    body = {
        "model": "chat",
        "messages": [{"role": "user", "content": "Count slowly"}],
        "stream": True,
        "max_tokens": 300,
    }
    url = world.gateway.url + "/v1/chat/completions"
    with world.http.stream(
        "POST", url, headers={"authorization": f"Bearer {world.key}"}, json=body
    ) as cut:
        reserved = 10000 - int(cut.headers["x-ratelimit-remaining-tokens"])
        for line in cut.iter_lines():
            if "piece 2" in line:
                break
    record = kept.of(cut.headers["x-request-id"])
    used = record.prompt_tokens + record.completion_tokens
    assert 0 < used < reserved  # 300 were expected; far fewer came

    after = world.chat("chat", "Count slowly", max_tokens=300)
    # The cut stream now counts what it used, the new request its own reservation.
    assert int(after.headers["x-ratelimit-remaining-tokens"]) == 10000 - used - reserved


# -- plain answers ---------------------------------------------------------------------------


def test_leaving_before_a_plain_answer_stops_the_call_and_gives_capacity_back(
    world: World, kept: KeptRecords, logged: pytest.LogCaptureFixture
) -> None:
    expect(
        world.admin.patch(
            f"{ENV}/connections/openai-main",
            {"capacity": [{"period": "minute", "requests": 1}]},
        ),
        200,
    )
    fake = world.openai_fake
    fake.script(dataclasses.replace(fake.completion("too late"), delay=10.0))
    with pytest.raises(httpx.ReadTimeout):
        world.http.post(
            world.gateway.url + "/v1/chat/completions",
            headers={"authorization": f"Bearer {world.key}", "x-correlation-id": "gone"},
            json={"model": "chat", "messages": [{"role": "user", "content": "Hi"}]},
            timeout=httpx.Timeout(30.0, read=0.5),
        )
    closed = time.monotonic()

    abandoned = fake.wait_abandoned(within=5.0)
    assert abandoned.closed_at - closed < PROMPTLY
    [record] = [r for r in kept.wait_for(1) if r.correlation_id == "gone"]
    assert time.monotonic() - closed < PROMPTLY + 0.5
    assert (record.status, record.error_class) == (CLIENT_CLOSED_STATUS, CLIENT_CLOSED)
    assert record.stream is False and record.latency_ms < 5000
    [attempt] = record.attempts
    assert (attempt.outcome, attempt.error_class) == ("cancelled", CLIENT_CLOSED)
    assert (record.provider, record.connection_name) == ("openai", "openai-main")
    assert (record.prompt_tokens, record.completion_tokens) == (0, 0)
    _assert_nothing_went_wrong(logged)

    # The cancelled call's reservation went back: the one request a minute is still there.
    assert world.chat("chat").status_code == 200


# -- servers that report a closed client on send -------------------------------------------


async def test_a_send_that_fails_closes_the_stream_without_an_error() -> None:
    # uvicorn's send says nothing once the client is gone (the watcher covers it); other
    # servers raise OSError from send, which must end the stream the same way.
    steps: list[str] = []

    async def frames() -> AsyncGenerator[bytes, None]:
        try:
            for index in range(100):
                steps.append(f"frame {index}")
                yield b"data: %d\n\n" % index
        finally:
            steps.append("closed")

    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        if len(sent) == 3:
            raise ConnectionResetError("the client is gone")
        sent.append(message)

    await _send_stream(send, 200, [], frames())
    assert steps == ["frame 0", "frame 1", "frame 2", "closed"]
    assert [m["type"] for m in sent] == ["http.response.start", *["http.response.body"] * 2]
