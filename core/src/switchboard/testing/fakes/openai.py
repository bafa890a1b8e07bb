"""A fake OpenAI (and Groq: same wire format under ``/openai/v1``) server.

Answers ``POST .../chat/completions`` (plain JSON or data-only SSE ending in
``data: [DONE]``), ``POST .../embeddings`` and ``GET .../models``; refuses requests without
``Authorization: Bearer <api_key>`` with OpenAI's 401 body. Builders make native bodies.
"""

from __future__ import annotations

import json
import struct
from base64 import b64encode
from typing import Any

from switchboard.testing.fakes.base import FakeServer, RecordedRequest, Reply

__all__ = ["OpenAIFake", "sse"]

CREATED = 1764600000


def sse(*payloads: Any) -> list[bytes]:
    """Data-only SSE frames for ``payloads``, then ``data: [DONE]``."""
    frames = [f"data: {json.dumps(p)}\n\n".encode() for p in payloads]
    return [*frames, b"data: [DONE]\n\n"]


class OpenAIFake(FakeServer):
    """OpenAI's chat completions, embeddings and models endpoints."""

    def __init__(self, api_key: str = "sk-fake-openai-key", model: str = "gpt-4o-mini") -> None:
        super().__init__()
        self.api_key = api_key
        self.model = model

    def authorized(self, request: RecordedRequest) -> bool:
        return request.header("authorization") == f"Bearer {self.api_key}"

    def unauthorized_reply(self) -> Reply:
        return self.error(
            401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"
        )

    def default_reply(self, request: RecordedRequest) -> Reply:
        if request.method == "GET" and request.path.endswith("/models"):
            return Reply(
                json={
                    "object": "list",
                    "data": [
                        {"id": self.model, "object": "model", "created": 1, "owned_by": "fake"}
                    ],
                }
            )
        if request.path.endswith("/embeddings"):
            inputs = request.json["input"]
            count = 1 if isinstance(inputs, str) else len(inputs)
            vectors = [[0.1 * (i + 1), 0.2, 0.3] for i in range(count)]
            return self.embeddings(vectors, base64=request.json.get("encoding_format") == "base64")
        return self.completion("Hello from the fake.")

    # -- builders --------------------------------------------------------------------------

    def completion(
        self,
        text: str | None,
        *,
        prompt_tokens: int = 10,
        completion_tokens: int = 5,
        finish_reason: str = "stop",
        tool_calls: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """A complete ``chat.completion``."""
        message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
        if tool_calls:
            message["tool_calls"] = tool_calls
        return Reply(
            json={
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": CREATED,
                "model": self.model,
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "logprobs": None,
                        "finish_reason": finish_reason,
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
                "system_fingerprint": "fp_fake",
            },
            headers={"x-request-id": "req_fake", **(headers or {})},
        )

    def chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        """One ``chat.completion.chunk`` payload with a single choice."""
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": self.model,
            "choices": [
                {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            ],
            "usage": None,
        }

    def usage_chunk(self, prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
        """The last chunk of a stream with ``include_usage``: no choices, the usage."""
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": self.model,
            "choices": [],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }

    def stream(self, payloads: list[dict[str, Any]], *, cut_after: int | None = None) -> Reply:
        """A streamed answer made of ``payloads``."""
        return Reply(events=sse(*payloads), content_type="text/event-stream", cut_after=cut_after)

    def embeddings(
        self, vectors: list[list[float]], *, prompt_tokens: int = 4, base64: bool = False
    ) -> Reply:
        """An embeddings answer; ``base64`` packs each vector as little-endian float32."""
        encoded: list[Any] = [
            b64encode(struct.pack(f"<{len(v)}f", *v)).decode() if base64 else v for v in vectors
        ]
        return Reply(
            json={
                "object": "list",
                "model": "text-embedding-3-small",
                "data": [
                    {"object": "embedding", "index": i, "embedding": vector}
                    for i, vector in enumerate(encoded)
                ],
                "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
            }
        )

    @staticmethod
    def error(
        status: int,
        message: str,
        error_type: str = "invalid_request_error",
        code: str | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """OpenAI's error body."""
        return Reply(
            status=status,
            json={"error": {"message": message, "type": error_type, "param": None, "code": code}},
            headers=headers or {},
        )
