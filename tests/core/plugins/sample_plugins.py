"""Plugins used by the plugin-host tests: one object per behaviour under test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from typing import ClassVar

import msgspec

from switchboard.context import GatewayContext, Principal, RequestInfo
from switchboard.dataplane.openai_types import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatMessage,
    Choice,
    ResponseMessage,
)
from switchboard.hookspecs import hookimpl
from switchboard.interfaces import Provider, ProviderCall

__all__ = ["EchoProvider", "SettingsPlugin", "make_call", "make_principal", "make_request_info"]


class EchoProvider(Provider):
    """Answers with the last message's text."""

    name: ClassVar[str] = "echo"

    async def complete(self, call: ProviderCall) -> ChatCompletion:
        content = call.request.messages[-1].content
        assert isinstance(content, str)
        return ChatCompletion(
            id="echo-1",
            created=0,
            model=call.model,
            choices=[
                Choice(
                    index=0,
                    finish_reason="stop",
                    message=ResponseMessage(content=content),
                )
            ],
        )

    async def stream(self, call: ProviderCall) -> AsyncIterator[ChatCompletionChunk]:
        await asyncio.sleep(0)
        if False:  # pragma: no cover - this provider does not stream
            yield ChatCompletionChunk(id="", created=0, model="", choices=[])


class SettingsPlugin:
    """A plugin with per-environment settings, off unless an environment switches it on."""

    ENABLED_BY_DEFAULT = False

    class Settings(msgspec.Struct, forbid_unknown_fields=True, rename="camel"):
        max_items: int = 10
        label: str = "default"

    @hookimpl
    def switchboard_register_providers(self, gateway: GatewayContext) -> Iterable[Provider]:
        return [EchoProvider()]


def make_principal() -> Principal:
    return Principal(kind="api-key", id="k1", name="backend", authenticator="test")


def make_request_info() -> RequestInfo:
    return RequestInfo(request_id="r1", method="POST", path="/v1/chat/completions", headers={})


def make_call() -> ProviderCall:
    from switchboard.dataplane.openai_types import ChatCompletionRequest

    return ProviderCall(
        request_id="r1",
        connection_id="c1",
        connection_name="main",
        model="echo-model",
        request=ChatCompletionRequest(
            model="chat", messages=[ChatMessage(role="user", content="hello")]
        ),
        settings=None,
        credentials=None,
    )
