"""The Anthropic provider's conformance kit: its fake and how to read what was sent."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from switchboard.testing.conformance import TINY_PNG_DATA_URL, ProviderKit
from switchboard.testing.fakes import RecordedRequest, Reply
from switchboard.testing.fakes.anthropic import AnthropicFake
from switchboard_anthropic import AnthropicCredentials, AnthropicProvider, AnthropicSettings

__all__ = ["API_KEY", "AnthropicKit"]

API_KEY = "sk-ant-test-anthropic-secret-123456"
#: The base64 payload of the suite's image.
TINY_PNG = TINY_PNG_DATA_URL.partition(",")[2]


class AnthropicKit(ProviderKit):
    """Anthropic through :class:`AnthropicFake`."""

    model: ClassVar[str] = "claude-haiku-4-5"
    # Anthropic has structured outputs (json_schema) but no JSON-object mode.
    supports_json_mode: ClassVar[bool] = False
    extra_server_error_statuses: ClassVar[tuple[int, ...]] = (529,)

    def __init__(self) -> None:
        self.provider = AnthropicProvider()
        self.fake: AnthropicFake = AnthropicFake(api_key=API_KEY, model=self.model)

    def settings(self, base_url: str) -> Any:
        return AnthropicSettings(base_url=base_url)

    def credentials(self) -> Any:
        return AnthropicCredentials(api_key=API_KEY)

    # -- answers -------------------------------------------------------------------------------

    def text_reply(
        self,
        text: str,
        *,
        prompt_tokens: int,
        completion_tokens: int,
        finish: Literal["stop", "length"] = "stop",
        headers: dict[str, str] | None = None,
    ) -> Reply:
        return self.fake.text(
            text,
            input_tokens=prompt_tokens,
            output_tokens=completion_tokens,
            stop_reason="end_turn" if finish == "stop" else "max_tokens",
            headers=headers,
        )

    def tool_call_reply(self, *, call_id: str, name: str, arguments: dict[str, Any]) -> Reply:
        # Anthropic's ids are toolu_...; the suite's call_... ids match the same pattern.
        return self.fake.tool_use(call_id, name, arguments)

    def stream_reply(
        self,
        pieces: list[str],
        *,
        prompt_tokens: int,
        completion_tokens: int,
        cut_after: int | None = None,
    ) -> Reply:
        return self.fake.stream_text(
            pieces, input_tokens=prompt_tokens, output_tokens=completion_tokens, cut_after=cut_after
        )

    def stream_tool_call_reply(
        self, *, call_id: str, name: str, argument_pieces: list[str]
    ) -> Reply:
        # A text block first, so the tool call is content block 1 but OpenAI tool call 0.
        return self.fake.stream_tool_use(call_id, name, argument_pieces, text="Let me check.")

    def error_reply(self, status: int, message: str, *, retry_after: float | None = None) -> Reply:
        headers = {"retry-after": str(int(retry_after))} if retry_after is not None else {}
        return self.fake.error(status, message, headers=headers)

    def rate_limit_headers(self) -> dict[str, str] | None:
        return self.fake.rate_limit_headers(
            requests_limit=100, requests_remaining=99, tokens_limit=5000, tokens_remaining=4900
        )

    # -- what was sent -----------------------------------------------------------------------

    def sent_model(self, request: RecordedRequest) -> str:
        assert (request.method, request.path) == ("POST", "/v1/messages")
        assert request.header("x-api-key") == API_KEY
        assert request.header("anthropic-version") == "2026-10-21"
        return str(request.json["model"])

    def sent_system(self, request: RecordedRequest) -> str | None:
        system = request.json.get("system")
        if system is None or isinstance(system, str):
            return system
        return "\n".join(block["text"] for block in system)

    def sent_turns(self, request: RecordedRequest) -> list[tuple[str, str]]:
        turns = []
        for message in request.json["messages"]:
            texts = [b["text"] for b in message["content"] if b["type"] == "text"]
            if texts:
                turns.append((message["role"], "".join(texts)))
        return turns

    def sent_max_tokens(self, request: RecordedRequest) -> int | None:
        return int(request.json["max_tokens"])

    def sent_stop(self, request: RecordedRequest) -> list[str]:
        return list(request.json.get("stop_sequences", []))

    def sent_tool_names(self, request: RecordedRequest) -> list[str]:
        return [tool["name"] for tool in request.json.get("tools", [])]

    def sent_tool_call(self, request: RecordedRequest) -> tuple[str, str, dict[str, Any]] | None:
        for message in request.json["messages"]:
            for block in message["content"]:
                if message["role"] == "assistant" and block["type"] == "tool_use":
                    return block["id"], block["name"], block["input"]
        return None

    def sent_tool_result(self, request: RecordedRequest) -> tuple[str, str] | None:
        for message in request.json["messages"]:
            for block in message["content"]:
                if message["role"] == "user" and block["type"] == "tool_result":
                    content = block.get("content", "")
                    if isinstance(content, list):
                        content = "".join(part["text"] for part in content)
                    return block["tool_use_id"], content
        return None

    def sent_image(self, request: RecordedRequest) -> bool:
        return any(
            block["type"] == "image"
            and block["source"] == {"type": "base64", "media_type": "image/png", "data": TINY_PNG}
            for message in request.json["messages"]
            for block in message["content"]
        )
