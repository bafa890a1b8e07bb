"""The Anthropic provider against its fake, beyond the shared suite: headers, settings, mid-stream
errors, the model list, and the plugin's registration."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from importlib.metadata import entry_points
from typing import Any

import msgspec
import pytest

from switchboard.dataplane.openai_types import (
    ChatCompletionRequest,
    ChatMessage,
    EmbeddingRequest,
)
from switchboard.http_client import HttpClient
from switchboard.interfaces.provider import EmbeddingCall, ProviderCall, ProviderError
from switchboard.testing.fakes import Reply
from switchboard.testing.fakes.anthropic import AnthropicFake
from switchboard_anthropic import AnthropicCredentials, AnthropicProvider, AnthropicSettings
from switchboard_anthropic import plugin as anthropic_plugin

KEY = "sk-ant-provider-test-key-0001"


@pytest.fixture
def fake() -> Iterator[AnthropicFake]:
    with AnthropicFake(api_key=KEY) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    async with HttpClient() as session:
        yield session


def make_call(
    fake: AnthropicFake,
    http: HttpClient,
    *,
    key: str = KEY,
    stream: bool = False,
    **settings: Any,
) -> ProviderCall:
    return ProviderCall(
        request_id="req-1",
        connection_id="conn-1",
        connection_name="anthropic",
        model="claude-haiku-4-5",
        settings=AnthropicSettings(base_url=fake.url, **settings),
        credentials=AnthropicCredentials(api_key=key),
        request=ChatCompletionRequest(
            model="resource",
            messages=[ChatMessage(role="user", content="Hi")],
            stream=stream or msgspec.UNSET,
        ),
        http=http,
    )


async def drain(call: ProviderCall) -> list[Any]:
    return [chunk async for chunk in AnthropicProvider().stream(call)]


async def test_headers_carry_key_version_and_beta_flags(
    fake: AnthropicFake, http: HttpClient
) -> None:
    call = make_call(
        fake, http, api_version="2023-06-01", beta=["prompt-caching-2024-07-31", "files-api"]
    )
    await AnthropicProvider().complete(call)
    sent = fake.last
    assert sent.header("x-api-key") == KEY
    assert sent.header("anthropic-version") == "2023-06-01"
    assert sent.header("anthropic-beta") == "prompt-caching-2024-07-31,files-api"
    assert sent.header("content-type") == "application/json"
    assert "stream" not in sent.json


async def test_no_beta_header_without_flags(fake: AnthropicFake, http: HttpClient) -> None:
    await AnthropicProvider().complete(make_call(fake, http))
    assert fake.last.header("anthropic-beta") is None


async def test_a_wrong_key_is_an_auth_error_with_anthropics_message(
    fake: AnthropicFake, http: HttpClient
) -> None:
    with pytest.raises(ProviderError) as failed:
        await AnthropicProvider().complete(make_call(fake, http, key="sk-ant-wrong-key-99"))
    error = failed.value
    assert (error.error_class, error.status, error.error_type) == (
        "auth",
        401,
        "authentication_error",
    )
    assert error.message == "anthropic answered 401: invalid x-api-key"


async def test_json_of_the_wrong_shape_is_a_server_error(
    fake: AnthropicFake, http: HttpClient
) -> None:
    fake.script(Reply(json={"type": "message", "content": "not blocks"}))
    with pytest.raises(ProviderError) as failed:
        await AnthropicProvider().complete(make_call(fake, http))
    assert (failed.value.error_class, failed.value.status) == ("server_error", 200)


async def test_cache_usage_comes_through(fake: AnthropicFake, http: HttpClient) -> None:
    fake.script(
        fake.message(
            [{"type": "text", "text": "ok"}],
            usage=fake.usage(50, 40, cache_creation=10, cache_read=1200),
        )
    )
    answer = await AnthropicProvider().complete(make_call(fake, http))
    assert msgspec.to_builtins(answer.usage) == {
        "prompt_tokens": 1260,
        "completion_tokens": 40,
        "total_tokens": 1300,
        "prompt_tokens_details": {"cached_tokens": 1200, "cache_write_tokens": 10},
    }


async def test_streams_ask_for_events_and_read_limits(
    fake: AnthropicFake, http: HttpClient
) -> None:
    headers = fake.rate_limit_headers(
        requests_limit=10, requests_remaining=9, tokens_limit=1000, tokens_remaining=990
    )
    fake.script(
        fake.stream(
            [fake.message_start(3), fake.message_delta("end_turn", 1), fake.message_stop()],
            headers=headers,
        )
    )
    call = make_call(fake, http, stream=True)
    chunks = await drain(call)
    assert fake.last.json["stream"] is True
    assert fake.last.header("accept") == "text/event-stream"
    assert call.discovered is not None and call.discovered.requests_remaining == 9
    assert chunks[-1].usage.total_tokens == 4


async def test_an_error_event_after_the_200_fails_the_stream(
    fake: AnthropicFake, http: HttpClient
) -> None:
    fake.script(
        fake.stream(
            [
                fake.message_start(3),
                fake.block_start(0, {"type": "text", "text": ""}),
                fake.text_delta(0, "Hel"),
                fake.error_event("overloaded_error", "Overloaded"),
            ]
        )
    )
    with pytest.raises(ProviderError) as failed:
        await drain(make_call(fake, http, stream=True))
    assert (failed.value.error_class, failed.value.error_type) == (
        "server_error",
        "overloaded_error",
    )


async def test_a_stream_closed_before_message_stop_is_a_network_error(
    fake: AnthropicFake, http: HttpClient
) -> None:
    fake.script(fake.stream([fake.message_start(3), fake.message_delta("end_turn", 1)]))
    with pytest.raises(ProviderError) as failed:
        await drain(make_call(fake, http, stream=True))
    assert failed.value.error_class == "network"
    assert "message_stop" in failed.value.message


async def test_untranslatable_content_fails_before_any_call(
    fake: AnthropicFake, http: HttpClient
) -> None:
    call = make_call(fake, http)
    call.request = ChatCompletionRequest(
        model="resource", messages=[ChatMessage(role="function", name="f", content="x")]
    )
    with pytest.raises(ProviderError) as failed:
        await AnthropicProvider().complete(call)
    assert failed.value.error_class == "bad_request"
    assert fake.requests == []


async def test_the_model_list_follows_pages(fake: AnthropicFake, http: HttpClient) -> None:
    first = fake.models(["claude-sonnet-4-6", "claude-opus-4-8"])
    assert isinstance(first.json, dict)
    first.json["has_more"] = True
    fake.script(first, fake.models(["claude-haiku-4-5"]))
    models = await AnthropicProvider().list_models(make_call(fake, http))
    assert models == ["claude-haiku-4-5", "claude-opus-4-8", "claude-sonnet-4-6"]
    assert [r.query for r in fake.requests] == [
        {"limit": "1000"},
        {"limit": "1000", "after_id": "claude-opus-4-8"},
    ]
    assert {r.path for r in fake.requests} == {"/v1/models"}


async def test_embeddings_are_refused(fake: AnthropicFake, http: HttpClient) -> None:
    call = EmbeddingCall(
        request_id="req-1",
        connection_id="conn-1",
        connection_name="anthropic",
        model="claude-haiku-4-5",
        settings=AnthropicSettings(base_url=fake.url),
        credentials=AnthropicCredentials(api_key=KEY),
        request=EmbeddingRequest(model="resource", input="hello"),
        http=http,
    )
    with pytest.raises(ProviderError) as failed:
        await AnthropicProvider().embed(call)
    assert failed.value.error_class == "bad_request"
    assert fake.requests == []


# -- settings, credentials, registration ---------------------------------------------------------


def test_settings_are_camel_case_with_defaults() -> None:
    settings = msgspec.convert(
        {"baseUrl": "https://proxy.example/anthropic", "beta": ["files-api-2025-04-14"]},
        AnthropicSettings,
    )
    assert settings.base_url == "https://proxy.example/anthropic"
    assert (settings.api_version, settings.default_max_tokens) == ("2026-10-21", 4096)
    assert msgspec.to_builtins(AnthropicSettings()) == {
        "baseUrl": "https://api.anthropic.com",
        "apiVersion": "2026-10-21",
        "beta": [],
        "defaultMaxTokens": 4096,
    }


@pytest.mark.parametrize(
    "raw",
    [
        {"baseURL": "https://api.anthropic.com"},
        {"baseUrl": "api.anthropic.com"},
        {"apiVersion": "latest"},
        {"beta": ["a,b"]},
        {"defaultMaxTokens": 0},
    ],
)
def test_bad_settings_are_refused(raw: dict[str, Any]) -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert(raw, AnthropicSettings)


def test_credentials_hide_the_key() -> None:
    credentials = msgspec.convert({"apiKey": "sk-ant-very-secret"}, AnthropicCredentials)
    assert "sk-ant-very-secret" not in repr(credentials)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"apiKey": ""}, AnthropicCredentials)


def test_the_plugin_registers_the_provider_under_its_entry_point() -> None:
    (provider,) = anthropic_plugin.switchboard_register_providers(gateway=None)  # type: ignore[arg-type]
    assert isinstance(provider, AnthropicProvider) and provider.name == "anthropic"
    (entry,) = [e for e in entry_points(group="switchboard") if e.name == "anthropic"]
    assert entry.value == "switchboard_anthropic.plugin"
