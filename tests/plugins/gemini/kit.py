"""The Gemini provider's conformance kit: its fake and how to read what was sent."""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal

from switchboard.testing.conformance import ProviderKit
from switchboard.testing.fakes import RecordedRequest, Reply
from switchboard.testing.fakes.gemini import GeminiFake
from switchboard_gemini import GeminiCredentials, GeminiProvider, GeminiSettings

__all__ = ["API_KEY", "GeminiKit"]

API_KEY = "AIzaSy-test-gemini-secret-123456"


class GeminiKit(ProviderKit):
    """Gemini through :class:`GeminiFake`."""

    model: ClassVar[str] = "gemini-2.5-flash"
    base_path: ClassVar[str] = "/v1beta"
    # responseMimeType: application/json is Gemini's JSON mode.
    supports_json_mode: ClassVar[bool] = True

    def __init__(self) -> None:
        self.provider = GeminiProvider()
        self.fake: GeminiFake = GeminiFake(api_key=API_KEY, model=self.model)

    def settings(self, base_url: str) -> Any:
        return GeminiSettings(base_url=base_url + self.base_path)

    def credentials(self) -> Any:
        return GeminiCredentials(api_key=API_KEY)

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
        return self.fake.answer(
            text,
            prompt_tokens=prompt_tokens,
            candidates_tokens=completion_tokens,
            finish_reason="STOP" if finish == "stop" else "MAX_TOKENS",
            headers=headers,
        )

    def tool_call_reply(self, *, call_id: str, name: str, arguments: dict[str, Any]) -> Reply:
        # Gemini names no call ids on this API; the provider makes its own.
        return self.fake.answer(parts=[self.fake.function_call_part(name, arguments)])

    def stream_reply(
        self,
        pieces: list[str],
        *,
        prompt_tokens: int,
        completion_tokens: int,
        cut_after: int | None = None,
    ) -> Reply:
        return self.fake.text_stream(
            pieces,
            prompt_tokens=prompt_tokens,
            candidates_tokens=completion_tokens,
            cut_after=cut_after,
        )

    def stream_tool_call_reply(
        self, *, call_id: str, name: str, argument_pieces: list[str]
    ) -> Reply:
        # Gemini sends a call whole, in one event, with the reason on it.
        arguments = json.loads("".join(argument_pieces))
        fake = self.fake
        return fake.stream(
            [
                fake.response(
                    parts=[fake.function_call_part(name, arguments)], usage=fake.usage(20, 10)
                )
            ]
        )

    def error_reply(self, status: int, message: str, *, retry_after: float | None = None) -> Reply:
        delay = f"{retry_after:g}s" if retry_after is not None else None
        return self.fake.error(status, message, retry_delay=delay)

    # -- what was sent -----------------------------------------------------------------------

    def sent_model(self, request: RecordedRequest) -> str:
        prefix = f"{self.base_path}/models/"
        assert request.path.startswith(prefix), request.path
        model, _, method = request.path.removeprefix(prefix).partition(":")
        assert method in ("generateContent", "streamGenerateContent"), method
        return model

    def sent_system(self, request: RecordedRequest) -> str | None:
        instruction = request.json.get("systemInstruction")
        if instruction is None:
            return None
        return "".join(part.get("text", "") for part in instruction["parts"])

    def sent_turns(self, request: RecordedRequest) -> list[tuple[str, str]]:
        roles = {"user": "user", "model": "assistant"}
        turns = []
        for content in request.json["contents"]:
            texts = [p["text"] for p in content["parts"] if "text" in p]
            if texts:
                turns.append((roles[content["role"]], "".join(texts)))
        return turns

    def sent_max_tokens(self, request: RecordedRequest) -> int | None:
        value = request.json.get("generationConfig", {}).get("maxOutputTokens")
        return int(value) if value is not None else None

    def sent_stop(self, request: RecordedRequest) -> list[str]:
        return list(request.json.get("generationConfig", {}).get("stopSequences", []))

    def sent_tool_names(self, request: RecordedRequest) -> list[str]:
        return [
            declaration["name"]
            for tool in request.json.get("tools", [])
            for declaration in tool.get("functionDeclarations", [])
        ]

    def _parts(self, request: RecordedRequest) -> list[dict[str, Any]]:
        return [part for content in request.json["contents"] for part in content["parts"]]

    def sent_tool_call(self, request: RecordedRequest) -> tuple[str, str, dict[str, Any]] | None:
        for part in self._parts(request):
            if "functionCall" in part:
                call = part["functionCall"]
                return call.get("id", ""), call["name"], call.get("args", {})
        return None

    def sent_tool_result(self, request: RecordedRequest) -> tuple[str, str] | None:
        for part in self._parts(request):
            if "functionResponse" in part:
                response = part["functionResponse"]
                return response.get("id", ""), response["response"]["output"]
        return None

    def sent_image(self, request: RecordedRequest) -> bool:
        return any(
            part.get("inlineData", {}).get("mimeType") == "image/png"
            and part["inlineData"].get("data")
            for part in self._parts(request)
        )

    def sent_json_mode(self, request: RecordedRequest) -> bool:
        config = request.json.get("generationConfig", {})
        return bool(config.get("responseMimeType") == "application/json")
