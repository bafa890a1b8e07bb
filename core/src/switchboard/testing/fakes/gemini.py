"""A fake Gemini server: Google's Generative Language API (``v1beta``), as the google-genai SDK
and the real service speak it.

Answers, under any base path (``/v1beta`` normally):

- ``POST .../models/{model}:generateContent``: one ``GenerateContentResponse``;
- ``POST .../models/{model}:streamGenerateContent?alt=sse``: ``data: <response>`` events, no
  ``[DONE]`` (the stream ends when the connection closes); without ``alt=sse`` a JSON array;
- ``POST .../models/{model}:batchEmbedContents`` and ``:embedContent``;
- ``GET .../models``: the model list.

Credentials are checked as Google does: the key in ``x-goog-api-key`` (or ``?key=``). A wrong
key is a **400** ``INVALID_ARGUMENT`` with ``ErrorInfo.reason: API_KEY_INVALID``; no key at all
is a 403 ``PERMISSION_DENIED``. Errors use Google's body
``{"error": {"code", "message", "status", "details"}}``; a 429 can carry
``google.rpc.RetryInfo.retryDelay``. Failures after a stream started come as a raw JSON object
over several lines (:meth:`GeminiFake.stream_error`), not as a ``data:`` event.
"""

from __future__ import annotations

import json
from typing import Any

from switchboard.testing.fakes.base import FakeServer, RecordedRequest, Reply

__all__ = ["STATUS_NAMES", "GeminiFake", "sse"]

#: The gRPC status Google names in an error body, per HTTP status.
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    402: "RESOURCE_EXHAUSTED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

_JSON = "application/json"
_ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"


def sse(*payloads: Any) -> list[bytes]:
    """SSE frames as Gemini writes them: ``data: <json>`` and a CRLF blank line, no ``[DONE]``."""
    return [f"data: {json.dumps(p, separators=(',', ':'))}\r\n\r\n".encode() for p in payloads]


class GeminiFake(FakeServer):
    """The Generative Language API's content, embedding and model endpoints."""

    def __init__(
        self, api_key: str = "fake-gemini-api-key", model: str = "gemini-2.5-flash"
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.model = model

    # -- credentials -------------------------------------------------------------------------

    @staticmethod
    def sent_key(request: RecordedRequest) -> str | None:
        """The API key a request carried (header first, then the ``key`` query parameter)."""
        return request.header("x-goog-api-key") or request.query.get("key")

    def authorized(self, request: RecordedRequest) -> bool:
        return self.sent_key(request) == self.api_key

    def unauthorized_reply(self) -> Reply:
        # The base class records the request before asking, so the last one is this one.
        if not self.sent_key(self.last):
            return self.error(
                403,
                "Method doesn't allow unregistered callers (callers without established "
                "identity). Please use API Key or other form of API consumer identity to call "
                "this API.",
            )
        return self.error(
            400,
            "API key not valid. Please pass a valid API key.",
            details=[
                {
                    "@type": _ERROR_INFO,
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": "generativelanguage.googleapis.com"},
                },
                {
                    "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                    "locale": "en-US",
                    "message": "API key not valid. Please pass a valid API key.",
                },
            ],
        )

    # -- unscripted answers ------------------------------------------------------------------

    def default_reply(self, request: RecordedRequest) -> Reply:
        path = request.path
        if request.method == "GET" and path.endswith("/models"):
            return self.models([self.model, "gemini-embedding-001"])
        if request.method == "POST" and path.endswith(":generateContent"):
            return self.answer("Hello from the fake.")
        if request.method == "POST" and path.endswith(":streamGenerateContent"):
            payloads = [
                self.response(text="Hello", finish_reason=None),
                self.response(text=" from the fake."),
            ]
            if request.query.get("alt") != "sse":
                return Reply(json=payloads)
            return self.stream(payloads)
        if request.method == "POST" and path.endswith(":batchEmbedContents"):
            count = len(request.json.get("requests", []))
            return self.embeddings([[0.1 * (i + 1), 0.2, 0.3] for i in range(count)])
        if request.method == "POST" and path.endswith(":embedContent"):
            return Reply(json={"embedding": {"values": [0.1, 0.2, 0.3]}})
        return self.error(404, f"Method not found: {request.method} {path}")

    # -- builders: parts and responses -------------------------------------------------------

    @staticmethod
    def text_part(text: str, *, thought: bool = False) -> dict[str, Any]:
        """A ``text`` part (``thought``: a reasoning summary, not answer text)."""
        return {"text": text, "thought": True} if thought else {"text": text}

    @staticmethod
    def function_call_part(
        name: str,
        args: dict[str, Any],
        *,
        thought_signature: str | None = None,
        call_id: str | None = None,
    ) -> dict[str, Any]:
        """A whole ``functionCall`` part, as Gemini sends it (ids are rare on this API)."""
        call: dict[str, Any] = {"name": name, "args": args}
        if call_id is not None:
            call["id"] = call_id
        part: dict[str, Any] = {"functionCall": call}
        if thought_signature is not None:
            part["thoughtSignature"] = thought_signature
        return part

    @staticmethod
    def usage(
        prompt_tokens: int = 10,
        candidates_tokens: int = 5,
        *,
        thoughts_tokens: int = 0,
        cached_tokens: int = 0,
    ) -> dict[str, Any]:
        """``usageMetadata``; the total counts thoughts too, as Google's does."""
        usage: dict[str, Any] = {
            "promptTokenCount": prompt_tokens,
            "candidatesTokenCount": candidates_tokens,
            "totalTokenCount": prompt_tokens + candidates_tokens + thoughts_tokens,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt_tokens}],
        }
        if thoughts_tokens:
            usage["thoughtsTokenCount"] = thoughts_tokens
        if cached_tokens:
            usage["cachedContentTokenCount"] = cached_tokens
        return usage

    def response(
        self,
        *,
        text: str | None = None,
        parts: list[dict[str, Any]] | None = None,
        finish_reason: str | None = "STOP",
        usage: dict[str, Any] | None = None,
        candidates: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """One ``GenerateContentResponse`` (a whole answer, or one stream event).

        ``parts`` (or ``text``) make the single candidate; ``candidates`` replaces it.
        ``finish_reason=None`` leaves the answer open, as every stream event but the last.
        """
        if candidates is None:
            candidate: dict[str, Any] = {"index": 0}
            content_parts = parts if parts is not None else [self.text_part(text or "")]
            if content_parts:
                candidate["content"] = {"parts": content_parts, "role": "model"}
            if finish_reason is not None:
                candidate["finishReason"] = finish_reason
            candidates = [candidate]
        payload: dict[str, Any] = {
            "candidates": candidates,
            "modelVersion": self.model,
            "responseId": "fake-response-id",
        }
        if usage is not None:
            payload["usageMetadata"] = usage
        return payload

    def answer(
        self,
        text: str | None = None,
        *,
        parts: list[dict[str, Any]] | None = None,
        finish_reason: str = "STOP",
        prompt_tokens: int = 10,
        candidates_tokens: int = 5,
        thoughts_tokens: int = 0,
        cached_tokens: int = 0,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """A complete ``generateContent`` answer."""
        usage = self.usage(
            prompt_tokens,
            candidates_tokens,
            thoughts_tokens=thoughts_tokens,
            cached_tokens=cached_tokens,
        )
        payload = self.response(text=text, parts=parts, finish_reason=finish_reason, usage=usage)
        return Reply(json=payload, headers=headers or {}, content_type=_JSON)

    def blocked(self, block_reason: str = "SAFETY", *, prompt_tokens: int = 8) -> Reply:
        """The answer to a prompt Gemini refuses: no candidates, ``promptFeedback``."""
        return Reply(
            json={
                "promptFeedback": {"blockReason": block_reason},
                "usageMetadata": {
                    "promptTokenCount": prompt_tokens,
                    "totalTokenCount": prompt_tokens,
                },
                "modelVersion": self.model,
                "responseId": "fake-response-id",
            }
        )

    # -- builders: streams -------------------------------------------------------------------

    def stream(
        self,
        payloads: list[dict[str, Any]],
        *,
        cut_after: int | None = None,
        error: bytes | None = None,
    ) -> Reply:
        """A streamed answer made of ``payloads``; ``error`` (see :meth:`stream_error`) follows
        them as a failure after the 200."""
        events = sse(*payloads) + ([error] if error is not None else [])
        return Reply(events=events, content_type="text/event-stream", cut_after=cut_after)

    def text_stream(
        self,
        pieces: list[str],
        *,
        prompt_tokens: int = 10,
        candidates_tokens: int = 5,
        finish_reason: str = "STOP",
        cut_after: int | None = None,
    ) -> Reply:
        """A streamed text answer: one event per piece, usage on each, the reason on the last."""
        last = len(pieces) - 1
        payloads = [
            self.response(
                text=piece,
                finish_reason=finish_reason if i == last else None,
                usage=self.usage(prompt_tokens, candidates_tokens if i == last else i + 1),
            )
            for i, piece in enumerate(pieces)
        ]
        return self.stream(payloads, cut_after=cut_after)

    @staticmethod
    def stream_error(status: int, message: str) -> bytes:
        """A failure after the 200: Google's error object as raw, indented JSON lines."""
        body = {"error": {"code": status, "message": message, "status": STATUS_NAMES[status]}}
        return (json.dumps(body, indent=2) + "\n").encode()

    # -- builders: embeddings, models, errors --------------------------------------------------

    @staticmethod
    def embeddings(vectors: list[list[float]], *, prompt_tokens: int | None = None) -> Reply:
        """A ``batchEmbedContents`` answer (``usageMetadata`` only when ``prompt_tokens``)."""
        body: dict[str, Any] = {"embeddings": [{"values": v} for v in vectors]}
        if prompt_tokens is not None:
            body["usageMetadata"] = {
                "promptTokenCount": prompt_tokens,
                "totalTokenCount": prompt_tokens,
            }
        return Reply(json=body)

    @staticmethod
    def models(ids: list[str], *, next_page_token: str | None = None) -> Reply:
        """A page of ``GET /models``."""
        body: dict[str, Any] = {
            "models": [
                {
                    "name": f"models/{model}",
                    "displayName": model,
                    "supportedGenerationMethods": (
                        ["embedContent"] if "embedding" in model else ["generateContent"]
                    ),
                }
                for model in ids
            ]
        }
        if next_page_token is not None:
            body["nextPageToken"] = next_page_token
        return Reply(json=body)

    @staticmethod
    def error(
        status: int,
        message: str,
        *,
        details: list[dict[str, Any]] | None = None,
        retry_delay: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """Google's error body; ``retry_delay`` (``"38s"``) adds the quota details a 429 has."""
        details = list(details or [])
        if retry_delay is not None:
            details += [
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [
                        {
                            "quotaMetric": "generativelanguage.googleapis.com/"
                            "generate_content_free_tier_requests",
                            "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                            "quotaDimensions": {"location": "global", "model": "gemini"},
                            "quotaValue": "10",
                        }
                    ],
                },
                {
                    "@type": "type.googleapis.com/google.rpc.Help",
                    "links": [
                        {
                            "description": "Learn more about Gemini API quotas",
                            "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
                        }
                    ],
                },
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay},
            ]
        error: dict[str, Any] = {
            "code": status,
            "message": message,
            "status": STATUS_NAMES.get(status, "UNKNOWN"),
        }
        if details:
            error["details"] = details
        return Reply(status=status, json={"error": error}, headers=headers or {})
