"""The OpenAI provider's conformance kit: its fake and how to read what was sent."""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal

from switchboard.testing.conformance import ProviderKit
from switchboard.testing.fakes import RecordedRequest, Reply
from switchboard.testing.fakes.openai import OpenAIFake
from switchboard_openai import OpenAICredentials, OpenAIProvider, OpenAISettings

__all__ = ["OpenAIKit"]

API_KEY = "sk-test-openai-secret-123456"


class OpenAIKit(ProviderKit):
    """OpenAI through :class:`OpenAIFake`."""

    model: ClassVar[str] = "gpt-4o-mini"
    base_path: ClassVar[str] = "/v1"

    def __init__(self) -> None:
        self.provider = self.make_provider()
        self.fake: OpenAIFake = OpenAIFake(api_key=API_KEY, model=self.model)

    def make_provider(self) -> OpenAIProvider:
        return OpenAIProvider()

    def settings(self, base_url: str) -> Any:
        return OpenAISettings(base_url=base_url + self.base_path)

    def credentials(self) -> Any:
        return OpenAICredentials(api_key=API_KEY)

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
        return self.fake.completion(
            text,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            finish_reason=finish,
            headers=headers,
        )

    def tool_call_reply(self, *, call_id: str, name: str, arguments: dict[str, Any]) -> Reply:
        return self.fake.completion(
            None,
            finish_reason="tool_calls",
            tool_calls=[
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(arguments)},
                }
            ],
        )

    def stream_reply(
        self,
        pieces: list[str],
        *,
        prompt_tokens: int,
        completion_tokens: int,
        cut_after: int | None = None,
    ) -> Reply:
        fake = self.fake
        payloads = [fake.chunk({"role": "assistant", "content": ""})]
        payloads += [fake.chunk({"content": piece}) for piece in pieces]
        payloads.append(fake.chunk({}, finish_reason="stop"))
        payloads.append(fake.usage_chunk(prompt_tokens, completion_tokens))
        return fake.stream(payloads, cut_after=cut_after)

    def stream_tool_call_reply(
        self, *, call_id: str, name: str, argument_pieces: list[str]
    ) -> Reply:
        fake = self.fake
        first = {
            "index": 0,
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": ""},
        }
        payloads = [fake.chunk({"role": "assistant", "content": None, "tool_calls": [first]})]
        payloads += [
            fake.chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
            for piece in argument_pieces
        ]
        payloads.append(fake.chunk({}, finish_reason="tool_calls"))
        payloads.append(fake.usage_chunk(20, 10))
        return fake.stream(payloads)

    def error_reply(self, status: int, message: str, *, retry_after: float | None = None) -> Reply:
        headers = {"retry-after": str(int(retry_after))} if retry_after is not None else {}
        return self.fake.error(status, message, headers=headers)

    def rate_limit_headers(self) -> dict[str, str] | None:
        return {
            "x-ratelimit-limit-requests": "100",
            "x-ratelimit-remaining-requests": "99",
            "x-ratelimit-reset-requests": "600ms",
            "x-ratelimit-limit-tokens": "5000",
            "x-ratelimit-remaining-tokens": "4900",
            "x-ratelimit-reset-tokens": "1m12s",
        }

    # -- what was sent -----------------------------------------------------------------------

    def sent_model(self, request: RecordedRequest) -> str:
        assert request.path == f"{self.base_path}/chat/completions"
        return str(request.json["model"])

    def sent_system(self, request: RecordedRequest) -> str | None:
        for message in request.json["messages"]:
            if message["role"] in ("system", "developer"):
                return str(message["content"])
        return None

    def sent_turns(self, request: RecordedRequest) -> list[tuple[str, str]]:
        return [
            (m["role"], m["content"])
            for m in request.json["messages"]
            if m["role"] in ("user", "assistant") and isinstance(m.get("content"), str)
        ]

    def sent_max_tokens(self, request: RecordedRequest) -> int | None:
        body = request.json
        value = body.get("max_completion_tokens", body.get("max_tokens"))
        return int(value) if value is not None else None

    def sent_stop(self, request: RecordedRequest) -> list[str]:
        stop = request.json.get("stop")
        return [stop] if isinstance(stop, str) else list(stop or [])

    def sent_tool_names(self, request: RecordedRequest) -> list[str]:
        return [t["function"]["name"] for t in request.json.get("tools", [])]

    def sent_tool_call(self, request: RecordedRequest) -> tuple[str, str, dict[str, Any]] | None:
        for message in request.json["messages"]:
            for call in message.get("tool_calls") or []:
                function = call["function"]
                return call["id"], function["name"], json.loads(function["arguments"])
        return None

    def sent_tool_result(self, request: RecordedRequest) -> tuple[str, str] | None:
        for message in request.json["messages"]:
            if message["role"] == "tool":
                return message["tool_call_id"], message["content"]
        return None

    def sent_image(self, request: RecordedRequest) -> bool:
        return any(
            part.get("type") == "image_url"
            for m in request.json["messages"]
            if isinstance(m.get("content"), list)
            for part in m["content"]
        )

    def sent_json_mode(self, request: RecordedRequest) -> bool:
        return bool(request.json.get("response_format") == {"type": "json_object"})
