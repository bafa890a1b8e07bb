"""The Bedrock provider's conformance kit: its fake and how to read what was sent."""

from __future__ import annotations

import base64
import json
from typing import Any, ClassVar, Literal

from switchboard.testing.conformance import ProviderKit
from switchboard.testing.fakes import RecordedRequest, Reply
from switchboard.testing.fakes.bedrock import BedrockFake, model_of
from switchboard_bedrock import BedrockCredentials, BedrockProvider, BedrockSettings

__all__ = ["ACCESS_KEY_ID", "REGION", "SECRET_ACCESS_KEY", "BedrockKit", "upstream_fields"]

ACCESS_KEY_ID = "AKIATESTBEDROCK12345"
SECRET_ACCESS_KEY = "test-bedrock-secret-0123456789abcdef"
REGION = "eu-west-3"

# Bedrock's exception for each status the suite asks about (401 is not one Bedrock uses:
# bad credentials are a 403, but the suite checks that any 401 is an auth failure too).
_EXCEPTIONS = {
    400: "ValidationException",
    401: "UnrecognizedClientException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    408: "ModelTimeoutException",
    424: "ModelErrorException",
    429: "ThrottlingException",
    500: "InternalServerException",
    503: "ServiceUnavailableException",
}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def upstream_fields(
    url: str,
    http: Any,
    *,
    model: str = "anthropic.claude-3-5-haiku-20241022-v1:0",
    sts_url: str | None = None,
    credentials: BedrockCredentials | None = None,
) -> dict[str, Any]:
    """What a ProviderCall or EmbeddingCall to the fake at ``url`` needs besides its request."""
    return {
        "request_id": "r",
        "connection_id": "conn-1",
        "connection_name": "bedrock",
        "model": model,
        "settings": BedrockSettings(
            region=REGION, endpoint_url=url, sts_endpoint_url=sts_url or url
        ),
        "credentials": credentials
        or BedrockCredentials(access_key_id=ACCESS_KEY_ID, secret_access_key=SECRET_ACCESS_KEY),
        "http": http,
    }


class BedrockKit(ProviderKit):
    """Bedrock through :class:`BedrockFake`, with a model id that needs percent-encoding."""

    model: ClassVar[str] = "anthropic.claude-3-5-haiku-20241022-v1:0"
    supports_json_mode: ClassVar[bool] = False

    def __init__(self) -> None:
        self.provider = BedrockProvider()
        self.fake: BedrockFake = BedrockFake(
            ACCESS_KEY_ID, SECRET_ACCESS_KEY, region=REGION, model=self.model
        )

    def settings(self, base_url: str) -> Any:
        return BedrockSettings(region=REGION, endpoint_url=base_url, sts_endpoint_url=base_url)

    def credentials(self) -> Any:
        return BedrockCredentials(access_key_id=ACCESS_KEY_ID, secret_access_key=SECRET_ACCESS_KEY)

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
        return self.fake.converse(
            text,
            stop_reason="end_turn" if finish == "stop" else "max_tokens",
            input_tokens=prompt_tokens,
            output_tokens=completion_tokens,
            headers=headers,
        )

    def tool_call_reply(self, *, call_id: str, name: str, arguments: dict[str, Any]) -> Reply:
        return self.fake.converse(
            None,
            tool_uses=[{"toolUseId": call_id, "name": name, "input": arguments}],
            stop_reason="tool_use",
        )

    def stream_reply(
        self,
        pieces: list[str],
        *,
        prompt_tokens: int,
        completion_tokens: int,
        cut_after: int | None = None,
    ) -> Reply:
        events = self.fake.text_events(
            pieces, input_tokens=prompt_tokens, output_tokens=completion_tokens
        )
        return self.fake.stream(events, cut_after=cut_after)

    def stream_tool_call_reply(
        self, *, call_id: str, name: str, argument_pieces: list[str]
    ) -> Reply:
        # A text block first, so the tool block is content block 1 but tool call 0.
        events = self.fake.tool_events(
            tool_use_id=call_id, name=name, input_pieces=argument_pieces, text="Let me check."
        )
        return self.fake.stream(events)

    def error_reply(self, status: int, message: str, *, retry_after: float | None = None) -> Reply:
        # Bedrock sends no retry-after; the suite's 429 carries one as a proxy might.
        headers = {"retry-after": str(int(retry_after))} if retry_after is not None else {}
        return self.fake.error(
            status, _EXCEPTIONS.get(status, "InternalServerException"), message, headers=headers
        )

    # -- what was sent -----------------------------------------------------------------------

    def sent_model(self, request: RecordedRequest) -> str:
        assert request.path.endswith(("/converse", "/converse-stream"))
        return model_of(request)

    def sent_system(self, request: RecordedRequest) -> str | None:
        blocks = request.json.get("system") or []
        return "\n".join(block["text"] for block in blocks) if blocks else None

    def sent_turns(self, request: RecordedRequest) -> list[tuple[str, str]]:
        turns = []
        for message in request.json["messages"]:
            texts = [block["text"] for block in message["content"] if "text" in block]
            if texts:
                turns.append((message["role"], "".join(texts)))
        return turns

    def sent_max_tokens(self, request: RecordedRequest) -> int | None:
        value = (request.json.get("inferenceConfig") or {}).get("maxTokens")
        return int(value) if value is not None else None

    def sent_stop(self, request: RecordedRequest) -> list[str]:
        return list((request.json.get("inferenceConfig") or {}).get("stopSequences") or [])

    def sent_tool_names(self, request: RecordedRequest) -> list[str]:
        tools = (request.json.get("toolConfig") or {}).get("tools") or []
        return [tool["toolSpec"]["name"] for tool in tools]

    def sent_tool_call(self, request: RecordedRequest) -> tuple[str, str, dict[str, Any]] | None:
        for message in request.json["messages"]:
            for block in message["content"]:
                if "toolUse" in block:
                    use = block["toolUse"]
                    return use["toolUseId"], use["name"], use["input"]
        return None

    def sent_tool_result(self, request: RecordedRequest) -> tuple[str, str] | None:
        for message in request.json["messages"]:
            for block in message["content"]:
                if "toolResult" in block:
                    result = block["toolResult"]
                    text = "".join(part.get("text", "") for part in result["content"])
                    return result["toolUseId"], text
        return None

    def sent_image(self, request: RecordedRequest) -> bool:
        for message in request.json["messages"]:
            for block in message["content"]:
                image = block.get("image")
                if image and image["format"] == "png":
                    return base64.b64decode(image["source"]["bytes"]).startswith(_PNG_SIGNATURE)
        return False

    def sent_json_mode(self, request: RecordedRequest) -> bool:
        return "outputConfig" in json.loads(request.body)
