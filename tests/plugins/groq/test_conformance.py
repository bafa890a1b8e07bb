"""The Groq provider passes the conformance suite against the OpenAI-format fake at
Groq's paths, and adapts what Groq refuses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from switchboard.dataplane.openai_types import ChatCompletionRequest, ChatMessage
from switchboard.http_client import HttpClient
from switchboard.testing.conformance import ProviderConformance, ProviderKit
from switchboard_groq import GroqProvider, GroqSettings
from switchboard_openai import OpenAICredentials
from tests.plugins.openai.kit import API_KEY, OpenAIKit


class GroqKit(OpenAIKit):
    """Groq's OpenAI wire format under ``/openai/v1``."""

    model: ClassVar[str] = "llama-3.3-70b-versatile"
    base_path: ClassVar[str] = "/openai/v1"

    def make_provider(self) -> Any:
        return GroqProvider()

    def settings(self, base_url: str) -> Any:
        return GroqSettings(base_url=base_url + self.base_path)

    def credentials(self) -> Any:
        return OpenAICredentials(api_key=API_KEY)


class TestGroqConformance(ProviderConformance):
    @pytest.fixture
    def kit(self) -> Iterator[ProviderKit]:
        with GroqKit() as kit:
            yield kit


async def test_unsupported_parameters_are_dropped_and_reported() -> None:
    with GroqKit() as kit:
        kit.fake.script(kit.text_reply("ok", prompt_tokens=3, completion_tokens=1))
        async with HttpClient() as http:
            call = TestGroqConformance().call(
                kit,
                http,
                ChatCompletionRequest(
                    model="r",
                    messages=[ChatMessage(role="user", content="Hi")],
                    logprobs=True,
                    presence_penalty=0.5,
                    n=2,
                    temperature=0.2,
                ),
            )
            await kit.provider.complete(call)
        sent = kit.fake.last.json
    assert call.dropped_params == ["logprobs", "presence_penalty", "n"]
    assert "logprobs" not in sent and "presence_penalty" not in sent and "n" not in sent
    assert sent["temperature"] == 0.2


async def test_request_limits_are_per_day_at_groq() -> None:
    with GroqKit() as kit:
        headers = kit.rate_limit_headers()
        assert headers is not None
        kit.fake.script(kit.text_reply("ok", prompt_tokens=3, completion_tokens=1, headers=headers))
        async with HttpClient() as http:
            call = TestGroqConformance().call(
                kit,
                http,
                ChatCompletionRequest(model="r", messages=[ChatMessage(role="user", content="Hi")]),
            )
            await kit.provider.complete(call)
    assert call.discovered is not None
    assert (call.discovered.requests_period, call.discovered.tokens_period) == ("day", "minute")
