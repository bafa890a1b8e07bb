"""The fake OpenAI server is what the official openai SDK expects."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from switchboard.testing.fakes.openai import OpenAIFake

KEY = "sk-sdk-check"


@pytest.fixture
def fake() -> Iterator[OpenAIFake]:
    with OpenAIFake(api_key=KEY) as server:
        yield server


@pytest.fixture
def client(fake: OpenAIFake) -> openai.OpenAI:
    return openai.OpenAI(api_key=KEY, base_url=fake.url + "/v1", max_retries=0)


def test_chat_completion(fake: OpenAIFake, client: openai.OpenAI) -> None:
    fake.script(fake.completion("Hi!", prompt_tokens=7, completion_tokens=2))
    answer = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello"}]
    )
    assert answer.choices[0].message.content == "Hi!"
    assert answer.usage is not None and answer.usage.total_tokens == 9
    assert fake.last.path == "/v1/chat/completions"
    assert fake.last.json["messages"] == [{"role": "user", "content": "Hello"}]


def test_tool_calls(fake: OpenAIFake, client: openai.OpenAI) -> None:
    fake.script(
        fake.completion(
            None,
            finish_reason="tool_calls",
            tool_calls=[
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                }
            ],
        )
    )
    answer = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Weather?"}]
    )
    (call,) = answer.choices[0].message.tool_calls or []
    assert call.function.name == "get_weather"  # type: ignore[union-attr]


def test_stream_with_usage(fake: OpenAIFake, client: openai.OpenAI) -> None:
    fake.script(
        fake.stream(
            [
                fake.chunk({"role": "assistant", "content": ""}),
                fake.chunk({"content": "Hel"}),
                fake.chunk({"content": "lo"}),
                fake.chunk({}, finish_reason="stop"),
                fake.usage_chunk(5, 2),
            ]
        )
    )
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello"
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 7


def test_embeddings_float_and_base64(client: openai.OpenAI) -> None:
    default = client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    assert [len(d.embedding) for d in default.data] == [3, 3]
    assert default.data[0].embedding[0] == pytest.approx(0.1)
    floats = client.embeddings.create(
        model="text-embedding-3-small", input="a", encoding_format="float"
    )
    assert floats.data[0].embedding == pytest.approx([0.1, 0.2, 0.3])


def test_models(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["gpt-4o-mini"]


def test_errors_are_the_sdks_exceptions(fake: OpenAIFake, client: openai.OpenAI) -> None:
    fake.script(fake.error(429, "Rate limit reached", "requests", "rate_limit_exceeded"))
    with pytest.raises(openai.RateLimitError) as limited:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert limited.value.code == "rate_limit_exceeded"
    wrong = openai.OpenAI(api_key="sk-wrong", base_url=fake.url + "/v1", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        wrong.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
