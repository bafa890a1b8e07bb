"""What a provider plugin gives the conformance suite: its provider, its fake, how to script
native answers and how to read back what it sent (see :mod:`switchboard.testing.conformance`).
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar, Literal

import msgspec

from switchboard.interfaces import Provider
from switchboard.testing.fakes import FakeServer, RecordedRequest, Reply

__all__ = ["ProviderKit"]


class ProviderKit(abc.ABC):
    """What a provider plugin gives the suite. Subclasses start their fake in ``__enter__``."""

    provider: Provider
    fake: FakeServer
    model: ClassVar[str]
    #: Whether the provider has a JSON mode for ``response_format: json_object``.
    supports_json_mode: ClassVar[bool] = True
    #: The statuses the provider uses for "overloaded" besides 503, if any (Anthropic: 529).
    extra_server_error_statuses: ClassVar[tuple[int, ...]] = ()

    def __enter__(self) -> ProviderKit:
        self.fake.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.fake.stop()

    # -- configuration ---------------------------------------------------------------------

    @abc.abstractmethod
    def settings(self, base_url: str) -> msgspec.Struct:
        """Connection settings that send the provider's calls to ``base_url``."""

    @abc.abstractmethod
    def credentials(self) -> msgspec.Struct:
        """Credentials the fake accepts."""

    # -- native answers ----------------------------------------------------------------------

    @abc.abstractmethod
    def text_reply(
        self,
        text: str,
        *,
        prompt_tokens: int,
        completion_tokens: int,
        finish: Literal["stop", "length"] = "stop",
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """A complete answer with ``text``."""

    @abc.abstractmethod
    def tool_call_reply(self, *, call_id: str, name: str, arguments: dict[str, Any]) -> Reply:
        """A complete answer that calls one tool."""

    @abc.abstractmethod
    def stream_reply(
        self,
        pieces: list[str],
        *,
        prompt_tokens: int,
        completion_tokens: int,
        cut_after: int | None = None,
    ) -> Reply:
        """A streamed answer whose text arrives in ``pieces``, usage at the end."""

    @abc.abstractmethod
    def stream_tool_call_reply(
        self, *, call_id: str, name: str, argument_pieces: list[str]
    ) -> Reply:
        """A streamed answer calling one tool, its arguments JSON arriving in pieces."""

    @abc.abstractmethod
    def error_reply(self, status: int, message: str, *, retry_after: float | None = None) -> Reply:
        """The provider's error answer for ``status``."""

    def malformed_reply(self) -> Reply:
        """A 200 whose body is not what the provider promises."""
        return Reply(body=b'{"this is": not json', content_type="application/json")

    def rate_limit_headers(self) -> dict[str, str] | None:
        """Headers announcing 100 requests and 5000 tokens per minute, 99 and 4900 left;
        ``None`` when the provider announces no limits."""
        return None

    # -- what the provider sent --------------------------------------------------------------

    @abc.abstractmethod
    def sent_model(self, request: RecordedRequest) -> str:
        """The model the native request named."""

    @abc.abstractmethod
    def sent_system(self, request: RecordedRequest) -> str | None:
        """The system prompt the native request carried."""

    @abc.abstractmethod
    def sent_turns(self, request: RecordedRequest) -> list[tuple[str, str]]:
        """``(role, text)`` of each text turn, roles in OpenAI terms (user, assistant)."""

    @abc.abstractmethod
    def sent_max_tokens(self, request: RecordedRequest) -> int | None:
        """The completion token limit the native request set."""

    @abc.abstractmethod
    def sent_stop(self, request: RecordedRequest) -> list[str]:
        """The stop sequences the native request set."""

    @abc.abstractmethod
    def sent_tool_names(self, request: RecordedRequest) -> list[str]:
        """Names of the tools the native request offered."""

    @abc.abstractmethod
    def sent_tool_call(self, request: RecordedRequest) -> tuple[str, str, dict[str, Any]] | None:
        """``(call id, name, arguments)`` of an earlier assistant tool call in the history."""

    @abc.abstractmethod
    def sent_tool_result(self, request: RecordedRequest) -> tuple[str, str] | None:
        """``(call id, content)`` of a tool result in the history."""

    @abc.abstractmethod
    def sent_image(self, request: RecordedRequest) -> bool:
        """Whether the native request carried the image."""

    def sent_json_mode(self, request: RecordedRequest) -> bool:
        """Whether the native request asked for JSON output."""
        return False
