"""The Gemini provider: the gateway's OpenAI-shaped calls on Google's Generative Language API.

- chat: ``POST {baseUrl}/models/{model}:generateContent`` and
  ``:streamGenerateContent?alt=sse`` (request.py, response.py, stream.py say what maps how);
- embeddings: ``POST {baseUrl}/models/{model}:batchEmbedContents`` (strings only);
- the model list: ``GET {baseUrl}/models``, page by page.

The key travels in ``x-goog-api-key`` (never in the URL, where logs would keep it). Gemini
announces no rate limits in headers, so ``call.discovered`` stays as it was; a 429 says how
long to wait in its body (errors.py).
"""

from __future__ import annotations

import struct
from base64 import b64encode
from collections.abc import AsyncIterator
from typing import Any, ClassVar, TypeVar

import msgspec

from switchboard.dataplane.openai_types import (
    ChatCompletion,
    ChatCompletionChunk,
    Embedding,
    EmbeddingResponse,
    EmbeddingUsage,
)
from switchboard.interfaces.provider import (
    EmbeddingCall,
    Provider,
    ProviderCall,
    ProviderError,
    Upstream,
)
from switchboard.pricing import PriceTable, load_price_table
from switchboard.upstream import translated_errors
from switchboard_gemini.config import GeminiCredentials, GeminiSettings
from switchboard_gemini.errors import PROVIDER, error_from_response, malformed
from switchboard_gemini.native import (
    BatchEmbedContentsRequest,
    BatchEmbedContentsResponse,
    Content,
    EmbedContentRequest,
    GenerateContentResponse,
    ModelList,
    Part,
)
from switchboard_gemini.request import build_request, model_path
from switchboard_gemini.response import to_completion
from switchboard_gemini.stream import StreamTranslator, decode_payload, stream_payloads

__all__ = ["GeminiProvider"]

_JSON = {"content-type": "application/json", "accept": "application/json"}
_MAX_MODEL_PAGES = 20

T = TypeVar("T")


def _base_url(upstream: Upstream) -> str:
    settings: Any = upstream.settings
    return str(settings.base_url).rstrip("/")


def _api_key(upstream: Upstream) -> str:
    credentials: Any = upstream.credentials
    return str(credentials.api_key)


def _headers(upstream: Upstream) -> dict[str, str]:
    return {"x-goog-api-key": _api_key(upstream)}


def _decode(raw: bytes, kind: type[T], what: str) -> T:
    try:
        return msgspec.json.decode(raw, type=kind)
    except msgspec.DecodeError as exc:
        raise malformed(what, exc) from None


class GeminiProvider(Provider):
    """Gemini: chat completions (plain and streamed), embeddings, the model list."""

    name: ClassVar[str] = PROVIDER
    display_name: ClassVar[str] = "Google Gemini"
    settings_type = GeminiSettings
    credentials_type = GeminiCredentials
    supports_embeddings = True
    known_models: ClassVar[tuple[str, ...]] = (
        "gemini-2.5-pro",
        "gemini-2.5-flash",
        "gemini-2.5-flash-lite",
        "gemini-embedding-001",
    )
    # List prices per model (USD per million tokens), read once at import; a
    # connection's ``pricing`` overrides them.
    prices: ClassVar[PriceTable] = load_price_table("switchboard_gemini")

    async def complete(self, call: ProviderCall) -> ChatCompletion:
        body = msgspec.json.encode(build_request(call))
        raw = await self._request(call, "POST", f"/{model_path(call.model)}:generateContent", body)
        answer = _decode(raw, GenerateContentResponse, "a malformed answer")
        return to_completion(answer, model=call.model)

    async def stream(self, call: ProviderCall) -> AsyncIterator[ChatCompletionChunk]:
        body = msgspec.json.encode(build_request(call))
        url = f"{_base_url(call)}/{model_path(call.model)}:streamGenerateContent"
        translator = StreamTranslator(call.model)
        with translated_errors(self.name):
            async with call.session.post(
                url,
                params={"alt": "sse"},
                data=body,
                headers={**_JSON, "accept": "text/event-stream", **_headers(call)},
                timeout=call.timeouts,
            ) as response:
                if response.status >= 400:
                    raw = await response.read()
                    raise error_from_response(
                        response.status, raw, response.headers, secret=_api_key(call)
                    )
                async for text in stream_payloads(response):
                    for chunk in translator.feed(decode_payload(text, secret=_api_key(call))):
                        yield chunk
        yield translator.finish()

    async def embed(self, call: EmbeddingCall) -> EmbeddingResponse:
        texts = call.request.texts
        if texts is None:
            raise ProviderError(
                "bad_request",
                f"{PROVIDER} embeds text only; token-array inputs cannot be sent",
                status=400,
                error_type="invalid_request_error",
                param="input",
            )
        if isinstance(call.request.user, str):
            call.drop("user")
        model = model_path(call.model)
        dimensions = call.request.dimensions
        request = BatchEmbedContentsRequest(
            requests=[
                EmbedContentRequest(
                    model=model,
                    content=Content(parts=[Part(text=text)]),
                    output_dimensionality=dimensions,
                )
                for text in texts
            ]
        )
        raw = await self._request(
            call, "POST", f"/{model}:batchEmbedContents", msgspec.json.encode(request)
        )
        answer = _decode(raw, BatchEmbedContentsResponse, "malformed embeddings")
        if len(answer.embeddings) != len(texts):
            raise malformed(
                "embeddings that do not match the inputs",
                f"{len(answer.embeddings)} vectors for {len(texts)} inputs",
            )
        base64 = call.request.encoding_format == "base64"
        tokens = answer.usage_metadata.prompt_token_count if answer.usage_metadata else 0
        return EmbeddingResponse(
            data=[
                Embedding(index=i, embedding=_pack(e.values) if base64 else e.values)
                for i, e in enumerate(answer.embeddings)
            ],
            model=call.model,
            usage=EmbeddingUsage(prompt_tokens=tokens, total_tokens=tokens),
        )

    async def list_models(self, upstream: Upstream) -> list[str]:
        names: set[str] = set()
        token: str | None = None
        for _ in range(_MAX_MODEL_PAGES):
            params = {"pageSize": "1000", **({"pageToken": token} if token else {})}
            raw = await self._request(upstream, "GET", "/models", None, params=params)
            page = _decode(raw, ModelList, "a malformed model list")
            names.update(m.name.removeprefix("models/") for m in page.models)
            token = page.next_page_token
            if not token:
                break
        return sorted(names)

    async def _request(
        self,
        upstream: Upstream,
        method: str,
        path: str,
        body: bytes | None,
        *,
        params: dict[str, str] | None = None,
    ) -> bytes:
        with translated_errors(self.name):
            async with upstream.session.request(
                method,
                _base_url(upstream) + path,
                params=params,
                data=body,
                headers={**_JSON, **_headers(upstream)},
                timeout=upstream.timeouts,
            ) as response:
                raw = await response.read()
                if response.status >= 400:
                    raise error_from_response(
                        response.status, raw, response.headers, secret=_api_key(upstream)
                    )
                return raw


def _pack(values: list[float]) -> str:
    """A vector as OpenAI's base64 encoding: little-endian float32 values."""
    return b64encode(struct.pack(f"<{len(values)}f", *values)).decode()
