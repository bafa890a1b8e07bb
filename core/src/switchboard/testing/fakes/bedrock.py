"""A fake Amazon Bedrock Runtime (and the STS AssumeRole it needs), checked with boto3.

Answers ``POST /model/{modelId}/converse`` (JSON), ``.../converse-stream`` (AWS event-stream
binary framing, ``application/vnd.amazon.eventstream``) and ``.../invoke`` (Titan Text
Embeddings V2), and STS ``AssumeRole`` (``POST /`` with a form body, XML answer).

Like AWS, it verifies every SigV4 signature: it recomputes it with botocore from the request
it received (the raw, still percent-encoded path; the signed headers; the body) and the
secret it knows, for the signing name ``bedrock`` (``sts`` for STS) and its Region. A wrong
secret, service, Region or canonical URI is refused with AWS's own 403 body. Temporary
credentials handed out by AssumeRole are accepted, with their session token, until they
expire. Converse bodies Bedrock would refuse (turns that do not alternate, blank text, tool
blocks without ``toolConfig``, ...) get its 400 ``ValidationException``.

Builders make native answers: :meth:`BedrockFake.converse`, event-stream messages
(:func:`event`, :func:`exception_event`, :meth:`BedrockFake.text_events`,
:meth:`BedrockFake.tool_events`), :meth:`BedrockFake.stream`, :meth:`BedrockFake.error`,
:meth:`BedrockFake.embedding` and :meth:`BedrockFake.sts_error`.
"""

from __future__ import annotations

import asyncio
import contextvars
import hmac
import json
import re
import secrets
import struct
import uuid
import zlib
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from switchboard.testing.fakes.base import FakeServer, RecordedRequest, Reply

__all__ = [
    "EVENT_STREAM",
    "BedrockFake",
    "encode_message",
    "event",
    "exception_event",
    "model_of",
]

EVENT_STREAM = "application/vnd.amazon.eventstream"
_STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
_MAX_CLOCK_SKEW = timedelta(minutes=15)
_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, ?SignedHeaders=(?P<signed>[^,]+), ?"
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)
_MODEL_PATH = re.compile(r"^/model/(?P<model>.+)/(?P<operation>converse|converse-stream|invoke)$")
_TOOL_USE_ID = re.compile(r"^[a-zA-Z0-9_.:-]{1,64}$")
_REFORMAT = ", please reformat your input and try again."

# The raw request target of the request being handled (aiohttp's ``request.path`` is
# decoded, and SigV4 signs the encoded one); why authorization failed, for the reply.
_raw_target: contextvars.ContextVar[str] = contextvars.ContextVar("raw_target", default="/")
_refusal: contextvars.ContextVar[Reply | None] = contextvars.ContextVar("refusal", default=None)


# -- event-stream framing ------------------------------------------------------------------------


def _header_bytes(name: str, value: str | bytes | bool | int) -> bytes:
    encoded_name = name.encode()
    head = struct.pack("B", len(encoded_name)) + encoded_name
    if isinstance(value, bool):
        return head + struct.pack("B", 0 if value else 1)
    if isinstance(value, int):
        return head + struct.pack(">Bi", 4, value)
    raw = value if isinstance(value, bytes) else value.encode()
    return head + struct.pack(">BH", 6 if isinstance(value, bytes) else 7, len(raw)) + raw


def encode_message(headers: Mapping[str, str | bytes | bool | int], payload: bytes) -> bytes:
    """One AWS event-stream message: prelude (total and headers length, CRC32), headers,
    payload, and the CRC32 of everything before it; integers big-endian."""
    header_block = b"".join(_header_bytes(name, value) for name, value in headers.items())
    total = 12 + len(header_block) + len(payload) + 4
    prelude = struct.pack(">II", total, len(header_block))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + header_block + payload
    return message + struct.pack(">I", zlib.crc32(message))


def _json_payload(payload: Mapping[str, Any]) -> bytes:
    # Bedrock pads event payloads with a "p" member of random length; clients ignore it.
    return json.dumps({**payload, "p": "abcdefghijklmnopqrstuvwxyzABCDEFGH"}).encode()


def event(event_type: str, payload: Mapping[str, Any]) -> bytes:
    """An event message (``messageStart``, ``contentBlockDelta``, ``metadata``, ...)."""
    return encode_message(
        {
            ":event-type": event_type,
            ":content-type": "application/json",
            ":message-type": "event",
        },
        _json_payload(payload),
    )


def exception_event(exception_type: str, message: str, **fields: Any) -> bytes:
    """An exception message inside a stream; ``exception_type`` is camelCase
    (``throttlingException``, ``modelStreamErrorException``)."""
    return encode_message(
        {
            ":exception-type": exception_type,
            ":content-type": "application/json",
            ":message-type": "exception",
        },
        json.dumps({"message": message, **fields}).encode(),
    )


# -- the server --------------------------------------------------------------------------------


@dataclass
class _Key:
    secret: str
    session_token: str | None = None
    expires: datetime | None = None


class BedrockFake(FakeServer):
    """Bedrock Runtime's Converse, ConverseStream and InvokeModel, plus STS AssumeRole."""

    def __init__(
        self,
        access_key_id: str = "AKIAFAKEBEDROCK00001",
        secret_access_key: str = "fake-bedrock-secret-access-key-0001",  # noqa: S107 (a fake)
        *,
        region: str = "us-east-1",
        model: str = "anthropic.claude-3-5-haiku-20241022-v1:0",
    ) -> None:
        super().__init__()
        self.region = region
        self.model = model
        self.keys: dict[str, _Key] = {access_key_id: _Key(secret_access_key)}
        #: How long AssumeRole's temporary credentials last, in seconds.
        self.role_duration = 3600
        #: Seconds STS waits before answering (a slow STS must not stall the gateway).
        self.sts_delay = 0.0
        self.sts_requests: list[RecordedRequest] = []
        self.sts_replies: deque[Reply] = deque()

    def add_key(
        self, access_key_id: str, secret_access_key: str, session_token: str | None = None
    ) -> None:
        """Accept another access key (with the session token of temporary credentials)."""
        self.keys[access_key_id] = _Key(secret_access_key, session_token)

    @property
    def assumed_roles(self) -> list[dict[str, str]]:
        """The AssumeRole calls received: ``RoleArn``, ``RoleSessionName``, ``ExternalId``."""
        return [
            {k: v[0] for k, v in parse_qs(r.body.decode()).items() if k != "Action"}
            for r in self.sts_requests
        ]

    # -- authorization ---------------------------------------------------------------------

    def authorized(self, request: RecordedRequest) -> bool:
        # Besides the signature, the body: this is the one check the base server makes
        # before it takes a scripted reply, and Bedrock refuses invalid bodies with a 400.
        refusal = self._signature_refusal(request, "bedrock")
        if refusal is None:
            refusal = self._validation_refusal(request)
        _refusal.set(refusal)
        return refusal is None

    def unauthorized_reply(self) -> Reply:
        refusal = _refusal.get()
        if refusal is not None:
            return refusal
        return self.error(
            403, "MissingAuthenticationTokenException", "Missing Authentication Token"
        )

    def _signature_refusal(self, request: RecordedRequest, service: str) -> Reply | None:
        """``None`` when the SigV4 signature is AWS-valid, else AWS's 403 for the request."""
        refuse = self.error if service == "bedrock" else _sts_auth_error
        authorization = request.header("authorization")
        if not authorization:
            return refuse(
                403, "MissingAuthenticationTokenException", "Missing Authentication Token"
            )
        found = _AUTHORIZATION.match(authorization)
        if found is None:
            return refuse(
                403,
                "IncompleteSignatureException",
                f"Authorization header requires 'Credential', 'Signature' and 'SignedHeaders'. "
                f"Authorization={authorization[:40]}",
            )
        key = self.keys.get(found["key"])
        token = request.header("x-amz-security-token")
        if key is None or key.session_token != token:
            return refuse(
                403,
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            )
        if found["service"] != service:
            return refuse(
                403,
                "InvalidSignatureException",
                f"Credential should be scoped to correct service: '{service}'. ",
            )
        if found["region"] != self.region:
            return refuse(
                403, "InvalidSignatureException", "Credential should be scoped to a valid region. "
            )
        amz_date = request.header("x-amz-date") or ""
        try:
            signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            return refuse(403, "IncompleteSignatureException", "X-Amz-Date is missing or invalid")
        now = datetime.now(UTC)
        if abs(now - signed_at) > _MAX_CLOCK_SKEW or not amz_date.startswith(found["date"]):
            return refuse(
                403,
                "InvalidSignatureException",
                f"Signature expired: {amz_date} is now earlier than "
                f"{(now - _MAX_CLOCK_SKEW).strftime('%Y%m%dT%H%M%SZ')}",
            )
        if key.expires is not None and now >= key.expires:
            return refuse(
                403,
                "ExpiredTokenException",
                "The security token included in the request is expired",
            )
        expected = self._signature(request, found, key, service, amz_date)
        if not hmac.compare_digest(expected, found["signature"]):
            return refuse(
                403,
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. "
                "Check your AWS Secret Access Key and signing method. Consult the service "
                "documentation for details.",
            )
        return None

    def _signature(
        self,
        request: RecordedRequest,
        found: re.Match[str],
        key: _Key,
        service: str,
        amz_date: str,
    ) -> str:
        """The signature AWS computes: over the raw path, exactly the signed headers."""
        path, _, query = _raw_target.get().partition("?")
        url = f"http://{request.header('host')}{path}" + (f"?{query}" if query else "")
        headers = {name: request.header(name) or "" for name in found["signed"].split(";")}
        signed = AWSRequest(method=request.method, url=url, data=request.body, headers=headers)
        signed.context["timestamp"] = amz_date
        signer = SigV4Auth(
            Credentials(found["key"], key.secret, key.session_token), service, self.region
        )
        canonical = signer.canonical_request(signed)
        return str(signer.signature(signer.string_to_sign(signed, canonical), signed))

    def _validation_refusal(self, request: RecordedRequest) -> Reply | None:
        found = _MODEL_PATH.match(request.path)
        if request.method != "POST" or found is None:
            return self.error(404, "UnknownOperationException", "")
        try:
            body = request.json
        except ValueError:
            return self.error(400, "SerializationException", "Unexpected character in the body")
        problem = (
            _titan_problem(body) if found["operation"] == "invoke" else _converse_problem(body)
        )
        return None if problem is None else self.error(400, "ValidationException", problem)

    # -- serving ---------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        _raw_target.set(request.raw_path)
        if request.method == "POST" and request.path == "/":
            return await self._sts(request)
        return await super()._handle(request)

    async def _sts(self, request: web.Request) -> web.StreamResponse:
        """STS AssumeRole: new temporary credentials this fake then accepts."""
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=await request.read(),
        )
        self.sts_requests.append(recorded)
        if self.sts_delay:
            await asyncio.sleep(self.sts_delay)
        reply = self._signature_refusal(recorded, "sts")
        if reply is None:
            reply = self.sts_replies.popleft() if self.sts_replies else self._assume_role(recorded)
        return web.Response(
            status=reply.status,
            body=reply.body,
            headers=reply.headers,
            content_type=reply.content_type,
        )

    def _assume_role(self, request: RecordedRequest) -> Reply:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if form.get("Action") != "AssumeRole" or "RoleArn" not in form:
            return self.sts_error(400, "InvalidAction", "Could not find operation")
        access_key_id = "ASIA" + secrets.token_hex(8).upper()
        secret = secrets.token_urlsafe(30)
        token = secrets.token_urlsafe(60)
        expires = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=self.role_duration)
        self.keys[access_key_id] = _Key(secret, token, expires)
        role = form["RoleArn"].rsplit("/", 1)[-1]
        session = form.get("RoleSessionName", "session")
        account = form["RoleArn"].split(":")[4]
        body = (
            f'<AssumeRoleResponse xmlns="{_STS_NAMESPACE}"><AssumeRoleResult>'
            f"<Credentials><AccessKeyId>{access_key_id}</AccessKeyId>"
            f"<SecretAccessKey>{secret}</SecretAccessKey><SessionToken>{token}</SessionToken>"
            f"<Expiration>{expires.strftime('%Y-%m-%dT%H:%M:%SZ')}</Expiration></Credentials>"
            f"<AssumedRoleUser><AssumedRoleId>AROAFAKE:{session}</AssumedRoleId>"
            f"<Arn>arn:aws:sts::{account}:assumed-role/{role}/{session}</Arn></AssumedRoleUser>"
            f"</AssumeRoleResult><ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId>"
            f"</ResponseMetadata></AssumeRoleResponse>"
        )
        return Reply(body=body.encode(), content_type="text/xml")

    def default_reply(self, request: RecordedRequest) -> Reply:
        found = _MODEL_PATH.match(request.path)
        operation = found["operation"] if found else ""
        if operation == "converse-stream":
            return self.stream(
                self.text_events(["Hello", " from the fake."], input_tokens=10, output_tokens=5)
            )
        if operation == "invoke":
            text = str(request.json["inputText"])
            # Distinct, deterministic vectors: the tests can tell which input is which.
            return self.embedding([len(text) / 100, 0.5, -0.5], tokens=len(text.split()))
        return self.converse("Hello from the fake.")

    # -- builders ---------------------------------------------------------------------------

    @staticmethod
    def _request_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
        return {"x-amzn-RequestId": str(uuid.uuid4()), **(headers or {})}

    def converse(
        self,
        text: str | None,
        *,
        tool_uses: list[dict[str, Any]] | None = None,
        stop_reason: str = "end_turn",
        input_tokens: int = 10,
        output_tokens: int = 5,
        cache_read_tokens: int | None = None,
        cache_write_tokens: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """A Converse answer: ``text`` and ``toolUse`` blocks (``{toolUseId, name, input}``)."""
        content: list[dict[str, Any]] = [{"text": text}] if text is not None else []
        content += [{"toolUse": tool_use} for tool_use in tool_uses or []]
        return Reply(
            json={
                "output": {"message": {"role": "assistant", "content": content}},
                "stopReason": stop_reason,
                "usage": _usage(input_tokens, output_tokens, cache_read_tokens, cache_write_tokens),
                "metrics": {"latencyMs": 321},
            },
            headers=self._request_headers(headers),
        )

    def text_events(
        self,
        pieces: list[str],
        *,
        stop_reason: str = "end_turn",
        input_tokens: int = 10,
        output_tokens: int = 5,
        cache_read_tokens: int | None = None,
        cache_write_tokens: int | None = None,
    ) -> list[bytes]:
        """A whole ConverseStream answering text: start, one delta per piece, stop, usage."""
        return [
            event("messageStart", {"role": "assistant"}),
            *(
                event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": piece}})
                for piece in pieces
            ),
            event("contentBlockStop", {"contentBlockIndex": 0}),
            event("messageStop", {"stopReason": stop_reason}),
            self.metadata_event(input_tokens, output_tokens, cache_read_tokens, cache_write_tokens),
        ]

    def tool_events(
        self,
        *,
        tool_use_id: str,
        name: str,
        input_pieces: list[str],
        text: str | None = None,
        input_tokens: int = 20,
        output_tokens: int = 10,
    ) -> list[bytes]:
        """A whole ConverseStream calling one tool, after an optional text block (so the
        tool block's ``contentBlockIndex`` is 1)."""
        index = 0 if text is None else 1
        events = [event("messageStart", {"role": "assistant"})]
        if text is not None:
            events += [
                event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": text}}),
                event("contentBlockStop", {"contentBlockIndex": 0}),
            ]
        events.append(
            event(
                "contentBlockStart",
                {
                    "contentBlockIndex": index,
                    "start": {"toolUse": {"toolUseId": tool_use_id, "name": name}},
                },
            )
        )
        events += [
            event(
                "contentBlockDelta",
                {"contentBlockIndex": index, "delta": {"toolUse": {"input": piece}}},
            )
            for piece in input_pieces
        ]
        events += [
            event("contentBlockStop", {"contentBlockIndex": index}),
            event("messageStop", {"stopReason": "tool_use"}),
            self.metadata_event(input_tokens, output_tokens),
        ]
        return events

    @staticmethod
    def metadata_event(
        input_tokens: int,
        output_tokens: int,
        cache_read_tokens: int | None = None,
        cache_write_tokens: int | None = None,
    ) -> bytes:
        """The ``metadata`` event ending a stream: usage and metrics."""
        usage = _usage(input_tokens, output_tokens, cache_read_tokens, cache_write_tokens)
        return event("metadata", {"usage": usage, "metrics": {"latencyMs": 321}})

    def stream(
        self,
        events: list[bytes],
        *,
        cut_after: int | None = None,
        event_delay: float = 0.0,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """A ConverseStream answer made of already framed ``events``."""
        return Reply(
            events=events,
            content_type=EVENT_STREAM,
            cut_after=cut_after,
            event_delay=event_delay,
            headers=self._request_headers(headers),
        )

    def embedding(self, vector: list[float], *, tokens: int) -> Reply:
        """Titan Text Embeddings V2's answer for one text."""
        return Reply(
            json={
                "embedding": vector,
                "inputTextTokenCount": tokens,
                "embeddingsByType": {"float": vector},
            },
            headers=self._request_headers(None),
        )

    @staticmethod
    def error(
        status: int, error_type: str, message: str, *, headers: Mapping[str, str] | None = None
    ) -> Reply:
        """Bedrock's error: ``{"message"}`` with the name in ``x-amzn-ErrorType``, suffixed
        like AWS's front end does (clients strip what follows ``:``)."""
        return Reply(
            status=status,
            json={"message": message},
            headers={
                "x-amzn-RequestId": str(uuid.uuid4()),
                "x-amzn-ErrorType": f"{error_type}:http://internal.amazon.com/coral/com.amazon.bedrock/",
                **(headers or {}),
            },
        )

    @staticmethod
    def sts_error(status: int, code: str, message: str) -> Reply:
        """STS's XML error (``AccessDenied``, ``ExpiredToken``, ``Throttling``, ...)."""
        body = (
            f'<ErrorResponse xmlns="{_STS_NAMESPACE}"><Error><Type>Sender</Type>'
            f"<Code>{code}</Code><Message>{message}</Message></Error>"
            f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
        )
        return Reply(status=status, body=body.encode(), content_type="text/xml")


def _sts_auth_error(status: int, error_type: str, message: str) -> Reply:
    """A signature failure as STS words it."""
    codes = {
        "MissingAuthenticationTokenException": "MissingAuthenticationToken",
        "UnrecognizedClientException": "InvalidClientTokenId",
        "InvalidSignatureException": "SignatureDoesNotMatch",
        "IncompleteSignatureException": "IncompleteSignature",
        "ExpiredTokenException": "ExpiredToken",
    }
    return BedrockFake.sts_error(status, codes.get(error_type, error_type), message)


def _usage(
    input_tokens: int, output_tokens: int, cache_read: int | None, cache_write: int | None
) -> dict[str, int]:
    # Bedrock's inputTokens leaves cache reads and writes out; totalTokens counts them.
    usage = {"inputTokens": input_tokens, "outputTokens": output_tokens}
    if cache_read is not None:
        usage["cacheReadInputTokens"] = cache_read
    if cache_write is not None:
        usage["cacheWriteInputTokens"] = cache_write
    usage["totalTokens"] = input_tokens + output_tokens + (cache_read or 0) + (cache_write or 0)
    return usage


# -- what Bedrock refuses ------------------------------------------------------------------------


def _converse_problem(body: Any) -> str | None:
    """Bedrock's ValidationException message for a Converse body it refuses, if any."""
    if not isinstance(body, dict) or "modelId" in body:
        return "Malformed input request, please reformat your input and try again."
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or messages[0].get("role") != "user":
        return (
            "A conversation must start with a user message. "
            "Try again with a conversation that starts with a user message."
        )
    uses_tools = False
    for turn, message in enumerate(messages):
        if turn and message.get("role") == messages[turn - 1].get("role"):
            return (
                "A conversation must alternate between user and assistant roles. Make sure the "
                "conversation alternates between user and assistant roles and try again."
            )
        content = message.get("content")
        if not isinstance(content, list) or not content:
            return f"The content field in the Message object at messages.{turn} is empty."
        for position, block in enumerate(content):
            where = f"messages.{turn}.content.{position}"
            if not isinstance(block, dict) or len(block) != 1:
                return f"The ContentBlock object at {where} must set exactly one of its members."
            kind, value = next(iter(block.items()))
            if kind == "text" and not str(value).strip():
                return (
                    f"The text field in the ContentBlock object at {where} is blank. "
                    "Add text to the text field, and try again."
                )
            if kind in ("toolUse", "toolResult"):
                uses_tools = True
                if not _TOOL_USE_ID.match(str(value.get("toolUseId", ""))):
                    return f"Value at '{where}.{kind}.toolUseId' failed to satisfy constraint"
            if kind == "image" and value.get("format") not in ("png", "jpeg", "gif", "webp"):
                return f"Value at '{where}.image.format' failed to satisfy constraint"
    if uses_tools and not body.get("toolConfig"):
        return (
            "The toolConfig field must be defined when using toolUse and toolResult content blocks."
        )
    config = body.get("inferenceConfig") or {}
    for name in ("temperature", "topP"):
        value = config.get(name)
        if value is not None and not 0 <= value <= 1:
            return (
                f"1 validation error detected: Value '{value}' at 'inferenceConfig.{name}' "
                "failed to satisfy constraint: Member must have value less than or equal to 1"
            )
    return None


def _titan_problem(body: Any) -> str | None:
    """The ValidationException message for a Titan V2 body it refuses, if any."""
    if not isinstance(body, dict) or not str(body.get("inputText", "")).strip():
        return "Malformed input request: #: required key [inputText] not found" + _REFORMAT
    extraneous = set(body) - {"inputText", "dimensions", "normalize", "embeddingTypes"}
    if extraneous:
        name = sorted(extraneous)[0]
        return f"Malformed input request: #: extraneous key [{name}] is not permitted" + _REFORMAT
    dimensions = body.get("dimensions", 1024)
    if dimensions not in (256, 512, 1024):
        return f"Malformed input request: #/dimensions: {dimensions} is not a valid enum value" + (
            _REFORMAT
        )
    return None


def model_of(request: RecordedRequest) -> str:
    """The model id a Converse or InvokeModel request named (``request.path`` is decoded)."""
    found = _MODEL_PATH.match(request.path)
    assert found is not None, f"not a Bedrock model path: {request.path}"
    return found["model"]
