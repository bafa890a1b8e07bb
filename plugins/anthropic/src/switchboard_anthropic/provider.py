"""The Anthropic provider: the gateway's OpenAI-shaped calls through Anthropic's Messages API.

``POST {baseUrl}/v1/messages`` with ``x-api-key``, ``anthropic-version`` (the connection's
``apiVersion``) and ``anthropic-beta`` (its ``beta`` flags, when any). The translation lives
in :mod:`~switchboard_anthropic.request` (OpenAI → Anthropic, with what is dropped),
:mod:`~switchboard_anthropic.response` and :mod:`~switchboard_anthropic.stream` (Anthropic →
OpenAI), :mod:`~switchboard_anthropic.errors` and :mod:`~switchboard_anthropic.limits`.
Anthropic has no embeddings: :meth:`Provider.embed` keeps its refusal.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import ClassVar

import msgspec

from switchboard.dataplane.openai_types import ChatCompletion, ChatCompletionChunk
from switchboard.interfaces.provider import Provider, ProviderCall, ProviderError, Upstream
from switchboard.pricing import PriceTable, load_price_table
from switchboard.upstream import sse_events, translated_errors
from switchboard_anthropic.config import AnthropicCredentials, AnthropicSettings
from switchboard_anthropic.errors import http_error
from switchboard_anthropic.limits import read_rate_limits
from switchboard_anthropic.request import build_request
from switchboard_anthropic.response import completion_from
from switchboard_anthropic.stream import StreamTranslator
from switchboard_anthropic.wire import MessageAnswer, ModelPage

__all__ = ["AnthropicProvider"]

_JSON = {"content-type": "application/json", "accept": "application/json"}
# GET /v1/models pages hold up to 1000 models; a handful of pages is every model there is.
_MODEL_PAGE_SIZE = 1000
_MAX_MODEL_PAGES = 10


class AnthropicProvider(Provider):
    """Anthropic: chat completions, plain and streamed, and the model list."""

    name: ClassVar[str] = "anthropic"
    display_name: ClassVar[str] = "Anthropic"
    settings_type = AnthropicSettings
    credentials_type = AnthropicCredentials
    # Cheapest first: a connection test without a model uses the first one.
    known_models: ClassVar[tuple[str, ...]] = (
        "claude-haiku-5-5",
        "claude-sonnet-5-5",
        "claude-opus-5-5",
        "claude-haiku-4-5",
        "claude-sonnet-4-6",
        "claude-opus-4-8",
    )
    # List prices per model (USD per million tokens), read once at import; a
    # connection's ``pricing`` overrides them.
    prices: ClassVar[PriceTable] = load_price_table("switchboard_anthropic")

    # -- the calls ---------------------------------------------------------------------------

    async def complete(self, call: ProviderCall) -> ChatCompletion:
        settings: AnthropicSettings = call.settings
        native = build_request(call, settings)
        raw = await self._send(call, "POST", "/v1/messages", body=msgspec.json.encode(native))
        try:
            answer = msgspec.json.decode(raw, type=MessageAnswer)
        except msgspec.DecodeError as exc:  # ValidationError included: a 200 of the wrong shape
            raise ProviderError(
                "server_error", f"anthropic sent a malformed answer: {exc}", status=200
            ) from None
        return completion_from(answer, created=int(time.time()))

    async def stream(self, call: ProviderCall) -> AsyncIterator[ChatCompletionChunk]:
        settings: AnthropicSettings = call.settings
        native = build_request(call, settings)
        native.stream = True
        translator = StreamTranslator(secret=self._secret(call))
        with translated_errors(self.name):
            async with call.session.post(
                self._url(call, "/v1/messages"),
                data=msgspec.json.encode(native),
                headers={**_JSON, "accept": "text/event-stream", **self.headers(call)},
                timeout=call.timeouts,
            ) as response:
                call.discovered = read_rate_limits(response.headers) or call.discovered
                if response.status >= 400:
                    raw = await response.read()
                    raise http_error(
                        response.status, raw, response.headers, secret=self._secret(call)
                    )
                async for event in sse_events(response):
                    for chunk in translator.feed(event):
                        yield chunk
                    if translator.finished:
                        return
        raise ProviderError("network", "anthropic ended the stream before message_stop")

    async def list_models(self, upstream: Upstream) -> list[str]:
        models: list[str] = []
        query = {"limit": str(_MODEL_PAGE_SIZE)}
        for _ in range(_MAX_MODEL_PAGES):
            raw = await self._send(upstream, "GET", "/v1/models", query=query)
            try:
                page = msgspec.json.decode(raw, type=ModelPage)
            except msgspec.DecodeError as exc:
                raise ProviderError(
                    "server_error", f"anthropic sent a malformed model list: {exc}", status=200
                ) from None
            models += [model.id for model in page.data]
            if not page.has_more or not page.last_id:
                break
            query = {**query, "after_id": page.last_id}
        return sorted(models)

    # -- plumbing ----------------------------------------------------------------------------

    def headers(self, upstream: Upstream) -> dict[str, str]:
        """Authentication, API version and beta flags."""
        settings: AnthropicSettings = upstream.settings
        credentials: AnthropicCredentials = upstream.credentials
        headers = {"x-api-key": credentials.api_key, "anthropic-version": settings.api_version}
        if settings.beta:
            headers["anthropic-beta"] = ",".join(settings.beta)
        return headers

    @staticmethod
    def _url(upstream: Upstream, path: str) -> str:
        settings: AnthropicSettings = upstream.settings
        return settings.base_url.rstrip("/") + path

    @staticmethod
    def _secret(upstream: Upstream) -> str:
        credentials: AnthropicCredentials = upstream.credentials
        return credentials.api_key

    async def _send(
        self,
        upstream: Upstream,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        query: dict[str, str] | None = None,
    ) -> bytes:
        with translated_errors(self.name):
            async with upstream.session.request(
                method,
                self._url(upstream, path),
                data=body,
                params=query,
                headers={**_JSON, **self.headers(upstream)},
                timeout=upstream.timeouts,
            ) as response:
                upstream.discovered = read_rate_limits(response.headers) or upstream.discovered
                raw = await response.read()
                if response.status >= 400:
                    raise http_error(
                        response.status, raw, response.headers, secret=self._secret(upstream)
                    )
                return raw
