"""The Gemini provider against its fake: what the conformance suite does not cover."""

from __future__ import annotations

import base64
import struct
from collections.abc import AsyncIterator, Iterator
from importlib.metadata import entry_points
from typing import Any

import msgspec
import pytest

from switchboard.dataplane.openai_types import (
    ChatMessage,
    EmbeddingRequest,
    FunctionCall,
    ToolCall,
)
from switchboard.http_client import HttpClient
from switchboard.interfaces.provider import EmbeddingCall, ProviderError, Timeouts, Upstream
from switchboard.testing.fakes.gemini import GeminiFake
from switchboard_gemini import GeminiCredentials, GeminiProvider, GeminiSettings, plugin
from tests.plugins.gemini.kit import API_KEY
from tests.plugins.gemini.support import chat_call

provider = GeminiProvider()


@pytest.fixture
def fake() -> Iterator[GeminiFake]:
    with GeminiFake(api_key=API_KEY) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    async with HttpClient() as session:
        yield session


def base_url(fake: GeminiFake) -> str:
    return fake.url + "/v1beta"


def embedding_call(fake: GeminiFake, http: HttpClient, inputs: Any, **fields: Any) -> EmbeddingCall:
    return EmbeddingCall(
        request_id="req-test",
        connection_id="conn-gemini",
        connection_name="gemini",
        model="gemini-embedding-001",
        request=EmbeddingRequest(model="resource", input=inputs, **fields),
        settings=GeminiSettings(base_url=base_url(fake)),
        credentials=GeminiCredentials(api_key=API_KEY),
        timeouts=Timeouts(connect=2, first_byte=5, total=10),
        http=http,
    )


def hi(fake: GeminiFake, http: HttpClient, **fields: Any) -> Any:
    return chat_call(
        ChatMessage(role="user", content="Hi"), base_url=base_url(fake), http=http, **fields
    )


async def drain(call: Any, received: list[Any]) -> None:
    """Stream ``call``, keeping the chunks that arrived before any failure."""
    async for chunk in provider.stream(call):
        received.append(chunk)


# -- chat ------------------------------------------------------------------------------------


async def test_the_key_travels_in_a_header_only(fake: GeminiFake, http: HttpClient) -> None:
    answer = await provider.complete(hi(fake, http))
    assert answer.choices[0].message.content == "Hello from the fake."
    sent = fake.last
    assert sent.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert sent.header("x-goog-api-key") == API_KEY
    assert sent.header("content-type") == "application/json"
    assert sent.query == {}


async def test_a_wrong_key_is_an_auth_error_without_the_key(
    fake: GeminiFake, http: HttpClient
) -> None:
    fake.api_key = "another-key"
    with pytest.raises(ProviderError) as failed:
        await provider.complete(hi(fake, http))
    error = failed.value
    assert (error.error_class, error.status, error.code) == ("auth", 400, "API_KEY_INVALID")
    assert error.message == "gemini answered 400: API key not valid. Please pass a valid API key."
    assert API_KEY not in repr(error) and API_KEY not in str(error)


async def test_a_thought_signature_survives_the_round_trip(
    fake: GeminiFake, http: HttpClient
) -> None:
    signature = "CiIBVKhc7+/Z0mE="
    fake.script(
        fake.answer(parts=[fake.function_call_part("f", {"q": 1}, thought_signature=signature)])
    )
    answer = await provider.complete(hi(fake, http))
    assert isinstance(answer.choices[0].message.tool_calls, list)
    (call,) = answer.choices[0].message.tool_calls
    assert isinstance(call.function, FunctionCall)
    follow_up = chat_call(
        ChatMessage(role="user", content="Hi"),
        ChatMessage(
            role="assistant",
            tool_calls=[ToolCall(id=call.id, type="function", function=call.function)],
        ),
        ChatMessage(role="tool", tool_call_id=call.id, content="done"),
        base_url=base_url(fake),
        http=http,
    )
    await provider.complete(follow_up)
    model_turn = fake.last.json["contents"][1]
    assert model_turn["parts"] == [
        {
            "functionCall": {"name": "f", "args": {"q": 1}, "id": "call_0"},
            "thoughtSignature": signature,
        }
    ]


async def test_dropped_parameters_are_on_the_call(fake: GeminiFake, http: HttpClient) -> None:
    call = hi(fake, http, logit_bias={"1": 2}, user="u")
    await provider.complete(call)
    assert call.dropped_params == ["logit_bias", "user"]
    assert "logit_bias" not in fake.last.body.decode()


async def test_the_stream_endpoint_and_framing(fake: GeminiFake, http: HttpClient) -> None:
    chunks = [chunk async for chunk in provider.stream(hi(fake, http))]
    text = "".join(
        c.choices[0].delta.content
        for c in chunks
        if c.choices and isinstance(c.choices[0].delta.content, str)
    )
    assert text == "Hello from the fake."
    assert fake.last.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    assert fake.last.query == {"alt": "sse"}
    assert fake.last.header("accept") == "text/event-stream"


@pytest.mark.parametrize(("status", "error_class"), [(503, "server_error"), (429, "rate_limit")])
async def test_a_failure_after_the_200_maps_by_its_code(
    fake: GeminiFake, http: HttpClient, status: int, error_class: str
) -> None:
    fake.script(
        fake.stream(
            [fake.response(text="Hel", finish_reason=None)],
            error=fake.stream_error(status, "The model is overloaded."),
        )
    )
    received: list[Any] = []
    with pytest.raises(ProviderError) as failed:
        await drain(hi(fake, http), received)
    assert (failed.value.error_class, failed.value.status) == (error_class, status)
    assert failed.value.message == "gemini failed mid-stream: The model is overloaded."
    assert len(received) == 1


async def test_a_blocked_prompt_fails_a_stream_before_any_chunk(
    fake: GeminiFake, http: HttpClient
) -> None:
    blocked = fake.blocked("SAFETY").json
    fake.script(fake.stream([blocked]))
    received: list[Any] = []
    with pytest.raises(ProviderError) as failed:
        await drain(hi(fake, http), received)
    assert failed.value.error_class == "bad_request"
    assert received == []


async def test_a_stream_closed_before_the_finish_is_a_network_error(
    fake: GeminiFake, http: HttpClient
) -> None:
    fake.script(fake.stream([fake.response(text="Hel", finish_reason=None)]))
    with pytest.raises(ProviderError) as failed:
        await drain(hi(fake, http), [])
    assert failed.value.error_class == "network"


# -- embeddings ------------------------------------------------------------------------------


async def test_embeddings(fake: GeminiFake, http: HttpClient) -> None:
    fake.script(fake.embeddings([[0.5, 0.25], [1.0, 2.0]], prompt_tokens=6))
    call = embedding_call(fake, http, ["a", "b"], dimensions=2, user="someone")
    answer = await provider.embed(call)
    assert [(e.index, e.embedding) for e in answer.data] == [(0, [0.5, 0.25]), (1, [1.0, 2.0])]
    assert (answer.model, answer.usage.prompt_tokens, answer.usage.total_tokens) == (
        "gemini-embedding-001",
        6,
        6,
    )
    assert call.dropped_params == ["user"]
    sent = fake.last
    assert sent.path == "/v1beta/models/gemini-embedding-001:batchEmbedContents"
    assert sent.json == {
        "requests": [
            {
                "model": "models/gemini-embedding-001",
                "content": {"parts": [{"text": text}]},
                "outputDimensionality": 2,
            }
            for text in ("a", "b")
        ]
    }


async def test_embeddings_in_base64_and_without_usage(fake: GeminiFake, http: HttpClient) -> None:
    answer = await provider.embed(embedding_call(fake, http, "a", encoding_format="base64"))
    (only,) = answer.data
    assert isinstance(only.embedding, str)
    assert struct.unpack("<3f", base64.b64decode(only.embedding)) == pytest.approx((0.1, 0.2, 0.3))
    assert answer.usage.prompt_tokens == 0


async def test_token_inputs_cannot_be_embedded(fake: GeminiFake, http: HttpClient) -> None:
    with pytest.raises(ProviderError) as failed:
        await provider.embed(embedding_call(fake, http, [[1, 2, 3]]))
    assert (failed.value.error_class, failed.value.param) == ("bad_request", "input")
    assert fake.requests == []


@pytest.mark.parametrize(
    "reply",
    [
        GeminiFake.embeddings([[0.1]]),
        GeminiFake.embeddings([[0.1], [0.2], [0.3]]),
        GeminiFake.models([]),
    ],
    ids=["too few", "too many", "another shape"],
)
async def test_embeddings_that_do_not_fit_are_server_errors(
    fake: GeminiFake, http: HttpClient, reply: Any
) -> None:
    fake.script(reply)
    with pytest.raises(ProviderError) as failed:
        await provider.embed(embedding_call(fake, http, ["a", "b"]))
    assert failed.value.error_class == "server_error"


# -- models ----------------------------------------------------------------------------------


async def test_the_model_list_follows_pages(fake: GeminiFake, http: HttpClient) -> None:
    fake.script(
        fake.models(["gemini-b", "gemini-a"], next_page_token="page/2+"),
        fake.models(["gemini-c"]),
    )
    upstream = Upstream(
        request_id="r",
        connection_id="c",
        connection_name="gemini",
        model="",
        settings=GeminiSettings(base_url=base_url(fake)),
        credentials=GeminiCredentials(api_key=API_KEY),
        http=http,
    )
    assert await provider.list_models(upstream) == ["gemini-a", "gemini-b", "gemini-c"]
    first, second = fake.requests
    assert (first.method, first.path, first.query) == (
        "GET",
        "/v1beta/models",
        {"pageSize": "1000"},
    )
    assert second.query == {"pageSize": "1000", "pageToken": "page/2+"}


# -- the plugin ------------------------------------------------------------------------------


def test_the_entry_point_registers_the_provider() -> None:
    (entry,) = entry_points(group="switchboard", name="gemini")
    assert entry.load() is plugin
    (registered,) = plugin.switchboard_register_providers(gateway=None)  # type: ignore[arg-type]
    assert isinstance(registered, GeminiProvider)
    assert (registered.name, registered.supports_embeddings) == ("gemini", True)


def test_settings_and_credentials() -> None:
    settings = msgspec.json.decode(
        b'{"baseUrl": "https://proxy.example/v1beta"}', type=GeminiSettings
    )
    assert settings.base_url == "https://proxy.example/v1beta"
    assert GeminiSettings().base_url == "https://generativelanguage.googleapis.com/v1beta"
    with pytest.raises(msgspec.ValidationError, match="unknown field"):
        msgspec.json.decode(b'{"baseURL": "x"}', type=GeminiSettings)
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"baseUrl": "ftp://x"}', type=GeminiSettings)
    credentials = msgspec.json.decode(b'{"apiKey": "AIza-very-secret"}', type=GeminiCredentials)
    assert "AIza-very-secret" not in repr(credentials)
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"apiKey": ""}', type=GeminiCredentials)
