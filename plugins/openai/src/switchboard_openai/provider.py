"""The OpenAI provider: forwards the gateway's OpenAI-shaped calls to an OpenAI-compatible API.

The request already is OpenAI's; what this adds is the connection's model and credentials,
``stream_options.include_usage`` on streams (so usage is always known at the end), the
shared HTTP client with the connection's time limits, error classes, and discovered limits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar

import msgspec

from switchboard.dataplane.openai_types import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    EmbeddingResponse,
    StreamOptions,
)
from switchboard.interfaces.provider import (
    DiscoveredLimits,
    EmbeddingCall,
    Provider,
    ProviderCall,
    ProviderError,
    Upstream,
)
from switchboard.pricing import PriceTable, load_price_table
from switchboard.upstream import (
    error_class_for,
    retry_after,
    sse_events,
    translated_errors,
)
from switchboard_openai.config import OpenAICredentials, OpenAISettings
from switchboard_openai.limits import read_rate_limits

__all__ = ["OpenAICompatibleProvider", "OpenAIProvider"]

_JSON = {"content-type": "application/json", "accept": "application/json"}
_WITH_USAGE = StreamOptions(include_usage=True)


class _ErrorBody(msgspec.Struct):
    message: str = ""
    type: str | None = None
    param: str | None = None
    code: str | int | None = None


class _ErrorEnvelope(msgspec.Struct):
    error: _ErrorBody | None = None


class _ModelList(msgspec.Struct):
    data: list[dict[str, Any]] = []


class OpenAICompatibleProvider(Provider):
    """Any API that speaks OpenAI's chat completions; subclasses say where and who.

    Subclasses may override :meth:`prepare` to drop what their API refuses and
    :meth:`read_limits` to read their rate-limit headers.
    """

    name: ClassVar[str]
    display_name: ClassVar[str] = ""

    # -- what subclasses adapt -------------------------------------------------------------

    def base_url(self, upstream: Upstream) -> str:
        """The API base URL of the connection (up to ``/v1``)."""
        settings: Any = upstream.settings
        return str(settings.base_url).rstrip("/")

    def headers(self, upstream: Upstream) -> dict[str, str]:
        """Authentication and routing headers."""
        credentials: Any = upstream.credentials
        return {"authorization": f"Bearer {credentials.api_key}"}

    def prepare(self, call: ProviderCall, *, stream: bool) -> ChatCompletionRequest:
        """The request to send: the caller's, for the connection's model.

        Stays a Struct (no dict round trip: this runs on every request); subclasses return
        a ``msgspec.structs.replace`` of it without what their API refuses.
        """
        return msgspec.structs.replace(
            call.request,
            model=call.model,
            stream=True if stream else msgspec.UNSET,
            # Usage must be known at the end of every stream, whatever the caller asked.
            stream_options=_WITH_USAGE if stream else msgspec.UNSET,
        )

    def read_limits(self, headers: Mapping[str, str]) -> DiscoveredLimits | None:
        """Discovered capacity from the response headers."""
        return read_rate_limits(headers)

    # -- the calls ---------------------------------------------------------------------------

    async def complete(self, call: ProviderCall) -> ChatCompletion:
        raw = await self._post(call, "/chat/completions", self.prepare(call, stream=False))
        try:
            return msgspec.json.decode(raw, type=ChatCompletion)
        except msgspec.DecodeError as exc:
            raise ProviderError(
                "server_error", f"{self.name} sent a malformed answer: {exc}", status=200
            ) from None

    async def stream(self, call: ProviderCall) -> AsyncIterator[ChatCompletionChunk]:
        body = self.prepare(call, stream=True)
        url = self.base_url(call) + "/chat/completions"
        with translated_errors(self.name):
            async with call.session.post(
                url,
                data=msgspec.json.encode(body),
                headers={**_JSON, "accept": "text/event-stream", **self.headers(call)},
                timeout=call.timeouts,
            ) as response:
                call.discovered = self.read_limits(response.headers) or call.discovered
                if response.status >= 400:
                    raise self._error(response.status, await response.read(), response.headers)
                async for event in sse_events(response):
                    if event.data.strip() == "[DONE]":
                        return
                    yield self._chunk(event.data)
        raise ProviderError("network", f"{self.name} ended the stream without [DONE]")

    async def embed(self, call: EmbeddingCall) -> EmbeddingResponse:
        raw = await self._post(
            call, "/embeddings", msgspec.structs.replace(call.request, model=call.model)
        )
        try:
            return msgspec.json.decode(raw, type=EmbeddingResponse)
        except msgspec.DecodeError as exc:
            raise ProviderError(
                "server_error", f"{self.name} sent malformed embeddings: {exc}", status=200
            ) from None

    async def list_models(self, upstream: Upstream) -> list[str]:
        url = self.base_url(upstream) + "/models"
        with translated_errors(self.name):
            async with upstream.session.get(
                url, headers=self.headers(upstream), timeout=upstream.timeouts
            ) as response:
                raw = await response.read()
                if response.status >= 400:
                    raise self._error(response.status, raw, response.headers)
        try:
            listing = msgspec.json.decode(raw, type=_ModelList)
        except msgspec.DecodeError as exc:
            raise ProviderError(
                "server_error", f"{self.name} sent a malformed model list: {exc}"
            ) from None
        return sorted(str(m["id"]) for m in listing.data if "id" in m)

    # -- plumbing ----------------------------------------------------------------------------

    async def _post(self, upstream: Upstream, path: str, body: msgspec.Struct) -> bytes:
        with translated_errors(self.name):
            async with upstream.session.post(
                self.base_url(upstream) + path,
                data=msgspec.json.encode(body),
                headers={**_JSON, **self.headers(upstream)},
                timeout=upstream.timeouts,
            ) as response:
                upstream.discovered = self.read_limits(response.headers) or upstream.discovered
                raw = await response.read()
                if response.status >= 400:
                    raise self._error(response.status, raw, response.headers)
                return raw

    def _chunk(self, data: str) -> ChatCompletionChunk:
        try:
            payload = msgspec.json.decode(data)
        except msgspec.DecodeError as exc:
            raise ProviderError(
                "server_error", f"{self.name} sent a malformed chunk: {exc}"
            ) from None
        if isinstance(payload, dict) and payload.get("error"):
            error = payload["error"] if isinstance(payload["error"], dict) else {}
            raise ProviderError(
                "server_error",
                f"{self.name} failed mid-stream: {error.get('message', payload['error'])}",
                error_type=error.get("type"),
            )
        try:
            return msgspec.convert(payload, ChatCompletionChunk)
        except msgspec.ValidationError as exc:
            raise ProviderError(
                "server_error", f"{self.name} sent a malformed chunk: {exc}"
            ) from None

    def _error(self, status: int, raw: bytes, headers: Mapping[str, str]) -> ProviderError:
        body = _ErrorBody(message=raw[:500].decode("utf-8", "replace"))
        try:
            envelope = msgspec.json.decode(raw, type=_ErrorEnvelope)
            if envelope.error is not None:
                body = envelope.error
        except msgspec.DecodeError:
            pass
        return ProviderError(
            error_class_for(status),
            f"{self.name} answered {status}: {body.message}",
            status=status,
            retry_after=retry_after(headers),
            error_type=body.type,
            param=body.param,
            code=None if body.code is None else str(body.code),
        )


class OpenAIProvider(OpenAICompatibleProvider):
    """OpenAI: chat completions (plain and streamed), embeddings, the model list."""

    name: ClassVar[str] = "openai"
    display_name: ClassVar[str] = "OpenAI"
    settings_type = OpenAISettings
    credentials_type = OpenAICredentials
    supports_embeddings = True
    known_models: ClassVar[tuple[str, ...]] = (
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4.1",
        "gpt-4.1-mini",
        "o4-mini",
        "text-embedding-3-small",
        "text-embedding-3-large",
    )
    # List prices per model (USD per million tokens), read once at import; a
    # connection's ``pricing`` overrides them.
    prices: ClassVar[PriceTable] = load_price_table("switchboard_openai")

    def headers(self, upstream: Upstream) -> dict[str, str]:
        headers = super().headers(upstream)
        settings: Any = upstream.settings
        if settings.organization:
            headers["openai-organization"] = settings.organization
        if settings.project:
            headers["openai-project"] = settings.project
        return headers
