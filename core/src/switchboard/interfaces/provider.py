"""Providers: one per AI vendor, turning the gateway's OpenAI-shaped call into a native one.

A minimal provider that echoes the last message (the shape a fake or a local model takes)::

    class EchoProvider(Provider):
        name = "echo"

        async def complete(self, call: ProviderCall) -> ChatCompletion:
            text = call.request.messages[-1].content
            return ChatCompletion(
                id="echo-1", created=int(time.time()), model=call.model,
                choices=[Choice(index=0, finish_reason="stop",
                                message=ResponseMessage(content=text))],
            )

        async def stream(self, call: ProviderCall) -> AsyncIterator[ChatCompletionChunk]:
            answer = await self.complete(call)
            yield ChatCompletionChunk(id=answer.id, created=answer.created, model=answer.model,
                                      choices=[ChunkChoice(index=0, finish_reason="stop",
                                               delta=ChunkDelta(content=answer.choices[0].message.content))])

Besides the answer, a provider reports on the call object: the rate limits it read from the
response headers (``call.discovered``) and the request parameters it could not translate
(``call.dropped_params``), which the gateway returns in ``x-switchboard-dropped-params``.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import msgspec

from switchboard.dataplane.openai_types import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    EmbeddingRequest,
    EmbeddingResponse,
)
from switchboard.pricing import NO_PRICES, PriceTable

if TYPE_CHECKING:
    from switchboard.http_client import HttpClient
    from switchboard.plugins.selection import EnvironmentPlugins

__all__ = [
    "DiscoveredLimits",
    "EmbeddingCall",
    "ErrorClass",
    "NoSettings",
    "Provider",
    "ProviderCall",
    "ProviderError",
    "Timeouts",
    "Upstream",
]

ErrorClass = Literal[
    "bad_request", "auth", "not_found", "rate_limit", "server_error", "timeout", "network"
]


class NoSettings(msgspec.Struct, forbid_unknown_fields=True):
    """Settings or credentials of a provider that takes none."""


class Timeouts(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """How long a call may take, in seconds: to connect, to the first byte, in total."""

    connect: float = 10.0
    first_byte: float = 120.0
    total: float = 600.0


class DiscoveredLimits(msgspec.Struct, kw_only=True, rename="camel", omit_defaults=True):
    """Rate limits a provider announced in its response headers (``None``: not announced).

    ``period`` is what the limits are counted over (OpenAI: minute; Groq requests: day).
    Resets are seconds from the response.
    """

    requests_limit: int | None = None
    requests_remaining: int | None = None
    requests_reset_seconds: float | None = None
    requests_period: Literal["minute", "day"] = "minute"
    tokens_limit: int | None = None
    tokens_remaining: int | None = None
    tokens_reset_seconds: float | None = None
    tokens_period: Literal["minute", "day"] = "minute"


class Upstream(msgspec.Struct, kw_only=True):
    """Where an attempt goes: the connection, its decoded settings and credentials, the
    model, the shared HTTP client and the time limits; plus what the provider reports back
    (``discovered``, ``dropped_params``)."""

    request_id: str
    connection_id: str
    connection_name: str
    model: str
    settings: Any
    credentials: Any
    timeouts: Timeouts = Timeouts()
    http: Any = None  # the HttpClient, typed Any so the struct needs no import of it
    environment: EnvironmentPlugins | None = None
    """The environment's plugin selection: ``environment.settings_for(name, Type)``."""
    discovered: DiscoveredLimits | None = None
    dropped_params: list[str] = msgspec.field(default_factory=list)

    @property
    def session(self) -> HttpClient:
        """The shared upstream HTTP client."""
        assert self.http is not None, "the core sets http before calling a provider"
        return self.http  # type: ignore[no-any-return]

    def drop(self, *params: str) -> None:
        """Record request parameters this provider cannot send (kept once each, in order)."""
        for param in params:
            if param not in self.dropped_params:
                self.dropped_params.append(param)


class ProviderCall(Upstream, kw_only=True):
    """One chat attempt. Mutable on purpose: ``switchboard_before_provider_call``
    implementations may replace ``request`` (a guardrail rewriting a prompt)."""

    request: ChatCompletionRequest


class EmbeddingCall(Upstream, kw_only=True):
    """One embeddings attempt."""

    request: EmbeddingRequest


class ProviderError(Exception):
    """A provider call failed; ``error_class`` decides whether the gateway falls back.

    ``bad_request``, ``auth`` and ``not_found`` go back to the caller (with ``status``,
    ``message``, ``error_type``, ``param`` and ``code`` as the provider said them);
    ``rate_limit``, ``server_error``, ``timeout`` and ``network`` move on to the next model in
    the chain. The message must never contain credentials.
    """

    RETRYABLE: ClassVar[frozenset[str]] = frozenset(
        {"rate_limit", "server_error", "timeout", "network"}
    )

    def __init__(
        self,
        error_class: ErrorClass,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        error_type: str | None = None,
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.error_class = error_class
        self.message = message
        self.status = status
        self.retry_after = retry_after
        self.error_type = error_type
        self.param = param
        self.code = code

    @property
    def falls_back(self) -> bool:
        """Whether the gateway should try the next model after this failure."""
        return self.error_class in self.RETRYABLE

    def __repr__(self) -> str:
        return f"ProviderError({self.error_class!r}, {self.message!r}, status={self.status})"


class Provider(abc.ABC):
    """An AI vendor's API behind the gateway's OpenAI-shaped interface.

    ``settings_type`` and ``credentials_type`` validate a connection's ``settings`` and
    ``credentials`` when it is saved (every credentials field is a secret); the core passes
    the decoded values in each call. ``known_models`` seeds the UI's model pickers.
    ``prices`` is the provider's list price table (load it once, at import, with
    :func:`switchboard.pricing.load_price_table`); without one, costs stay unknown unless a
    connection sets its own prices. Failures are raised as :class:`ProviderError`.
    """

    name: ClassVar[str]
    display_name: ClassVar[str] = ""
    settings_type: ClassVar[type[msgspec.Struct]] = NoSettings
    credentials_type: ClassVar[type[msgspec.Struct]] = NoSettings
    known_models: ClassVar[tuple[str, ...]] = ()
    supports_embeddings: ClassVar[bool] = False
    prices: ClassVar[PriceTable] = NO_PRICES

    @abc.abstractmethod
    async def complete(self, call: ProviderCall) -> ChatCompletion:
        """Send a chat completion and return the whole answer."""

    @abc.abstractmethod
    def stream(self, call: ProviderCall) -> AsyncIterator[ChatCompletionChunk]:
        """Send a streamed chat completion; yield OpenAI chunks, the last one with usage.

        Write it as an async generator that reads the response inside ``async with``: the
        gateway closes the stream (``aclose``) or cancels the read when its client leaves,
        and the response must then be closed at once, so the provider stops generating.
        """

    async def embed(self, call: EmbeddingCall) -> EmbeddingResponse:
        """Embed the inputs; providers without embeddings keep this refusal."""
        raise ProviderError(
            "bad_request",
            f"provider {self.name!r} does not offer embeddings",
            status=400,
            error_type="invalid_request_error",
            param="model",
        )

    async def list_models(self, upstream: Upstream) -> list[str]:
        """Models the connection can use; by default the provider's known models."""
        return list(self.known_models)
