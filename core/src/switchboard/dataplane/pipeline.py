"""The request pipeline (DESIGN.md §7): key → resource → authorize → route → attempts.

For each model of the plan the pipeline calls the provider through the connection; a
rate limit, a server error, a timeout or a network failure moves on to the next model, any
other 4xx goes back to the caller as the provider said it. Streams can fall back until
their first chunk is sent. Every request, rejected and failed ones included, ends as one
:class:`RequestRecord` handed to the environment's recorders.

A client that leaves mid-request cancels the request (see :mod:`switchboard.dataplane.asgi`):
the provider call or stream in flight is closed, and the record ends with
:data:`CLIENT_CLOSED_STATUS` and :data:`CLIENT_CLOSED`.

Only this module and :mod:`switchboard.dataplane.routes` run per request; nothing here
touches the database on the hot path (the snapshots of :mod:`runtime` do).
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import msgspec

from switchboard.context import Principal, RequestInfo
from switchboard.dataplane.admission import Admission, CapacityRefused, Refusal
from switchboard.dataplane.capture import (
    REDACTED,
    StreamTranscript,
    answer_payload,
    redact,
    request_payload,
    scrub_secrets,
)
from switchboard.dataplane.config import (
    ApiKeyEntry,
    ConnectionConfig,
    EnvironmentRuntime,
    ResourceConfig,
)
from switchboard.dataplane.key_secrets import hash_api_key
from switchboard.dataplane.openai_types import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    EmbeddingRequest,
    EmbeddingResponse,
    Usage,
)
from switchboard.dataplane.planning import (
    PlannedAttempt,
    RoutePlan,
    count_prompt_tokens,
    estimate_input_tokens,
    plan_attempt,
    plan_route,
)
from switchboard.dataplane.runtime import Runtime
from switchboard.db.models import NAME_LENGTH
from switchboard.errors import BadRequest, Forbidden, GatewayError, NotFound, Unauthorized
from switchboard.interfaces import CapacityExhausted, ProviderCall, ProviderError, Reservation
from switchboard.interfaces.provider import EmbeddingCall, Upstream
from switchboard.plugins.hooks import Hooks
from switchboard.recording import dispatch_record
from switchboard.records import AttemptRecord, RequestRecord
from switchboard.state import Gateway

__all__ = [
    "CLIENT_CLOSED",
    "CLIENT_CLOSED_STATUS",
    "AllAttemptsFailed",
    "Outcome",
    "Pipeline",
    "ProviderRefused",
    "Turn",
    "api_key_of",
]

log = logging.getLogger(__name__)

C = TypeVar("C", bound=Upstream)
T = TypeVar("T")

_QUEUE_POLL_SECONDS = 0.25
_ZERO_TRACE = "0" * 32
_HEX = frozenset("0123456789abcdef")

Slot = tuple[PlannedAttempt, "ConnectionConfig | None"]
"""A model of the plan and one connection to try it on (``None``: no connection can)."""

CLIENT_CLOSED_STATUS = 499
"""The status recorded for a request whose client went away before its answer was complete.

nginx's "client closed request": never sent (nobody is left to read it), only recorded. A 4xx
because the caller ended it: usage counts it among the errors as it does every 4xx, tracing
does not mark it a server failure (a 200 with an error class would read as a broken stream),
and Prometheus counts it as ``requests_total{status="499"}`` and
``errors_total{error_class="client_closed_request"}``. The provider's attempt keeps its own
outcome (``ok`` for a stream that was flowing, ``cancelled`` for a call still waiting), so
error-rate routing never blames a provider for a caller who left.
"""

CLIENT_CLOSED = "client_closed_request"
"""The ``error_class`` of a request (and of its cancelled attempt) whose client went away."""

_CLIENT_CLOSED_MESSAGE = "the client closed the connection before the answer was complete"


class ProviderRefused(GatewayError):
    """A provider's own 4xx (other than 429), returned to the caller as the provider said it."""

    def __init__(self, error: ProviderError) -> None:
        super().__init__(error.message, param=error.param, code=error.code)
        self.status_code = error.status or 400
        self.error_type = error.error_type or "invalid_request_error"


class AllAttemptsFailed(GatewayError):
    """Every model of the chain failed; the message says what each attempt got."""

    def __init__(self, status: int, message: str, retry_after: float | None) -> None:
        # Rounded up: retrying before the provider's limit resets only fails again.
        headers = {"retry-after": str(max(1, math.ceil(retry_after)))} if retry_after else None
        super().__init__(message, code="all_attempts_failed", headers=headers)
        self.status_code = status
        self.error_type = "rate_limit_error" if status == 429 else "api_error"


def api_key_of(info: RequestInfo) -> str | None:
    """The caller's key: ``Authorization: Bearer <key>`` or ``x-api-key: <key>``."""
    header = info.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return info.headers.get("x-api-key") or None


@dataclass
class Outcome:
    """What a request became: for the response headers and the request record."""

    record: RequestRecord
    started: float
    attempt: PlannedAttempt | None = None
    connection: ConnectionConfig | None = None
    dropped_params: list[str] = field(default_factory=list)
    admission: Admission | None = None
    prompt_tokens: int | None = None
    """The prompt's counted tokens, once counted (by routing or for a reservation)."""
    transcript: StreamTranscript | None = None
    """A stream's answer as it is relayed, when the environment captures payloads."""

    def note_error(self, error: GatewayError) -> None:
        """The request ends with ``error``: its class and message go into the record,
        unless a provider's failure already says more (the last attempt's class)."""
        record = self.record
        if record.error_class is None:
            record.error_class = error.code or error.error_type
            record.error_message = error.message

    def note_client_closed(self) -> None:
        """The client went away before the answer was complete: that, and no earlier
        attempt's failure, is how the request ended."""
        self.record.error_class = CLIENT_CLOSED
        self.record.error_message = _CLIENT_CLOSED_MESSAGE

    def headers(self) -> dict[str, str]:
        """The ``x-switchboard-*`` and ``x-ratelimit-*`` headers of the answer."""
        headers = {
            "x-switchboard-route": self.record.route or "",
            "x-switchboard-attempts": str(len(self.record.attempts)),
        }
        if self.attempt is not None and self.connection is not None:
            headers["x-switchboard-provider"] = self.attempt.model.provider
            headers["x-switchboard-model"] = self.attempt.model.model
            headers["x-switchboard-connection"] = self.connection.name
        if self.dropped_params:
            headers["x-switchboard-dropped-params"] = ",".join(self.dropped_params)
        if self.admission is not None and self.admission.usage:
            headers.update(self.admission.headers())
        return headers


@dataclass(frozen=True, slots=True)
class Turn(Generic[C]):
    """An attempt whose capacity is reserved: position in the plan, model, connection, the
    call, the reservation (``None``: nothing limits it) and when it started."""

    index: int
    attempt: PlannedAttempt
    connection: ConnectionConfig
    call: C
    reservation: Reservation | None
    started: float
    capacity_ms: float = 0.0


def _at_most(text: str | None, length: int) -> str | None:
    return text if text is None or len(text) <= length else text[:length]


def _thousandths(value: float) -> float:
    """``value`` to three decimals. Not ``round(value, 3)``: that rounds through a decimal
    conversion, four times slower, and a request rounds a dozen numbers."""
    return math.floor(value * 1000 + 0.5) / 1000


def _ms(seconds: float) -> float:
    """``seconds`` as milliseconds, to the microsecond."""
    return _thousandths(seconds * 1000)


def _ms_since(moment: float) -> float:
    """Milliseconds from ``moment`` (a ``perf_counter`` reading) to now."""
    return _ms(time.perf_counter() - moment)


def _call_record(
    turn: Turn[Any],
    outcome: Outcome,
    result: str,
    latency_ms: float,
    *,
    status: int | None = None,
    error_class: str | None = None,
    error_message: str | None = None,
) -> AttemptRecord:
    """The record of ``turn``'s provider call, which ended as ``result``."""
    model = turn.attempt.model
    return AttemptRecord(
        provider=model.provider,
        model=model.model,
        connection_id=turn.connection.id,
        connection_name=turn.connection.name,
        outcome=result,
        status=status,
        error_class=error_class,
        error_message=error_message,
        latency_ms=latency_ms,
        started_ms=_ms(turn.started - outcome.started),
        capacity_ms=turn.capacity_ms,
    )


def trace_id_of(traceparent: str | None) -> str:
    """The trace id of a W3C ``traceparent`` header, or a new random one.

    A malformed header (wrong length, not hex, the all-zero id) starts a new trace, as the
    W3C Trace Context recommendation asks.
    """
    if traceparent is not None and len(traceparent) >= 55 and traceparent[2] == "-":
        trace_id = traceparent[3:35].lower()
        if trace_id != _ZERO_TRACE and all(c in _HEX for c in trace_id):
            return trace_id
    return f"{random.getrandbits(128):032x}"


def _without_credentials(message: str, connection: ConnectionConfig) -> str:
    """``message`` with the connection's own credential values masked: providers echo what
    they were sent, and a short key escapes the shape-based scrubbing of the record."""
    credentials = connection.credentials
    if not isinstance(credentials, msgspec.Struct):
        return message
    for value in msgspec.structs.asdict(credentials).values():
        if isinstance(value, str) and len(value) >= 4 and value in message:
            message = message.replace(value, REDACTED)
    return message


def _capture_answer(
    environment: EnvironmentRuntime, outcome: Outcome, answer: ChatCompletion | EmbeddingResponse
) -> None:
    payload = outcome.record.payload
    if payload is not None:
        payload["response"] = answer_payload(environment.recording.payload, answer)


def _generated_characters(chunk: ChatCompletionChunk) -> int:
    """The characters of answer a chunk carries: text, refusals and tool calls."""
    count = 0
    for choice in chunk.choices:
        delta = choice.delta
        if isinstance(delta.content, str):
            count += len(delta.content)
        if isinstance(delta.refusal, str):
            count += len(delta.refusal)
        if isinstance(delta.tool_calls, list):
            for call in delta.tool_calls:
                function = call.function
                if isinstance(function, msgspec.UnsetType):
                    continue
                if isinstance(function.name, str):
                    count += len(function.name)
                if isinstance(function.arguments, str):
                    count += len(function.arguments)
    return count


def _estimated_tokens(characters: int) -> int:
    """Four characters a token, rounded up: the core's estimate (``estimate_tokens``)."""
    return -(-characters // 4)


async def _close_quietly(chunks: AsyncIterator[ChatCompletionChunk]) -> None:
    """Close a provider's stream; a failure to close is logged, never raised, so the
    request is recorded all the same."""
    aclose = getattr(chunks, "aclose", None)
    if aclose is None:
        return
    try:
        await aclose()
    except Exception:
        log.warning("closing a provider's stream failed", exc_info=True)


def _tokens_per_second(record: RequestRecord) -> float | None:
    """Completion tokens over generation time: after the first token when streamed."""
    if record.completion_tokens <= 0 or not record.attempts:
        return None
    spent = record.attempts[-1].latency_ms - (record.time_to_first_token_ms or 0.0)
    if spent <= 0:
        return None
    return _thousandths(record.completion_tokens / (spent / 1000))


def _in_scope(environment: EnvironmentRuntime, workspace: str, name: str) -> bool:
    """Whether ``workspace/name`` (names or ids) is the key's environment."""
    return workspace in (environment.workspace_name, environment.workspace_id) and name in (
        environment.name,
        environment.id,
    )


class Pipeline:
    """Runs data-plane requests for one worker process."""

    def __init__(self, gateway: Gateway, runtime: Runtime) -> None:
        self.gateway = gateway
        self.runtime = runtime

    # -- the steps every endpoint shares ------------------------------------------------------

    def begin(self, info: RequestInfo, endpoint: str) -> Outcome:
        """A fresh outcome for a request to ``endpoint`` that has just arrived."""
        headers = info.headers
        traceparent = headers.get("traceparent")
        return Outcome(
            record=RequestRecord(
                request_id=info.request_id,
                created_at=datetime.now(UTC),
                path=info.path,
                endpoint=endpoint,
                status=0,
                # Cut to what the audit stores: a longer header must not cost the record.
                correlation_id=_at_most(headers.get("x-correlation-id"), NAME_LENGTH),
                traceparent=traceparent,
                tracestate=headers.get("tracestate"),
                trace_id=trace_id_of(traceparent),
                client_ip=info.client_ip,
                user_agent=headers.get("user-agent"),
            ),
            started=time.perf_counter(),
        )

    async def authenticate(
        self, info: RequestInfo, outcome: Outcome, scope: tuple[str, str] | None = None
    ) -> tuple[ApiKeyEntry, Principal, EnvironmentRuntime]:
        """The key, its principal and its environment; 401 for anything wrong with the key."""
        secret = api_key_of(info)
        if secret is None:
            raise Unauthorized(
                "missing API key: send Authorization: Bearer <key> or x-api-key: <key>",
                code="missing_api_key",
            )
        key = await self.runtime.key(hash_api_key(secret))
        if key is None:
            raise Unauthorized("invalid API key", code="invalid_api_key")
        if not key.enabled:
            raise Unauthorized(f"API key {key.name!r} is disabled", code="api_key_disabled")
        if key.expires_at is not None and key.expires_at <= datetime.now(UTC):
            raise Unauthorized(f"API key {key.name!r} has expired", code="api_key_expired")
        environment = await self.runtime.environment(key.environment_id)
        if scope is not None and not _in_scope(environment, *scope):
            raise Unauthorized(
                f"this API key belongs to {environment.workspace_name}/{environment.name}, "
                f"not to {scope[0]}/{scope[1]}",
                code="invalid_api_key",
            )
        principal = Principal(
            kind="api-key",
            id=key.id,
            name=key.name,
            authenticator="api-key",
            environment_id=key.environment_id,
            labels=key.labels,
        )
        record = outcome.record
        record.api_key_id, record.api_key_name = key.id, key.name
        record.environment_id, record.environment_name = environment.id, environment.name
        record.workspace_id = environment.workspace_id
        record.workspace_name = environment.workspace_name
        await environment.plugins.hooks.check_principal(principal=principal, request=info)
        return key, principal, environment

    @staticmethod
    def resource(
        environment: EnvironmentRuntime, key: ApiKeyEntry, name: str, outcome: Outcome
    ) -> ResourceConfig:
        """The AI resource named by the request's ``model``, if this key may call it."""
        resource = environment.resources.get(name)
        if resource is None:
            # The record keeps the name asked for (no id): usage shows what callers tried.
            outcome.record.resource_name = _at_most(name, NAME_LENGTH)
            raise NotFound(
                f"the AI resource {name!r} does not exist in this environment",
                param="model",
                code="model_not_found",
            )
        outcome.record.resource_id = resource.id
        outcome.record.resource_name = resource.name
        if resource.id not in key.resource_ids:
            raise Forbidden(
                f"API key {key.name!r} is not assigned to AI resource {resource.name!r}",
                param="model",
                code="resource_not_assigned",
            )
        return resource

    def capture(
        self,
        environment: EnvironmentRuntime,
        outcome: Outcome,
        body: bytes,
        request: ChatCompletionRequest | EmbeddingRequest,
    ) -> None:
        """Keep what the environment's ``recording`` asks of the request's payload."""
        mode = environment.recording.payload
        outcome.record.payload = request_payload(mode, body, request)
        if mode != "off" and getattr(request, "stream", False) is True:
            outcome.transcript = StreamTranscript(mode)

    def finish(self, environment: EnvironmentRuntime | None, outcome: Outcome, status: int) -> None:
        """Complete the record and hand it to the recorders.

        A request that never reached an environment (a bad key, an unreadable body) goes to
        the recorders every environment has by default.
        """
        record = outcome.record
        record.status = status
        record.latency_ms = _ms_since(outcome.started)
        spent_upstream = sum(a.latency_ms for a in record.attempts)
        record.gateway_latency_ms = _thousandths(max(record.latency_ms - spent_upstream, 0.0))
        record.tokens_per_second = _tokens_per_second(record)
        if record.error_message is not None:
            # Providers echo what they were sent, keys included, in their error messages.
            record.error_message = scrub_secrets(record.error_message)
            for attempt in record.attempts:
                if attempt.error_message is not None:
                    attempt.error_message = scrub_secrets(attempt.error_message)
        registry = self.gateway.registry
        if registry is None:
            return
        if environment is None:
            dispatch_record(record, environment=self.runtime.default_plugins, registry=registry)
            return
        if record.payload is not None:
            if outcome.transcript is not None:
                record.payload["response"] = outcome.transcript.result()
            recording = environment.recording
            redact(record.payload, recording.paths, scrub=recording.payload == "full")
        dispatch_record(record, environment=environment.plugins, registry=registry)

    # -- chat ----------------------------------------------------------------------------------

    def plan(
        self,
        environment: EnvironmentRuntime,
        resource: ResourceConfig,
        request: ChatCompletionRequest,
        principal: Principal,
        info: RequestInfo,
        outcome: Outcome,
    ) -> RoutePlan:
        """Route the request; a block is a 400 naming the rule."""
        began = time.perf_counter()
        plan = plan_route(environment, resource, request, principal, info, self.runtime.error_rates)
        record = outcome.record
        record.routing_started_ms = _ms(began - outcome.started)
        record.routing_ms = _ms_since(began)
        record.route = plan.rule
        record.routing_events = list(plan.events)
        record.stream = request.stream is True
        outcome.prompt_tokens = plan.prompt_tokens
        if plan.blocked_message is not None:
            raise BadRequest(plan.blocked_message, code="blocked_by_routing_condition")
        return plan

    def prepare(
        self,
        environment: EnvironmentRuntime,
        resource: ResourceConfig,
        key: ApiKeyEntry | None,
        principal: Principal,
        request: ChatCompletionRequest | EmbeddingRequest,
        outcome: Outcome,
    ) -> None:
        """Set up the request's capacity (its checks are built per attempt)."""
        runtime = self.runtime
        if isinstance(request, EmbeddingRequest):
            embedding = request

            def count_prompt() -> int:
                return estimate_input_tokens(embedding)

            expected: int | None = 0
        else:
            chat = request

            def count_prompt() -> int:
                if outcome.prompt_tokens is None:  # routing did not need them
                    outcome.prompt_tokens = count_prompt_tokens(
                        environment, chat, resource.model.model
                    )
                return outcome.prompt_tokens

            expected = chat.expected_completion_tokens
        outcome.admission = Admission(
            limiter=environment.limiter,
            environment=environment,
            resource=resource,
            key=key,
            principal=principal,
            count_prompt=count_prompt,
            expected_completion=expected,
            estimates=runtime.estimates,
            discovered=runtime.discovered,
            settlements=runtime.settlements,
        )

    def _chat_call(
        self,
        environment: EnvironmentRuntime,
        attempt: PlannedAttempt,
        connection: ConnectionConfig,
        request: ChatCompletionRequest,
        info: RequestInfo,
    ) -> ProviderCall:
        return ProviderCall(
            request_id=info.request_id,
            connection_id=connection.id,
            connection_name=connection.name,
            model=attempt.model.model,
            request=request,
            settings=connection.settings,
            credentials=connection.credentials,
            timeouts=connection.timeouts,
            http=self.gateway.context.http,
            environment=environment.plugins,
        )

    async def complete(
        self,
        environment: EnvironmentRuntime,
        plan: RoutePlan,
        request: ChatCompletionRequest,
        info: RequestInfo,
        outcome: Outcome,
    ) -> ChatCompletion:
        """Try the plan's attempts in order until one answers."""
        hooks = environment.plugins.hooks

        def make_call(attempt: PlannedAttempt, connection: ConnectionConfig) -> ProviderCall:
            return self._chat_call(environment, attempt, connection, request, info)

        async def invoke(turn: Turn[ProviderCall]) -> ChatCompletion:
            await hooks.before_provider_call(call=turn.call)
            answer = await turn.connection.provider.complete(turn.call)
            await hooks.after_provider_call(call=turn.call, response=answer)
            return answer

        turn, answer = await self._attempts(plan, outcome, make_call, invoke)
        if isinstance(answer.usage, Usage):
            self._usage(outcome, turn, answer.usage.prompt_tokens, answer.usage)
        _capture_answer(environment, outcome, answer)
        return answer

    async def stream(
        self,
        environment: EnvironmentRuntime,
        plan: RoutePlan,
        request: ChatCompletionRequest,
        info: RequestInfo,
        outcome: Outcome,
    ) -> AsyncGenerator[ChatCompletionChunk, None]:
        """The chunks of the first attempt that starts answering; falls back until then.

        Close the stream (``aclose``) when done with it early: that closes the provider's.
        """
        hooks = environment.plugins.hooks
        watch_chunks = hooks.has_stream_chunk_hooks()

        def make_call(attempt: PlannedAttempt, connection: ConnectionConfig) -> ProviderCall:
            return self._chat_call(environment, attempt, connection, request, info)

        async def invoke(
            turn: Turn[ProviderCall],
        ) -> tuple[ChatCompletionChunk, AsyncIterator[ChatCompletionChunk]]:
            await hooks.before_provider_call(call=turn.call)
            chunks = turn.connection.provider.stream(turn.call)
            try:
                first = await anext(chunks)
            except StopAsyncIteration:
                raise ProviderError("server_error", "the provider sent an empty stream") from None
            outcome.record.time_to_first_token_ms = _ms_since(turn.started)
            return first, chunks

        turn, (first, chunks) = await self._attempts(plan, outcome, make_call, invoke)
        return self._relay(first, chunks, turn, outcome, watch_chunks, hooks)

    async def _relay(
        self,
        first: ChatCompletionChunk,
        chunks: AsyncIterator[ChatCompletionChunk],
        turn: Turn[ProviderCall],
        outcome: Outcome,
        watch_chunks: bool,
        hooks: Hooks,
    ) -> AsyncGenerator[ChatCompletionChunk, None]:
        chunk: ChatCompletionChunk | None = first
        started = time.perf_counter()
        usage: Usage | None = None
        transcript = outcome.transcript
        generated = 0  # characters of answer relayed, for when the usage never comes
        abandoned = False
        try:
            while chunk is not None:
                if watch_chunks:
                    hooks.stream_chunk(call=turn.call, chunk=chunk)
                if transcript is not None:
                    transcript.feed(chunk)
                if isinstance(chunk.usage, Usage):
                    usage = chunk.usage
                generated += _generated_characters(chunk)
                yield chunk
                try:
                    chunk = await anext(chunks)
                except StopAsyncIteration:
                    chunk = None
        except (GeneratorExit, asyncio.CancelledError):
            # Closed or cancelled by our reader: the client left (see asgi.py).
            abandoned = True
            raise
        finally:
            # Closing the provider's stream closes its HTTP response, so the provider sees
            # the connection end and stops generating; a stream that ended is closed already.
            await _close_quietly(chunks)
            if usage is not None:
                self._usage(outcome, turn, usage.prompt_tokens, usage)
            elif abandoned:
                # The usage comes last and never came: settle with the gateway's own count
                # of the prompt and of the answer relayed so far.
                prompt = outcome.prompt_tokens
                if prompt is None and outcome.admission is not None:
                    prompt = outcome.admission.count_prompt()
                completion = _estimated_tokens(generated)
                estimate = Usage(
                    prompt_tokens=prompt or 0,
                    completion_tokens=completion,
                    total_tokens=(prompt or 0) + completion,
                )
                self._usage(outcome, turn, estimate.prompt_tokens, estimate, typical=False)
            # Otherwise (the provider broke the stream) the reservation stands as made.
            if outcome.record.attempts:
                outcome.record.attempts[-1].latency_ms += _ms_since(started)

    # -- embeddings ------------------------------------------------------------------------------

    async def embed(
        self,
        environment: EnvironmentRuntime,
        resource: ResourceConfig,
        request: EmbeddingRequest,
        info: RequestInfo,
        outcome: Outcome,
    ) -> EmbeddingResponse:
        """Embeddings through the resource's model chain (routing rules are for chat)."""
        outcome.record.route = "primary"
        plan = RoutePlan(
            rule="primary", attempts=tuple(plan_attempt(environment, m) for m in resource.chain)
        )

        def make_call(attempt: PlannedAttempt, connection: ConnectionConfig) -> EmbeddingCall:
            return EmbeddingCall(
                request_id=info.request_id,
                connection_id=connection.id,
                connection_name=connection.name,
                model=attempt.model.model,
                request=request,
                settings=connection.settings,
                credentials=connection.credentials,
                timeouts=connection.timeouts,
                http=self.gateway.context.http,
                environment=environment.plugins,
            )

        async def invoke(turn: Turn[EmbeddingCall]) -> EmbeddingResponse:
            return await turn.connection.provider.embed(turn.call)

        turn, answer = await self._attempts(plan, outcome, make_call, invoke)
        self._usage(outcome, turn, answer.usage.prompt_tokens, None)
        _capture_answer(environment, outcome, answer)
        return answer

    # -- attempts ----------------------------------------------------------------------------------

    async def _attempts(
        self,
        plan: RoutePlan,
        outcome: Outcome,
        make_call: Callable[[PlannedAttempt, ConnectionConfig], C],
        invoke: Callable[[Turn[C]], Awaitable[T]],
    ) -> tuple[Turn[C], T]:
        """Run the plan: reserve capacity, call, fall back; the turn that answered.

        A refused reservation moves on like a rate limit (a key's or resource's own limit
        ends the request, as no model would help). When nothing could even be reserved and
        the resource has ``maxQueueWait``, the request waits in the resource's line.
        """
        admission = outcome.admission
        assert admission is not None, "prepare() sets up capacity before attempts"
        slots: list[Slot] = []
        for attempt in plan.attempts:
            ordered = self.runtime.headroom.order(attempt.connections, attempt.model.model)
            slots += [(attempt, c) for c in ordered] if ordered else [(attempt, None)]
        failures: list[ProviderError] = []
        index = 0
        lines = self.runtime.wait_lines
        queued = admission.resource.max_queue_wait_ms and lines.busy(admission.resource.id)
        while True:
            if queued:
                turn = await self._wait_in_line(slots, make_call, outcome)
            else:
                turn = await self._admit(slots, index, make_call, outcome)
                if turn is None and not failures and admission.resource.max_queue_wait_ms:
                    turn = await self._wait_in_line(slots, make_call, outcome)
            queued = False
            if turn is None:
                raise self._all_failed(plan, failures, admission, outcome)
            index = turn.index + 1
            try:
                result = await invoke(turn)
            except ProviderError as error:
                await admission.release(turn.reservation)
                self._learn(turn)
                self._failed(turn, error, outcome)
                if not error.falls_back:
                    raise ProviderRefused(error) from None
                failures.append(error)
                continue
            except asyncio.CancelledError:
                # The client left while the call was in flight; cancelling it closed the
                # provider's connection. Nothing was answered: the reservation goes back.
                await admission.release(turn.reservation)
                self._cancelled(turn, outcome)
                raise
            except BaseException:
                await admission.release(turn.reservation)
                raise
            self._learn(turn)
            self._succeeded(turn, outcome)
            return turn, result

    async def _admit(
        self,
        slots: list[Slot],
        start: int,
        make_call: Callable[[PlannedAttempt, ConnectionConfig], C],
        outcome: Outcome,
    ) -> Turn[C] | None:
        """The first slot from ``start`` whose capacity can be reserved, or ``None``."""
        admission = outcome.admission
        assert admission is not None
        for index in range(start, len(slots)):
            attempt, connection = slots[index]
            if connection is None:
                self._skipped(attempt, outcome)
                continue
            call = make_call(attempt, connection)
            reserving = time.perf_counter()
            try:
                reservation = await admission.reserve(call, attempt.model, connection)
            except CapacityExhausted:
                refusal = admission.refusals[-1]
                self._refused(refusal, outcome, _ms_since(reserving))
                if refusal.broad:
                    return None
                continue
            if reservation is not None:
                self.runtime.headroom.note_usage(connection.id, reservation.usage)
            now = time.perf_counter()
            return Turn(index, attempt, connection, call, reservation, now, _ms(now - reserving))
        return None

    async def _wait_in_line(
        self,
        slots: list[Slot],
        make_call: Callable[[PlannedAttempt, ConnectionConfig], C],
        outcome: Outcome,
    ) -> Turn[C] | None:
        """Wait for capacity in the resource's FIFO line, no longer than its ``maxQueueWait``."""
        admission = outcome.admission
        assert admission is not None
        resource = admission.resource
        waited_from = time.perf_counter()
        deadline = outcome.started + (resource.max_queue_wait_ms or 0) / 1000
        lock = await self.runtime.wait_lines.wait_turn(resource.id, deadline - waited_from)
        try:
            while lock is not None:
                mark = len(outcome.record.attempts)
                admission.refusals.clear()
                turn = await self._admit(slots, 0, make_call, outcome)
                remaining = deadline - time.perf_counter()
                if turn is not None or remaining <= 0 or not admission.refusals:
                    return turn
                del outcome.record.attempts[mark:]
                soonest = min(r.exhausted.retry_after for r in admission.refusals)
                # Poll at least every quarter second: a failed call gives capacity back early.
                await asyncio.sleep(min(soonest, remaining, _QUEUE_POLL_SECONDS))
            return None
        finally:
            if lock is not None:
                lock.release()
            outcome.record.queue_wait_ms = _ms_since(waited_from)

    def _learn(self, turn: Turn[C]) -> None:
        """Keep the limits the provider announced on this attempt."""
        discovered = turn.call.discovered
        if discovered is not None:
            self.runtime.discovered.note(turn.connection.id, turn.attempt.model.model, discovered)
            self.runtime.headroom.note_discovered(
                turn.connection.id, turn.attempt.model.model, discovered
            )

    # -- bookkeeping ---------------------------------------------------------------------------

    def _skipped(self, attempt: PlannedAttempt, outcome: Outcome) -> None:
        outcome.record.attempts.append(
            AttemptRecord(
                provider=attempt.model.provider,
                model=attempt.model.model,
                connection_id=None,
                outcome="skipped",
                error_message=attempt.note,
            )
        )

    def _refused(self, refusal: Refusal, outcome: Outcome, capacity_ms: float) -> None:
        # A refused attempt "starts" when its reservation was refused: its capacity check
        # spans the capacity_ms before that (what traces draw).
        outcome.record.attempts.append(
            AttemptRecord(
                provider=refusal.model.provider,
                model=refusal.model.model,
                connection_id=refusal.connection.id,
                connection_name=refusal.connection.name,
                outcome="capacity_exhausted",
                status=429,
                error_class="capacity_exhausted",
                error_message=refusal.describe(),
                started_ms=_ms_since(outcome.started),
                capacity_ms=capacity_ms,
            )
        )

    def _failed(self, turn: Turn[C], error: ProviderError, outcome: Outcome) -> None:
        latency = _ms_since(turn.started)
        # A malformed 200 is a failure too: count it as the gateway would answer it.
        status = (
            error.status
            if error.status and error.status >= 400
            else (504 if error.error_class == "timeout" else 502)
        )
        model = turn.attempt.model
        self.runtime.error_rates.record(
            outcome.record.environment_id, model.provider, model.model, turn.connection.id, status
        )
        self._attempted(turn, outcome)
        record = outcome.record
        # Masked for the caller too: the fallback summary and a passed-through 4xx quote it.
        message = error.message = _without_credentials(error.message, turn.connection)
        record.error_class = error.error_class
        record.error_message = message
        record.attempts.append(
            _call_record(
                turn,
                outcome,
                "failed",
                latency,
                status=error.status,
                error_class=error.error_class,
                error_message=message,
            )
        )

    def _cancelled(self, turn: Turn[C], outcome: Outcome) -> None:
        """``turn``'s call was stopped because the client left: not the provider's failure,
        so the error-rate windows do not count it."""
        self._attempted(turn, outcome)
        outcome.record.attempts.append(
            _call_record(
                turn,
                outcome,
                "cancelled",
                _ms_since(turn.started),
                error_class=CLIENT_CLOSED,
                error_message=_CLIENT_CLOSED_MESSAGE,
            )
        )

    def _succeeded(self, turn: Turn[C], outcome: Outcome) -> None:
        latency = _ms_since(turn.started)
        model = turn.attempt.model
        self.runtime.error_rates.record(
            outcome.record.environment_id, model.provider, model.model, turn.connection.id, 200
        )
        self._attempted(turn, outcome)
        record = outcome.record
        record.error_class = record.error_message = None
        record.attempts.append(_call_record(turn, outcome, "ok", latency, status=200))

    @staticmethod
    def _attempted(turn: Turn[C], outcome: Outcome) -> None:
        """The request went to ``turn``'s model and connection (so far)."""
        outcome.attempt = turn.attempt
        outcome.connection = turn.connection
        outcome.dropped_params = turn.call.dropped_params
        record = outcome.record
        record.provider, record.model = turn.attempt.model.provider, turn.attempt.model.model
        record.connection_id, record.connection_name = turn.connection.id, turn.connection.name

    @staticmethod
    def _usage(
        outcome: Outcome,
        turn: Turn[C],
        prompt_tokens: int,
        usage: Usage | None,
        *,
        typical: bool = True,
    ) -> None:
        """Record the tokens used and their estimated cost; settle the reservation with them.

        ``typical=False``: an answer cut short, which says nothing of how long answers are.
        """
        completion = usage.completion_tokens if usage is not None else 0
        record = outcome.record
        record.prompt_tokens = prompt_tokens
        record.completion_tokens = completion
        cache_writes = 0
        if usage is not None and isinstance(usage.prompt_tokens_details, dict):
            details = usage.prompt_tokens_details
            record.cached_tokens = _token_count(details.get("cached_tokens"))
            # Anthropic's and Bedrock's prompt-cache writes (priced, not recorded apart).
            cache_writes = _token_count(details.get("cache_write_tokens"))
        # Priced by the model the plan asked for (the connection's override, else the
        # plugin's table); unknown prices leave the cost unknown rather than zero.
        price = turn.connection.price_for(turn.attempt.model.model)
        record.estimated_cost = (
            None
            if price is None
            else price.cost(prompt_tokens, completion, record.cached_tokens, cache_writes)
        )
        if outcome.admission is not None:
            outcome.admission.settle(turn.reservation, prompt_tokens, completion, typical=typical)

    @staticmethod
    def _all_failed(
        plan: RoutePlan, failures: list[ProviderError], admission: Admission, outcome: Outcome
    ) -> GatewayError:
        refusals = admission.refusals
        if refusals and (not failures or any(r.broad for r in refusals)):
            return CapacityRefused(refusals, waited_ms=outcome.record.queue_wait_ms)
        if not failures:
            notes = "; ".join(
                f"{a.model.provider}/{a.model.model}: {a.note}" for a in plan.attempts
            )
            return AllAttemptsFailed(503, f"no connection can serve this resource ({notes})", None)
        # Connections at capacity count as rate limits beside the providers' failures.
        failures = failures + [
            ProviderError(
                "rate_limit",
                r.describe(),
                status=429,
                retry_after=r.exhausted.retry_after,
            )
            for r in refusals
        ]
        classes = {f.error_class for f in failures}
        if classes == {"timeout"}:
            status = 504
        elif classes == {"rate_limit"}:
            status = 429
        elif classes <= {"rate_limit", "server_error"} and any(f.status == 503 for f in failures):
            status = 503
        else:
            status = 502
        said = "; ".join(f"attempt {i + 1}: {f.message}" for i, f in enumerate(failures))
        retry_after = min(
            (f.retry_after for f in failures if f.retry_after is not None), default=None
        )
        return AllAttemptsFailed(status, f"every model in the chain failed — {said}", retry_after)


def _token_count(value: object) -> int:
    """A token count from a provider's usage details: what is not a whole number counts 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
