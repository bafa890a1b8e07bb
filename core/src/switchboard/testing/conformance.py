"""The conformance suite every provider plugin passes against its fake server.

A provider plugin supplies a :class:`ProviderKit`: its provider, its fake, how to script
native answers and how to read back what it sent. Its test module then subclasses
:class:`ProviderConformance`::

    class TestOpenAIConformance(ProviderConformance):
        @pytest.fixture
        def kit(self) -> Iterator[ProviderKit]:
            with OpenAIKit() as kit:
                yield kit

The suite sends the gateway's OpenAI-shaped requests through the provider and checks the
answers — each one validated against OpenAI's published schema — and the native requests:
plain text, multi-turn with a system prompt, tools and tool results, images, JSON mode,
stop sequences and max tokens, streaming with usage at the end, discovered rate limits, and
every failure class (400, 401, 429 with retry-after, 500, 503, timeout, refused connection,
malformed body, a stream cut mid-way), and that a stream closed or cancelled by the gateway
closes the provider's connection at once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import time
from typing import Any

import msgspec
import pytest

from switchboard.dataplane.openai_types import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    ChatMessage,
    ContentPart,
    FunctionCall,
    FunctionDefinition,
    Tool,
    ToolCall,
)
from switchboard.interfaces import ProviderCall, ProviderError
from switchboard.interfaces.provider import DiscoveredLimits, Timeouts
from switchboard.testing.openai_schema import validate
from switchboard.testing.provider_kit import ProviderKit

__all__ = ["TINY_PNG_DATA_URL", "ProviderConformance", "ProviderKit"]

# A 1x1 transparent PNG.
TINY_PNG_DATA_URL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAA"
    "YAAjCB0C8AAAAASUVORK5CYII="
)

WEATHER_TOOL = Tool(
    function=FunctionDefinition(
        name="get_weather",
        description="The weather in a city.",
        parameters={
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    )
)


def _encode(value: msgspec.Struct) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(msgspec.json.encode(value))
    return decoded


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.asyncio
class ProviderConformance:
    """The shared tests; subclasses provide a ``kit`` fixture yielding a started kit."""

    @pytest.fixture
    async def http(self) -> Any:
        from switchboard.http_client import HttpClient

        async with HttpClient() as session:
            yield session

    def call(
        self,
        kit: ProviderKit,
        http: Any,
        request: ChatCompletionRequest,
        *,
        base_url: str | None = None,
        timeouts: Timeouts | None = None,
    ) -> ProviderCall:
        """A call of ``request`` through the kit's provider to its fake."""
        return ProviderCall(
            request_id="req-conformance",
            connection_id="conn-1",
            connection_name="conformance",
            model=kit.model,
            request=request,
            settings=kit.settings(base_url or kit.fake.url),
            credentials=kit.credentials(),
            timeouts=timeouts or Timeouts(connect=2, first_byte=5, total=10),
            http=http,
        )

    @staticmethod
    def ask(*messages: ChatMessage, **fields: Any) -> ChatCompletionRequest:
        return ChatCompletionRequest(model="resource", messages=list(messages), **fields)

    async def complete(
        self, kit: ProviderKit, http: Any, request: ChatCompletionRequest
    ) -> tuple[ChatCompletion, ProviderCall]:
        call = self.call(kit, http, request)
        answer = await kit.provider.complete(call)
        validate("CreateChatCompletionResponse", _encode(answer))
        return answer, call

    async def stream(
        self, kit: ProviderKit, http: Any, request: ChatCompletionRequest
    ) -> list[ChatCompletionChunk]:
        call = self.call(kit, http, request)
        chunks = [chunk async for chunk in kit.provider.stream(call)]
        for chunk in chunks:
            validate("CreateChatCompletionStreamResponse", _encode(chunk))
        assert chunks, "the stream yielded nothing"
        assert len({c.id for c in chunks}) == 1, "every chunk of a stream has the same id"
        return chunks

    # -- answers -------------------------------------------------------------------------------

    async def test_plain_text(self, kit: ProviderKit, http: Any) -> None:
        kit.fake.script(kit.text_reply("Hello there!", prompt_tokens=12, completion_tokens=3))
        answer, _ = await self.complete(kit, http, self.ask(ChatMessage(role="user", content="Hi")))
        choice = answer.choices[0]
        assert (choice.message.role, choice.message.content) == ("assistant", "Hello there!")
        assert choice.finish_reason == "stop"
        assert answer.usage is not msgspec.UNSET
        assert (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (12, 3)
        assert answer.usage.total_tokens == 15
        sent = kit.fake.last
        assert kit.sent_model(sent) == kit.model
        assert kit.sent_turns(sent) == [("user", "Hi")]

    async def test_system_prompt_and_multi_turn(self, kit: ProviderKit, http: Any) -> None:
        kit.fake.script(kit.text_reply("Paris.", prompt_tokens=30, completion_tokens=2))
        await self.complete(
            kit,
            http,
            self.ask(
                ChatMessage(role="system", content="Be brief."),
                ChatMessage(role="user", content="Capital of Italy?"),
                ChatMessage(role="assistant", content="Rome."),
                ChatMessage(role="user", content="And France?"),
            ),
        )
        sent = kit.fake.last
        assert kit.sent_system(sent) == "Be brief."
        assert kit.sent_turns(sent) == [
            ("user", "Capital of Italy?"),
            ("assistant", "Rome."),
            ("user", "And France?"),
        ]

    async def test_tools_are_offered_and_calls_come_back(self, kit: ProviderKit, http: Any) -> None:
        kit.fake.script(
            kit.tool_call_reply(call_id="call_1", name="get_weather", arguments={"city": "Paris"})
        )
        answer, _ = await self.complete(
            kit,
            http,
            self.ask(
                ChatMessage(role="user", content="Weather in Paris?"),
                tools=[WEATHER_TOOL],
                tool_choice="auto",
            ),
        )
        assert kit.sent_tool_names(kit.fake.last) == ["get_weather"]
        choice = answer.choices[0]
        assert choice.finish_reason == "tool_calls"
        assert isinstance(choice.message.tool_calls, list)
        (tool_call,) = choice.message.tool_calls
        assert isinstance(tool_call.function, FunctionCall)
        assert tool_call.function.name == "get_weather"
        assert isinstance(tool_call.function.arguments, str)
        assert json.loads(tool_call.function.arguments) == {"city": "Paris"}
        assert isinstance(tool_call.id, str) and tool_call.id

    async def test_tool_results_reach_the_provider(self, kit: ProviderKit, http: Any) -> None:
        kit.fake.script(kit.text_reply("It is 18C.", prompt_tokens=40, completion_tokens=5))
        await self.complete(
            kit,
            http,
            self.ask(
                ChatMessage(role="user", content="Weather in Paris?"),
                ChatMessage(
                    role="assistant",
                    content=None,
                    tool_calls=[
                        ToolCall(
                            id="call_1",
                            type="function",
                            function=FunctionCall(name="get_weather", arguments='{"city":"Paris"}'),
                        )
                    ],
                ),
                ChatMessage(role="tool", tool_call_id="call_1", content="18C"),
                tools=[WEATHER_TOOL],
            ),
        )
        sent = kit.fake.last
        assert kit.sent_tool_call(sent) == ("call_1", "get_weather", {"city": "Paris"})
        assert kit.sent_tool_result(sent) == ("call_1", "18C")

    async def test_images_are_sent(self, kit: ProviderKit, http: Any) -> None:
        kit.fake.script(kit.text_reply("A dot.", prompt_tokens=90, completion_tokens=2))
        await self.complete(
            kit,
            http,
            self.ask(
                ChatMessage(
                    role="user",
                    content=[
                        ContentPart(type="text", text="What is this?"),
                        ContentPart(type="image_url", image_url={"url": TINY_PNG_DATA_URL}),
                    ],
                )
            ),
        )
        assert kit.sent_image(kit.fake.last)

    async def test_json_mode_is_sent_or_reported_as_dropped(
        self, kit: ProviderKit, http: Any
    ) -> None:
        kit.fake.script(kit.text_reply('{"ok": true}', prompt_tokens=10, completion_tokens=4))
        _, call = await self.complete(
            kit,
            http,
            self.ask(
                ChatMessage(role="user", content="Answer in JSON."),
                response_format={"type": "json_object"},
            ),
        )
        if kit.supports_json_mode:
            assert kit.sent_json_mode(kit.fake.last)
        else:
            assert "response_format" in call.dropped_params

    async def test_stop_sequences_and_max_tokens(self, kit: ProviderKit, http: Any) -> None:
        kit.fake.script(
            kit.text_reply("One two", prompt_tokens=8, completion_tokens=50, finish="length")
        )
        answer, _ = await self.complete(
            kit,
            http,
            self.ask(ChatMessage(role="user", content="Count."), stop=["END"], max_tokens=50),
        )
        sent = kit.fake.last
        assert kit.sent_stop(sent) == ["END"]
        assert kit.sent_max_tokens(sent) == 50
        assert answer.choices[0].finish_reason == "length"

    async def test_unknown_or_untranslatable_parameters_are_reported(
        self, kit: ProviderKit, http: Any
    ) -> None:
        kit.fake.script(kit.text_reply("ok", prompt_tokens=5, completion_tokens=1))
        _, call = await self.complete(
            kit, http, self.ask(ChatMessage(role="user", content="Hi"), logit_bias={"50256": -100})
        )
        if "logit_bias" not in call.dropped_params:
            assert "logit_bias" in kit.fake.last.body.decode()

    async def test_rate_limit_headers_become_discovered_capacity(
        self, kit: ProviderKit, http: Any
    ) -> None:
        headers = kit.rate_limit_headers()
        if headers is None:
            pytest.skip(f"{kit.provider.name} announces no rate limits in headers")
        kit.fake.script(kit.text_reply("ok", prompt_tokens=5, completion_tokens=1, headers=headers))
        _, call = await self.complete(kit, http, self.ask(ChatMessage(role="user", content="Hi")))
        assert isinstance(call.discovered, DiscoveredLimits)
        assert (call.discovered.requests_limit, call.discovered.requests_remaining) == (100, 99)
        assert (call.discovered.tokens_limit, call.discovered.tokens_remaining) == (5000, 4900)

    # -- streams -------------------------------------------------------------------------------

    async def test_stream_text_with_usage_at_the_end(self, kit: ProviderKit, http: Any) -> None:
        kit.fake.script(
            kit.stream_reply(["Hel", "lo", " world"], prompt_tokens=9, completion_tokens=3)
        )
        chunks = await self.stream(
            kit, http, self.ask(ChatMessage(role="user", content="Hi"), stream=True)
        )
        text = "".join(
            c.choices[0].delta.content
            for c in chunks
            if c.choices and isinstance(c.choices[0].delta.content, str)
        )
        assert text == "Hello world"
        finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
        assert finishes[-1] == "stop"
        assert all(f is None for f in finishes[:-1])
        usage = chunks[-1].usage
        assert usage is not None and usage is not msgspec.UNSET
        assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (9, 3, 12)

    async def test_stream_tool_call(self, kit: ProviderKit, http: Any) -> None:
        kit.fake.script(
            kit.stream_tool_call_reply(
                call_id="call_7", name="get_weather", argument_pieces=['{"ci', 'ty": "Par', 'is"}']
            )
        )
        chunks = await self.stream(
            kit,
            http,
            self.ask(
                ChatMessage(role="user", content="Weather?"), tools=[WEATHER_TOOL], stream=True
            ),
        )
        names, arguments = [], ""
        for chunk in chunks:
            for choice in chunk.choices:
                for fragment in choice.delta.tool_calls or []:
                    assert fragment.index == 0
                    if isinstance(fragment.function, FunctionCall):
                        if isinstance(fragment.function.name, str):
                            names.append(fragment.function.name)
                        if isinstance(fragment.function.arguments, str):
                            arguments += fragment.function.arguments
        assert names == ["get_weather"]
        assert json.loads(arguments) == {"city": "Paris"}
        assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"

    def slow_stream(self, kit: ProviderKit, http: Any) -> Any:
        """A stream of 100 pieces, one every 100 ms (10 s in all), started."""
        reply = kit.stream_reply(
            [f"piece {i} " for i in range(100)], prompt_tokens=10, completion_tokens=200
        )
        kit.fake.script(dataclasses.replace(reply, event_delay=0.1))
        call = self.call(kit, http, self.ask(ChatMessage(role="user", content="Hi"), stream=True))
        return kit.provider.stream(call)

    async def test_closing_a_stream_early_closes_the_connection(
        self, kit: ProviderKit, http: Any
    ) -> None:
        # What the gateway does when its client leaves between two chunks.
        chunks = self.slow_stream(kit, http)
        await anext(chunks)
        await anext(chunks)
        closed = time.monotonic()
        await chunks.aclose()
        abandoned = await asyncio.to_thread(kit.fake.wait_abandoned, 5.0)
        assert abandoned.closed_at - closed < 1.0
        assert abandoned.events_written < 50

    async def test_cancelling_a_stream_read_closes_the_connection(
        self, kit: ProviderKit, http: Any
    ) -> None:
        # What the gateway does when its client leaves while the next chunk is awaited.
        chunks = self.slow_stream(kit, http)
        await anext(chunks)
        waiting = asyncio.ensure_future(anext(chunks))
        await asyncio.sleep(0.01)  # the read is under way (the next piece is 100 ms off)
        closed = time.monotonic()
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        abandoned = await asyncio.to_thread(kit.fake.wait_abandoned, 5.0)
        assert abandoned.closed_at - closed < 1.0
        assert abandoned.events_written < 50

    async def test_stream_cut_mid_way_is_a_network_error(self, kit: ProviderKit, http: Any) -> None:
        kit.fake.script(
            kit.stream_reply(
                ["a", "b", "c", "d"], prompt_tokens=1, completion_tokens=4, cut_after=2
            )
        )
        call = self.call(kit, http, self.ask(ChatMessage(role="user", content="Hi"), stream=True))
        with pytest.raises(ProviderError) as failed:
            async for _ in kit.provider.stream(call):
                pass
        assert failed.value.error_class in ("network", "server_error")

    # -- failures ------------------------------------------------------------------------------

    @pytest.mark.parametrize(
        ("status", "error_class"),
        [
            (400, "bad_request"),
            (401, "auth"),
            (404, "not_found"),
            (429, "rate_limit"),
            (500, "server_error"),
            (503, "server_error"),
        ],
    )
    async def test_errors_map_to_the_gateways_classes(
        self, kit: ProviderKit, http: Any, status: int, error_class: str
    ) -> None:
        retry_after = 7.0 if status == 429 else None
        kit.fake.script(kit.error_reply(status, "the provider says no", retry_after=retry_after))
        call = self.call(kit, http, self.ask(ChatMessage(role="user", content="Hi")))
        with pytest.raises(ProviderError) as failed:
            await kit.provider.complete(call)
        error = failed.value
        assert (error.error_class, error.status) == (error_class, status)
        assert "the provider says no" in error.message
        if retry_after is not None:
            assert error.retry_after == retry_after

    async def test_overloaded_statuses_are_server_errors(self, kit: ProviderKit, http: Any) -> None:
        for status in kit.extra_server_error_statuses:
            kit.fake.script(kit.error_reply(status, "overloaded"))
            call = self.call(kit, http, self.ask(ChatMessage(role="user", content="Hi")))
            with pytest.raises(ProviderError) as failed:
                await kit.provider.complete(call)
            assert failed.value.error_class == "server_error"

    async def test_errors_in_streams_map_too(self, kit: ProviderKit, http: Any) -> None:
        kit.fake.script(kit.error_reply(429, "slow down", retry_after=3))
        call = self.call(kit, http, self.ask(ChatMessage(role="user", content="Hi"), stream=True))
        with pytest.raises(ProviderError) as failed:
            async for _ in kit.provider.stream(call):
                pass
        assert (failed.value.error_class, failed.value.retry_after) == ("rate_limit", 3.0)

    async def test_a_slow_provider_times_out(self, kit: ProviderKit, http: Any) -> None:
        reply = kit.text_reply("late", prompt_tokens=1, completion_tokens=1)
        reply.delay = 2.0
        kit.fake.script(reply)
        call = self.call(
            kit,
            http,
            self.ask(ChatMessage(role="user", content="Hi")),
            timeouts=Timeouts(connect=1, first_byte=0.3, total=5),
        )
        with pytest.raises(ProviderError) as failed:
            await kit.provider.complete(call)
        assert failed.value.error_class == "timeout"

    async def test_a_refused_connection_is_a_network_error(
        self, kit: ProviderKit, http: Any
    ) -> None:
        call = self.call(
            kit,
            http,
            self.ask(ChatMessage(role="user", content="Hi")),
            base_url=f"http://127.0.0.1:{_closed_port()}",
        )
        with pytest.raises(ProviderError) as failed:
            await kit.provider.complete(call)
        assert failed.value.error_class == "network"

    async def test_a_malformed_body_is_a_server_error(self, kit: ProviderKit, http: Any) -> None:
        kit.fake.script(kit.malformed_reply())
        call = self.call(kit, http, self.ask(ChatMessage(role="user", content="Hi")))
        with pytest.raises(ProviderError) as failed:
            await kit.provider.complete(call)
        assert failed.value.error_class == "server_error"

    async def test_credentials_never_appear_in_errors(self, kit: ProviderKit, http: Any) -> None:
        kit.fake.script(kit.error_reply(401, "invalid key"))
        call = self.call(kit, http, self.ask(ChatMessage(role="user", content="Hi")))
        with pytest.raises(ProviderError) as failed:
            await kit.provider.complete(call)
        secrets = [
            v
            for v in msgspec.to_builtins(kit.credentials()).values()
            if isinstance(v, str) and len(v) > 6
        ]
        for secret in secrets:
            assert secret not in str(failed.value) and secret not in repr(failed.value)
