"""What a request record keeps of its payloads, and what it hides.

Each environment chooses (its ``recording`` field)::

    recording:
      payload: metadata        # off | metadata (the default) | full
      redactPaths: [request.messages[*].content, request.metadata.email]

- ``off``: the record keeps no payload at all.
- ``metadata``: the shape of the exchange without its text: the parameters asked for
  (model, sampling, limits), how many messages of which roles, the names of the tools
  offered and called, the finish reasons. No prompt or answer text.
- ``full``: the caller's request body as sent and the answer as the gateway produced it in
  OpenAI's shape (for a stream, the chunks put back together: content, tool calls and
  finish reason per choice).

Redaction runs on every captured payload before any recorder sees it: each configured path
is replaced by ``"[REDACTED]"``, then every string that looks like a credential (provider
keys, Switchboard keys, bearer tokens, JWTs, private keys) and every value under a key named
like one (``password``, ``apiKey``, ``authorization``...) is too. Paths are dotted names from
the payload's root (``request`` or ``response``); ``*`` or ``[*]`` matches any key or list
item and ``[n]`` one item; a leading ``$.`` is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec

from switchboard.dataplane.openai_types import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    EmbeddingRequest,
    EmbeddingResponse,
)

__all__ = [
    "REDACTED",
    "Recording",
    "RecordingSettings",
    "StreamTranscript",
    "answer_payload",
    "parse_path",
    "redact",
    "request_payload",
    "scrub_secrets",
]

REDACTED = "[REDACTED]"

PayloadMode = Literal["off", "metadata", "full"]

_WILDCARD = object()
_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\*|\d+)\]")

# Credentials as their issuers format them; matched anywhere inside a string.
_SECRET = re.compile(
    r"sk-[A-Za-z0-9_-]{16,}"  # OpenAI, Anthropic (sk-ant-), Switchboard keys (sk-sb-)
    r"|gsk_[A-Za-z0-9]{20,}"  # Groq
    r"|AIza[0-9A-Za-z_-]{30,}"  # Google API keys
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}"  # AWS access key ids
    r"|gh[pousr]_[A-Za-z0-9]{30,}"  # GitHub tokens
    r"|xox[abpr]-[A-Za-z0-9-]{10,}"  # Slack tokens
    r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"  # JWTs
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{16,}"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"
)
_SECRET_KEYS = frozenset(
    {
        "password",
        "passwd",
        "secret",
        "clientsecret",
        "apikey",
        "xapikey",
        "token",
        "accesstoken",
        "refreshtoken",
        "authorization",
        "credentials",
        "privatekey",
        "secretaccesskey",
        "sessiontoken",
    }
)


def _secret_key(name: str) -> bool:
    return name.replace("_", "").replace("-", "").lower() in _SECRET_KEYS


Path = tuple[object, ...]
"""A parsed redaction path: keys (``str``), list indexes (``int``) and the wildcard."""


def parse_path(text: str) -> Path:
    """``request.messages[*].content`` → ``("request", "messages", *, "content")``.

    Raises :class:`ValueError` naming what is wrong with ``text``.
    """
    body = text.strip()
    if body.startswith("$."):
        body = body[2:]
    if not body:
        raise ValueError("an empty path")
    segments: list[object] = []
    position = 0
    while position < len(body):
        if body[position] == "." and segments and position + 1 < len(body):
            position += 1
        match = _SEGMENT.match(body, position)
        if match is None:
            raise ValueError(f"cannot read {text!r} at character {position + 1}")
        name, index = match.groups()
        if name is not None:
            segments.append(_WILDCARD if name == "*" else name)
        else:
            segments.append(_WILDCARD if index == "*" else int(index))
        position = match.end()
    return tuple(segments)


class RecordingSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    """An environment's ``recording`` value as the API takes and returns it."""

    payload: PayloadMode = "metadata"
    redact_paths: list[str] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        for number, path in enumerate(self.redact_paths):
            try:
                parse_path(path)
            except ValueError as exc:
                raise ValueError(f"{exc} - at `$.redactPaths[{number}]`") from None


@dataclass(frozen=True)
class Recording:
    """An environment's payload capture, ready for the hot path (paths parsed once)."""

    payload: PayloadMode = "metadata"
    paths: tuple[Path, ...] = field(default=())

    @classmethod
    def from_stored(cls, raw: dict[str, Any] | None) -> Recording:
        """The capture of a stored ``recording`` value (validated when it was saved)."""
        settings = msgspec.convert(raw or {}, RecordingSettings)
        return cls(settings.payload, tuple(parse_path(p) for p in settings.redact_paths))


# -- metadata ----------------------------------------------------------------------------------


def _set(value: object) -> bool:
    return value is not msgspec.UNSET and value is not None


def _chat_metadata(request: ChatCompletionRequest) -> dict[str, Any]:
    roles: dict[str, int] = {}
    for message in request.messages:
        roles[message.role] = roles.get(message.role, 0) + 1
    shape: dict[str, Any] = {"model": request.model, "messages": len(request.messages)}
    shape["roles"] = roles
    for name in (
        "stream",
        "max_tokens",
        "max_completion_tokens",
        "temperature",
        "top_p",
        "n",
        "seed",
        "presence_penalty",
        "frequency_penalty",
        "reasoning_effort",
        "service_tier",
        "parallel_tool_calls",
        "tool_choice",
        "user",
        "metadata",
    ):
        value = getattr(request, name)
        if _set(value):
            shape[name] = value
    # The only free text metadata keeps: scrubbed here, so the rest needs no walk.
    for name in ("user", "metadata"):
        if name in shape:
            shape[name] = scrub_secrets(shape[name])
    if isinstance(request.tools, list):
        shape["tools"] = [tool.function.name for tool in request.tools]
    if isinstance(request.response_format, dict):
        shape["response_format"] = request.response_format.get("type")
    return shape


def _embedding_metadata(request: EmbeddingRequest) -> dict[str, Any]:
    inputs = request.input
    count = (
        1 if isinstance(inputs, str) or not inputs or isinstance(inputs[0], int) else len(inputs)
    )
    shape: dict[str, Any] = {"model": request.model, "inputs": count}
    for name in ("encoding_format", "dimensions", "user"):
        value = getattr(request, name)
        if _set(value):
            shape[name] = value
    if "user" in shape:
        shape["user"] = scrub_secrets(shape["user"])
    return shape


def request_payload(
    mode: PayloadMode, body: bytes, request: ChatCompletionRequest | EmbeddingRequest
) -> dict[str, Any] | None:
    """The ``request`` part of a record's payload in ``mode`` (``None`` when off)."""
    if mode == "off":
        return None
    if mode == "full":
        try:
            return {"request": msgspec.json.decode(body)}
        except msgspec.DecodeError:
            return {"request": body.decode("utf-8", "replace")}
    if isinstance(request, EmbeddingRequest):
        return {"request": _embedding_metadata(request)}
    return {"request": _chat_metadata(request)}


def answer_payload(mode: PayloadMode, answer: ChatCompletion | EmbeddingResponse) -> Any:
    """The ``response`` part of a record's payload for a complete answer."""
    if mode == "full":
        return msgspec.to_builtins(answer)
    if isinstance(answer, EmbeddingResponse):
        return {"embeddings": len(answer.data)}
    return {
        "id": answer.id,
        "model": answer.model,
        "finish_reasons": [choice.finish_reason for choice in answer.choices],
        "tool_calls": [
            call.function.name
            for choice in answer.choices
            if isinstance(choice.message.tool_calls, list)
            for call in choice.message.tool_calls
            if not isinstance(call.function, msgspec.UnsetType)
        ],
    }


class StreamTranscript:
    """A stream's chunks put back together per choice, for the record's ``response``."""

    def __init__(self, mode: PayloadMode) -> None:
        self.mode = mode
        self.id = ""
        self.model = ""
        self._choices: dict[int, dict[str, Any]] = {}

    def feed(self, chunk: ChatCompletionChunk) -> None:
        """Add one chunk."""
        self.id, self.model = chunk.id, chunk.model
        for part in chunk.choices:
            choice = self._choices.setdefault(
                part.index, {"index": part.index, "content": "", "tool_calls": {}}
            )
            delta = part.delta
            if isinstance(delta.content, str) and self.mode == "full":
                choice["content"] += delta.content
            if isinstance(delta.tool_calls, list):
                for call in delta.tool_calls:
                    self._tool_call(choice["tool_calls"], call)
            if part.finish_reason is not None:
                choice["finish_reason"] = part.finish_reason

    def _tool_call(self, calls: dict[int, dict[str, str]], call: Any) -> None:
        index = call.index if isinstance(call.index, int) else len(calls)
        known = calls.setdefault(index, {"id": "", "name": "", "arguments": ""})
        if isinstance(call.id, str):
            known["id"] = call.id
        function = call.function
        if not isinstance(function, msgspec.UnsetType):
            if isinstance(function.name, str):
                known["name"] += function.name
            if isinstance(function.arguments, str) and self.mode == "full":
                known["arguments"] += function.arguments

    def result(self) -> dict[str, Any]:
        """The answer as captured so far."""
        choices = [self._choices[i] for i in sorted(self._choices)]
        if self.mode == "full":
            return {
                "id": self.id,
                "model": self.model,
                "choices": [
                    {**c, "tool_calls": [c["tool_calls"][i] for i in sorted(c["tool_calls"])]}
                    for c in choices
                ],
            }
        return {
            "id": self.id,
            "model": self.model,
            "finish_reasons": [c.get("finish_reason") for c in choices],
            "tool_calls": [
                call["name"] for c in choices for _, call in sorted(c["tool_calls"].items())
            ],
        }


# -- redaction -----------------------------------------------------------------------------------


def redact(payload: dict[str, Any], paths: Iterable[Path], *, scrub: bool) -> None:
    """Replace what ``paths`` name in ``payload``, then, with ``scrub``, anything that looks
    like a secret (metadata payloads are scrubbed as they are made: they hold little text)."""
    for path in paths:
        _redact_path(payload, path)
    if scrub:
        for key, value in payload.items():
            payload[key] = scrub_secrets(value)


def _redact_path(node: Any, path: Path) -> None:
    if not path:
        return
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        keys = list(node) if head is _WILDCARD else [head] if head in node else []
        for key in keys:
            if rest:
                _redact_path(node[key], rest)
            else:
                node[key] = REDACTED
    elif isinstance(node, list):
        if head is _WILDCARD:
            indexes: Iterable[int] = range(len(node))
        elif isinstance(head, int) and head < len(node):
            indexes = (head,)
        else:
            indexes = ()
        for index in indexes:
            if rest:
                _redact_path(node[index], rest)
            else:
                node[index] = REDACTED


def scrub_secrets(value: Any) -> Any:
    """``value`` with every credential-looking string, and every value under a key named
    like a credential, replaced by ``"[REDACTED]"`` (containers are changed in place)."""
    if isinstance(value, str):
        return _SECRET.sub(REDACTED, value) if _maybe_secret(value) else value
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = REDACTED if _secret_key(str(key)) else scrub_secrets(item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            value[index] = scrub_secrets(item)
    return value


def _maybe_secret(text: str) -> bool:
    """A cheap pre-check: every secret pattern has one of these somewhere."""
    return len(text) >= 16 and (
        "sk-" in text
        or "gsk_" in text
        or "AIza" in text
        or "AKIA" in text
        or "ASIA" in text
        or "gh" in text
        or "xox" in text
        or "eyJ" in text
        or "earer" in text
        or "-----" in text
    )
