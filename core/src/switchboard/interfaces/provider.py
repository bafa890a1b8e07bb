"""Providers: one per AI vendor, turning the gateway's OpenAI-shaped call into a native one.

A minimal provider that echoes the last message (the shape a fake or a local model takes)::

    class EchoProvider(Provider):
        name = "echo"

        async def complete(self, call: ProviderCall) -> ChatCompletion:
            text = call.request.messages[-1].content
            return ChatCompletion(
                id="echo-1", created=int(time.time()), model=call.model,
                choices=[Choice(index=0, finish_reason="stop",
                                message=ChatMessage(role="assistant", content=text))],
            )

        async def stream(self, call: ProviderCall) -> AsyncIterator[ChatCompletionChunk]:
            answer = await self.complete(call)
            yield ChatCompletionChunk(id=answer.id, created=answer.created, model=answer.model,
                                      choices=[ChunkChoice(index=0, finish_reason="stop",
                                               delta=ChunkDelta(content=answer.choices[0].message.content))])
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
)

if TYPE_CHECKING:
    import aiohttp

    from switchboard.plugins.selection import EnvironmentPlugins

__all__ = ["ErrorClass", "NoSettings", "Provider", "ProviderCall", "ProviderError"]

ErrorClass = Literal[
    "bad_request", "auth", "not_found", "rate_limit", "server_error", "timeout", "network"
]


class NoSettings(msgspec.Struct, forbid_unknown_fields=True):
    """Settings or credentials of a provider that takes none."""


class ProviderCall(msgspec.Struct, kw_only=True):
    """One attempt against one provider: where, with what, and the request to send.

    Mutable on purpose: ``switchboard_before_provider_call`` implementations may replace
    ``request`` (a guardrail rewriting a prompt) before the provider sees it.
    """

    request_id: str
    connection_id: str
    connection_name: str
    model: str
    request: ChatCompletionRequest
    settings: Any
    credentials: Any
    timeout: float = 600.0
    http: Any = None  # aiohttp.ClientSession, typed Any so the struct needs no aiohttp import
    environment: EnvironmentPlugins | None = None
    """The environment's plugin selection: ``environment.settings_for(name, Type)``."""

    @property
    def session(self) -> aiohttp.ClientSession:
        """The shared upstream HTTP client."""
        assert self.http is not None, "the core sets http before calling a provider"
        return self.http  # type: ignore[no-any-return]


class ProviderError(Exception):
    """A provider call failed; ``error_class`` decides whether the gateway falls back.

    ``bad_request``, ``auth`` and ``not_found`` go back to the caller; ``rate_limit``,
    ``server_error``, ``timeout`` and ``network`` move on to the next model in the chain.
    The message must never contain credentials.
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
    ) -> None:
        super().__init__(message)
        self.error_class = error_class
        self.message = message
        self.status = status
        self.retry_after = retry_after

    @property
    def falls_back(self) -> bool:
        """Whether the gateway should try the next model after this failure."""
        return self.error_class in self.RETRYABLE


class Provider(abc.ABC):
    """An AI vendor's API behind the gateway's OpenAI-shaped interface.

    ``settings_type`` and ``credentials_type`` validate a connection's ``settings`` and
    ``credentials`` when it is saved; the core passes the decoded values in each
    :class:`ProviderCall`. Failures are raised as :class:`ProviderError`.
    """

    name: ClassVar[str]
    settings_type: ClassVar[type[msgspec.Struct]] = NoSettings
    credentials_type: ClassVar[type[msgspec.Struct]] = NoSettings

    @abc.abstractmethod
    async def complete(self, call: ProviderCall) -> ChatCompletion:
        """Send a chat completion and return the whole answer."""

    @abc.abstractmethod
    def stream(self, call: ProviderCall) -> AsyncIterator[ChatCompletionChunk]:
        """Send a streamed chat completion; yield OpenAI chunks, the last one with usage."""
