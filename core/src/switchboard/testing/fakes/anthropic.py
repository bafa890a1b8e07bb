"""A fake Anthropic server: the Messages API as the official SDK and the real API see it.

Answers ``POST /v1/messages`` (a JSON ``message``, or with ``"stream": true`` named SSE events
from ``message_start`` to ``message_stop``), ``POST /v1/messages/count_tokens`` and
``GET /v1/models``; anything else is Anthropic's 404. Like the real API it takes the key as
``x-api-key`` or as ``Authorization: Bearer`` (what SDK 2.x sends), refuses a missing or
wrong key with its 401 ``authentication_error`` body, and a request without
``anthropic-version`` with its 400. Errors are ``{"type": "error", "error": {"type",
"message"}, "request_id"}``. Anthropic has no embeddings endpoint, so neither has the fake.

Builders make native bodies: :meth:`AnthropicFake.text`, :meth:`~AnthropicFake.tool_use`
and :meth:`~AnthropicFake.message` for whole answers; :meth:`~AnthropicFake.stream_text`,
:meth:`~AnthropicFake.stream_tool_use` and :meth:`~AnthropicFake.stream` (with the event
builders) for streams; :meth:`~AnthropicFake.error` and :meth:`~AnthropicFake.error_event`
for failures; :meth:`~AnthropicFake.rate_limit_headers` for ``anthropic-ratelimit-*``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from switchboard.testing.fakes.base import FakeServer, RecordedRequest, Reply

__all__ = ["ERROR_TYPES", "AnthropicFake", "sse"]

MESSAGE_ID = "msg_01FakeAnthropicMessage"
REQUEST_ID = "req_01FakeAnthropicRequest"

#: Anthropic's ``error.type`` for each status it answers with.
ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def sse(*events: dict[str, Any]) -> list[bytes]:
    """Named SSE frames, ``event: <type>`` then ``data: <json>``, as Anthropic streams them."""
    return [f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events]


class AnthropicFake(FakeServer):
    """Anthropic's Messages, token-counting and models endpoints."""

    def __init__(
        self, api_key: str = "sk-ant-fake-anthropic-key", model: str = "claude-haiku-4-5"
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.model = model
        self._refusal = self.error(401, "invalid x-api-key")

    # -- what the real API checks first -------------------------------------------------------

    def authorized(self, request: RecordedRequest) -> bool:
        key = request.header("x-api-key")
        bearer = request.header("authorization")
        if key is None and bearer is None:
            self._refusal = self.error(401, "x-api-key header is required")
        elif key != self.api_key and bearer != f"Bearer {self.api_key}":
            self._refusal = self.error(401, "invalid x-api-key")
        elif not request.header("anthropic-version"):
            self._refusal = self.error(400, "anthropic-version: header is required")
        else:
            return True
        # The base server asks for the refusal right after this check, in the same event-loop
        # step, so the refusal chosen here is the one answered.
        return False

    def unauthorized_reply(self) -> Reply:
        return self._refusal

    def default_reply(self, request: RecordedRequest) -> Reply:
        if request.method == "POST" and request.path == "/v1/messages":
            if request.json.get("stream"):
                return self.stream_text(["Hello from ", "the fake."])
            return self.text("Hello from the fake.")
        if request.method == "POST" and request.path == "/v1/messages/count_tokens":
            # Roughly four characters a token, as Anthropic's own rule of thumb.
            return Reply(json={"input_tokens": max(len(request.body) // 4, 1)})
        if request.method == "GET" and request.path == "/v1/models":
            return self.models([self.model])
        return self.error(404, "Not Found")

    # -- whole answers ----------------------------------------------------------------------------

    @staticmethod
    def usage(
        input_tokens: int,
        output_tokens: int,
        *,
        cache_creation: int = 0,
        cache_read: int = 0,
    ) -> dict[str, Any]:
        """A ``usage`` object; ``input_tokens`` excludes the cache reads and writes."""
        return {
            "input_tokens": input_tokens,
            "cache_creation_input_tokens": cache_creation,
            "cache_read_input_tokens": cache_read,
            "output_tokens": output_tokens,
            "cache_creation": {
                "ephemeral_5m_input_tokens": cache_creation,
                "ephemeral_1h_input_tokens": 0,
            },
            "service_tier": "standard",
        }

    def message(
        self,
        content: list[dict[str, Any]],
        *,
        stop_reason: str = "end_turn",
        stop_sequence: str | None = None,
        usage: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """A whole ``message`` made of ``content`` blocks."""
        return Reply(
            json={
                "id": MESSAGE_ID,
                "type": "message",
                "role": "assistant",
                "model": self.model,
                "content": content,
                "stop_reason": stop_reason,
                "stop_sequence": stop_sequence,
                "stop_details": None,
                "usage": usage or self.usage(10, 5),
            },
            headers={"request-id": REQUEST_ID, **(headers or {})},
        )

    def text(
        self,
        text: str,
        *,
        input_tokens: int = 10,
        output_tokens: int = 5,
        stop_reason: str = "end_turn",
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """A whole answer with one text block."""
        return self.message(
            [{"type": "text", "text": text}],
            stop_reason=stop_reason,
            usage=self.usage(input_tokens, output_tokens),
            headers=headers,
        )

    def tool_use(
        self,
        call_id: str,
        name: str,
        arguments: dict[str, Any],
        *,
        text: str | None = None,
        input_tokens: int = 20,
        output_tokens: int = 10,
    ) -> Reply:
        """A whole answer calling one tool, after an optional text block."""
        content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
        content.append({"type": "tool_use", "id": call_id, "name": name, "input": arguments})
        return self.message(
            content, stop_reason="tool_use", usage=self.usage(input_tokens, output_tokens)
        )

    @staticmethod
    def models(ids: list[str]) -> Reply:
        """A ``GET /v1/models`` page listing ``ids``."""
        return Reply(
            json={
                "data": [
                    {
                        "type": "model",
                        "id": model,
                        "display_name": model,
                        "created_at": "2026-01-01T00:00:00Z",
                    }
                    for model in ids
                ],
                "has_more": False,
                "first_id": ids[0] if ids else None,
                "last_id": ids[-1] if ids else None,
            }
        )

    # -- streams ------------------------------------------------------------------------------

    def message_start(
        self, input_tokens: int, *, cache_creation: int = 0, cache_read: int = 0
    ) -> dict[str, Any]:
        """``message_start``: an empty message with the input usage (output so far: 1)."""
        usage = self.usage(input_tokens, 1, cache_creation=cache_creation, cache_read=cache_read)
        return {
            "type": "message_start",
            "message": {
                "id": MESSAGE_ID,
                "type": "message",
                "role": "assistant",
                "model": self.model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": usage,
            },
        }

    @staticmethod
    def block_start(index: int, block: dict[str, Any]) -> dict[str, Any]:
        """``content_block_start`` (a text block starts with ``text: ""``, a tool call with
        ``input: {}``)."""
        return {"type": "content_block_start", "index": index, "content_block": block}

    @staticmethod
    def text_delta(index: int, text: str) -> dict[str, Any]:
        """``content_block_delta`` with a ``text_delta``."""
        return {
            "type": "content_block_delta",
            "index": index,
            "delta": {"type": "text_delta", "text": text},
        }

    @staticmethod
    def json_delta(index: int, partial_json: str) -> dict[str, Any]:
        """``content_block_delta`` with an ``input_json_delta``."""
        return {
            "type": "content_block_delta",
            "index": index,
            "delta": {"type": "input_json_delta", "partial_json": partial_json},
        }

    @staticmethod
    def block_stop(index: int) -> dict[str, Any]:
        """``content_block_stop``."""
        return {"type": "content_block_stop", "index": index}

    @staticmethod
    def message_delta(stop_reason: str, output_tokens: int) -> dict[str, Any]:
        """``message_delta``: why it stopped and the (cumulative) output tokens."""
        return {
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": None},
            "usage": {"output_tokens": output_tokens},
        }

    @staticmethod
    def message_stop() -> dict[str, Any]:
        """``message_stop``: the end of a stream."""
        return {"type": "message_stop"}

    @staticmethod
    def ping() -> dict[str, Any]:
        """``ping``: sent at any time, to be ignored."""
        return {"type": "ping"}

    @staticmethod
    def error_event(error_type: str, message: str) -> dict[str, Any]:
        """An ``error`` event: a failure after the 200 (``overloaded_error``, ...)."""
        return {"type": "error", "error": {"type": error_type, "message": message}}

    def stream(
        self,
        events: list[dict[str, Any]],
        *,
        cut_after: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """A streamed answer made of ``events``; ``cut_after`` drops the connection after
        that many."""
        return Reply(
            events=sse(*events),
            content_type="text/event-stream",
            headers={"request-id": REQUEST_ID, "cache-control": "no-cache", **(headers or {})},
            cut_after=cut_after,
        )

    def stream_text(
        self,
        pieces: list[str],
        *,
        input_tokens: int = 10,
        output_tokens: int = 5,
        stop_reason: str = "end_turn",
        cut_after: int | None = None,
    ) -> Reply:
        """A streamed text answer arriving in ``pieces``."""
        events = [
            self.message_start(input_tokens),
            self.block_start(0, {"type": "text", "text": ""}),
            self.ping(),
            *(self.text_delta(0, piece) for piece in pieces),
            self.block_stop(0),
            self.message_delta(stop_reason, output_tokens),
            self.message_stop(),
        ]
        return self.stream(events, cut_after=cut_after)

    def stream_tool_use(
        self,
        call_id: str,
        name: str,
        argument_pieces: list[str],
        *,
        text: str | None = None,
        input_tokens: int = 20,
        output_tokens: int = 10,
    ) -> Reply:
        """A streamed answer calling one tool (after an optional text block), its input JSON
        arriving in ``argument_pieces``."""
        events = [self.message_start(input_tokens)]
        index = 0
        if text:
            events += [
                self.block_start(0, {"type": "text", "text": ""}),
                self.text_delta(0, text),
                self.block_stop(0),
            ]
            index = 1
        events.append(
            self.block_start(index, {"type": "tool_use", "id": call_id, "name": name, "input": {}})
        )
        events += [self.json_delta(index, piece) for piece in argument_pieces]
        events += [
            self.block_stop(index),
            self.message_delta("tool_use", output_tokens),
            self.message_stop(),
        ]
        return self.stream(events)

    # -- failures -----------------------------------------------------------------------------

    @staticmethod
    def error(
        status: int,
        message: str,
        error_type: str | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """Anthropic's error body; the type defaults to the one Anthropic uses for ``status``."""
        kind = error_type or ERROR_TYPES.get(
            status, "api_error" if status >= 500 else "invalid_request_error"
        )
        return Reply(
            status=status,
            json={
                "type": "error",
                "error": {"type": kind, "message": message},
                "request_id": REQUEST_ID,
            },
            headers={"request-id": REQUEST_ID, **(headers or {})},
        )

    @staticmethod
    def rate_limit_headers(
        *,
        requests_limit: int,
        requests_remaining: int,
        tokens_limit: int,
        tokens_remaining: int,
        reset_in: float = 30.0,
    ) -> dict[str, str]:
        """``anthropic-ratelimit-*`` headers; resets are RFC 3339 times ``reset_in`` seconds
        from now."""
        reset = (datetime.now(UTC) + timedelta(seconds=reset_in)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "anthropic-ratelimit-requests-limit": str(requests_limit),
            "anthropic-ratelimit-requests-remaining": str(requests_remaining),
            "anthropic-ratelimit-requests-reset": reset,
            "anthropic-ratelimit-tokens-limit": str(tokens_limit),
            "anthropic-ratelimit-tokens-remaining": str(tokens_remaining),
            "anthropic-ratelimit-tokens-reset": reset,
        }
