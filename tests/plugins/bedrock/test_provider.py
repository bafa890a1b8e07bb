"""The Bedrock provider end to end against the fake: what the conformance suite leaves out."""

from __future__ import annotations

import asyncio
import base64
import struct
from typing import Any

import pytest

from switchboard.context import GatewayContext
from switchboard.dataplane.openai_types import (
    ChatCompletionChunk,
    ChatCompletionRequest,
    ChatMessage,
    ContentPart,
    EmbeddingRequest,
    FunctionCall,
    ToolCall,
)
from switchboard.http_client import HttpClient
from switchboard.interfaces.provider import EmbeddingCall, ProviderCall, ProviderError
from switchboard.plugins import PluginHost, Registry
from switchboard.settings import load_settings
from switchboard.testing.conformance import TINY_PNG_DATA_URL, WEATHER_TOOL
from switchboard.testing.fakes import Reply
from switchboard.testing.fakes.bedrock import BedrockFake, event, exception_event, model_of
from switchboard_bedrock import BedrockCredentials, BedrockProvider, BedrockSettings
from tests.plugins.bedrock.kit import ACCESS_KEY_ID, upstream_fields

TITAN = "amazon.titan-embed-text-v2:0"
PROFILE_ARN = "arn:aws:bedrock:eu-west-3:123456789012:application-inference-profile/a1b2c3d4e5f6"


def chat(
    fake: BedrockFake,
    http: HttpClient,
    *messages: ChatMessage,
    model: str = "anthropic.claude-3-5-haiku-20241022-v1:0",
    **fields: Any,
) -> ProviderCall:
    request = ChatCompletionRequest(model="chat", messages=list(messages), **fields)
    return ProviderCall(request=request, **upstream_fields(fake.url, http, model=model))


def embedding(
    fake: BedrockFake, http: HttpClient, model: str = TITAN, **fields: Any
) -> EmbeddingCall:
    return EmbeddingCall(
        request=EmbeddingRequest(model="embed", **fields),
        **upstream_fields(fake.url, http, model=model),
    )


HI = ChatMessage(role="user", content="Hi")


async def collect(call: ProviderCall, *, into: list[ChatCompletionChunk]) -> None:
    async for chunk in BedrockProvider().stream(call):
        into.append(chunk)


# -- chat --------------------------------------------------------------------------------------


async def test_an_arn_model_id_is_encoded_and_signed_as_aws_expects(
    fake: BedrockFake, http: HttpClient
) -> None:
    answer = await BedrockProvider().complete(chat(fake, http, HI, model=PROFILE_ARN))
    assert answer.model == PROFILE_ARN
    assert model_of(fake.last) == PROFILE_ARN
    chunks = [c async for c in BedrockProvider().stream(chat(fake, http, HI, model=PROFILE_ARN))]
    assert chunks[-1].usage is not None


async def test_a_whole_conversation_is_a_body_bedrock_accepts(
    fake: BedrockFake, http: HttpClient
) -> None:
    # The fake refuses what Bedrock refuses (alternation, blank text, tool blocks without
    # toolConfig, temperature above 1): this history would trip each rule untranslated.
    answer = await BedrockProvider().complete(
        chat(
            fake,
            http,
            ChatMessage(role="system", content="Be brief."),
            ChatMessage(
                role="user",
                content=[
                    ContentPart(type="text", text="What is this, and the weather?"),
                    ContentPart(type="image_url", image_url={"url": TINY_PNG_DATA_URL}),
                ],
            ),
            ChatMessage(role="user", content="Paris, please."),
            ChatMessage(
                role="assistant",
                content="",
                tool_calls=[
                    ToolCall(
                        id="call_1",
                        type="function",
                        function=FunctionCall(name="get_weather", arguments='{"city":"Paris"}'),
                    )
                ],
            ),
            ChatMessage(role="tool", tool_call_id="call_1", content="18C"),
            temperature=1.5,
        )
    )
    assert answer.choices[0].message.content == "Hello from the fake."
    body = fake.last.json
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert body["toolConfig"]["tools"][0]["toolSpec"]["name"] == "get_weather"


async def test_wrong_credentials_are_an_auth_error_without_the_secret(
    fake: BedrockFake, http: HttpClient
) -> None:
    call = chat(fake, http, HI)
    call.credentials = BedrockCredentials(
        access_key_id=ACCESS_KEY_ID, secret_access_key="not-the-right-secret"
    )
    with pytest.raises(ProviderError) as failed:
        await BedrockProvider().complete(call)
    error = failed.value
    assert (error.error_class, error.status, error.error_type) == (
        "auth",
        403,
        "InvalidSignatureException",
    )
    assert "not-the-right-secret" not in str(error) and ACCESS_KEY_ID not in str(error)


async def test_a_model_timeout_is_a_timeout(fake: BedrockFake, http: HttpClient) -> None:
    fake.script(fake.error(408, "ModelTimeoutException", "Model has timed out"))
    with pytest.raises(ProviderError) as failed:
        await BedrockProvider().complete(chat(fake, http, HI))
    assert (failed.value.error_class, failed.value.status) == ("timeout", 408)


async def test_tools_and_dropped_parameters_reach_the_call(
    fake: BedrockFake, http: HttpClient
) -> None:
    call = chat(
        fake,
        http,
        HI,
        tools=[WEATHER_TOOL],
        tool_choice="required",
        response_format={"type": "json_object"},
        seed=1,
    )
    await BedrockProvider().complete(call)
    assert fake.last.json["toolConfig"]["toolChoice"] == {"any": {}}
    assert call.dropped_params == ["seed", "response_format"]


# -- streams -----------------------------------------------------------------------------------


async def test_an_exception_mid_stream_maps_after_the_chunks_so_far(
    fake: BedrockFake, http: HttpClient
) -> None:
    fake.script(
        fake.stream(
            [
                event("messageStart", {"role": "assistant"}),
                event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hel"}}),
                exception_event("throttlingException", "Too many tokens, please wait."),
            ]
        )
    )
    received: list[ChatCompletionChunk] = []
    with pytest.raises(ProviderError) as failed:
        await collect(chat(fake, http, HI, stream=True), into=received)
    assert [c.choices[0].delta.content for c in received] == ["", "Hel"]
    assert (failed.value.error_class, failed.value.error_type) == (
        "rate_limit",
        "ThrottlingException",
    )


async def test_a_stream_that_is_not_an_event_stream_is_a_server_error(
    fake: BedrockFake, http: HttpClient
) -> None:
    fake.script(Reply(body=b'{"message": "surprise, JSON"}' * 3))
    with pytest.raises(ProviderError) as failed:
        async for _ in BedrockProvider().stream(chat(fake, http, HI, stream=True)):
            pass
    assert failed.value.error_class == "server_error"


async def test_a_stream_ending_after_the_stop_without_usage_is_a_network_error(
    fake: BedrockFake, http: HttpClient
) -> None:
    fake.script(fake.stream(fake.text_events(["Hi"])[:-1]))
    with pytest.raises(ProviderError, match="before its usage") as failed:
        async for _ in BedrockProvider().stream(chat(fake, http, HI, stream=True)):
            pass
    assert failed.value.error_class == "network"


# -- embeddings --------------------------------------------------------------------------------


async def test_titan_embeds_each_input_in_order(fake: BedrockFake, http: HttpClient) -> None:
    answer = await BedrockProvider().embed(
        embedding(fake, http, input=["one", "three words here", "fifteen chars!!"], dimensions=256)
    )
    assert [d.index for d in answer.data] == [0, 1, 2]
    # The fake's vector starts with len(text) / 100: each input got its own answer.
    assert [d.embedding[0] for d in answer.data] == [0.03, 0.16, 0.15]
    assert (answer.usage.prompt_tokens, answer.usage.total_tokens) == (6, 6)
    assert answer.model == TITAN
    bodies = sorted((r.json for r in fake.requests), key=lambda b: str(b["inputText"]))
    assert bodies[0] == {
        "inputText": "fifteen chars!!",
        "normalize": True,
        "embeddingTypes": ["float"],
        "dimensions": 256,
    }
    assert all(r.path == f"/model/{TITAN}/invoke" for r in fake.requests)


async def test_titan_calls_run_concurrently(fake: BedrockFake, http: HttpClient) -> None:
    fake.script(*[Reply(json={"embedding": [0.1], "inputTextTokenCount": 1}, delay=1.0)] * 4)
    task = asyncio.create_task(BedrockProvider().embed(embedding(fake, http, input=list("abcd"))))
    for _ in range(50):
        if len(fake.requests) == 4:
            break
        await asyncio.sleep(0.01)
    # Every call is out while the first answer is still a second away.
    assert len(fake.requests) == 4 and not task.done()
    assert len((await task).data) == 4


async def test_base64_embeddings_are_packed_float32(fake: BedrockFake, http: HttpClient) -> None:
    fake.script(fake.embedding([0.25, -0.5], tokens=1))
    answer = await BedrockProvider().embed(
        embedding(fake, http, input="x", encoding_format="base64")
    )
    packed = answer.data[0].embedding
    assert isinstance(packed, str)
    assert struct.unpack("<2f", base64.b64decode(packed)) == (0.25, -0.5)


@pytest.mark.parametrize(
    ("model", "inputs", "param", "words"),
    [
        ("cohere.embed-english-v3", "a", "model", "'cohere.embed-english-v3'"),
        ("amazon.titan-embed-text-v1", "a", "model", "Titan Text Embeddings V2"),
        (TITAN, [[1, 2, 3]], "input", "not token arrays"),
    ],
)
async def test_what_titan_v2_cannot_embed_is_refused(
    fake: BedrockFake, http: HttpClient, model: str, inputs: Any, param: str, words: str
) -> None:
    with pytest.raises(ProviderError, match=words) as failed:
        await BedrockProvider().embed(embedding(fake, http, model=model, input=inputs))
    assert (failed.value.error_class, failed.value.param) == ("bad_request", param)
    assert fake.requests == []


async def test_one_failed_input_fails_the_request(fake: BedrockFake, http: HttpClient) -> None:
    fake.script(
        fake.embedding([0.1], tokens=1),
        fake.error(429, "ThrottlingException", "Too many requests"),
        fake.embedding([0.1], tokens=1),
    )
    call = embedding(fake, http, input=["a", "b", "c"], user="ann")
    with pytest.raises(ProviderError) as failed:
        await BedrockProvider().embed(call)
    assert failed.value.error_class == "rate_limit"
    assert call.dropped_params == ["user"]


# -- the plugin --------------------------------------------------------------------------------


def test_the_plugin_registers_the_provider_through_its_entry_point() -> None:
    host = PluginHost(load_settings({}, plugins="bedrock"))
    host.load_entry_points(strict=True)
    assert host.plugins["bedrock"].distribution == "switchboard-bedrock"
    registry = Registry.collect(host.hooks, GatewayContext(host.settings))
    provider = registry.providers.get("bedrock")
    assert isinstance(provider, BedrockProvider)
    assert provider.supports_embeddings
    assert provider.settings_type is BedrockSettings
    assert provider.credentials_type is BedrockCredentials
