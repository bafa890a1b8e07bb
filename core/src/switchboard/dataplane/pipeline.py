"""The request pipeline (DESIGN.md §7): key → resource → authorize → route → attempts.

For each model of the plan the pipeline calls the provider through the connection; a
rate limit, a server error, a timeout or a network failure moves on to the next model, any
other 4xx goes back to the caller as the provider said it. Streams can fall back until
their first chunk is sent. Every request, rejected and failed ones included, ends as one
:class:`RequestRecord` handed to the environment's recorders.

Only this module and :mod:`switchboard.dataplane.routes` run per request; nothing here
touches the database on the hot path (the snapshots of :mod:`runtime` do).
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from switchboard.context import Principal, RequestInfo
from switchboard.dataplane.config import ApiKeyEntry, EnvironmentRuntime, ResourceConfig
from switchboard.dataplane.key_secrets import hash_api_key
from switchboard.dataplane.openai_types import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    EmbeddingRequest,
    EmbeddingResponse,
    Usage,
)
from switchboard.dataplane.planning import PlannedAttempt, RoutePlan, plan_route
from switchboard.dataplane.runtime import Runtime
from switchboard.errors import BadRequest, Forbidden, GatewayError, NotFound, Unauthorized
from switchboard.interfaces import ProviderCall, ProviderError
from switchboard.interfaces.provider import EmbeddingCall, Upstream
from switchboard.plugins.hooks import Hooks
from switchboard.recording import dispatch_record
from switchboard.records import AttemptRecord, RequestRecord
from switchboard.state import Gateway

__all__ = ["AllAttemptsFailed", "Outcome", "Pipeline", "ProviderRefused", "api_key_of"]


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
    dropped_params: list[str] = field(default_factory=list)

    def headers(self) -> dict[str, str]:
        """The ``x-switchboard-*`` headers of the answer."""
        headers = {
            "x-switchboard-route": self.record.route or "",
            "x-switchboard-attempts": str(len(self.record.attempts)),
        }
        if self.attempt is not None and self.attempt.connection is not None:
            headers["x-switchboard-provider"] = self.attempt.model.provider
            headers["x-switchboard-model"] = self.attempt.model.model
            headers["x-switchboard-connection"] = self.attempt.connection.name
        if self.dropped_params:
            headers["x-switchboard-dropped-params"] = ",".join(self.dropped_params)
        return headers


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

    def begin(self, info: RequestInfo) -> Outcome:
        """A fresh outcome for a request that has just arrived."""
        return Outcome(
            record=RequestRecord(
                request_id=info.request_id,
                created_at=datetime.now(UTC),
                path=info.path,
                status=0,
                correlation_id=info.headers.get("x-correlation-id"),
                client_ip=info.client_ip,
                user_agent=info.headers.get("user-agent"),
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
        record.api_key_id = key.id
        record.environment_id = environment.id
        record.workspace_id = environment.workspace_id
        await environment.plugins.hooks.check_principal(principal=principal, request=info)
        return key, principal, environment

    @staticmethod
    def resource(
        environment: EnvironmentRuntime, key: ApiKeyEntry, name: str, outcome: Outcome
    ) -> ResourceConfig:
        """The AI resource named by the request's ``model``, if this key may call it."""
        resource = environment.resources.get(name)
        if resource is None:
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

    def finish(self, environment: EnvironmentRuntime | None, outcome: Outcome, status: int) -> None:
        """Complete the record and hand it to the recorders."""
        record = outcome.record
        record.status = status
        record.latency_ms = round((time.perf_counter() - outcome.started) * 1000, 3)
        spent_upstream = sum(a.latency_ms for a in record.attempts)
        record.gateway_latency_ms = round(max(record.latency_ms - spent_upstream, 0.0), 3)
        if environment is None or self.gateway.registry is None:
            return
        dispatch_record(record, environment=environment.plugins, registry=self.gateway.registry)

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
        plan = plan_route(environment, resource, request, principal, info, self.runtime.error_rates)
        outcome.record.route = plan.rule
        if plan.blocked_message is not None:
            raise BadRequest(plan.blocked_message, code="blocked_by_routing_condition")
        return plan

    def _call(
        self,
        environment: EnvironmentRuntime,
        attempt: PlannedAttempt,
        request: ChatCompletionRequest,
        info: RequestInfo,
    ) -> ProviderCall:
        connection = attempt.connection
        assert connection is not None
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
        failures: list[ProviderError] = []
        for attempt in plan.attempts:
            if attempt.connection is None:
                self._skipped(attempt, outcome)
                continue
            call = self._call(environment, attempt, request, info)
            await hooks.before_provider_call(call=call)
            started = time.perf_counter()
            try:
                answer = await attempt.connection.provider.complete(call)
            except ProviderError as error:
                self._failed(attempt, call, error, started, outcome)
                if not error.falls_back:
                    raise ProviderRefused(error) from None
                failures.append(error)
                continue
            await hooks.after_provider_call(call=call, response=answer)
            self._succeeded(attempt, call, started, outcome)
            if isinstance(answer.usage, Usage):
                self._usage(outcome, answer.usage.prompt_tokens, answer.usage.completion_tokens)
            return answer
        raise self._all_failed(plan, failures)

    async def stream(
        self,
        environment: EnvironmentRuntime,
        plan: RoutePlan,
        request: ChatCompletionRequest,
        info: RequestInfo,
        outcome: Outcome,
    ) -> AsyncIterator[ChatCompletionChunk]:
        """The chunks of the first attempt that starts answering; falls back until then."""
        hooks = environment.plugins.hooks
        watch_chunks = hooks.has_stream_chunk_hooks()
        failures: list[ProviderError] = []
        for attempt in plan.attempts:
            if attempt.connection is None:
                self._skipped(attempt, outcome)
                continue
            call = self._call(environment, attempt, request, info)
            await hooks.before_provider_call(call=call)
            started = time.perf_counter()
            chunks = attempt.connection.provider.stream(call)
            try:
                first = await anext(chunks)
            except StopAsyncIteration:
                error = ProviderError("server_error", "the provider sent an empty stream")
                self._failed(attempt, call, error, started, outcome)
                failures.append(error)
                continue
            except ProviderError as error:
                self._failed(attempt, call, error, started, outcome)
                if not error.falls_back:
                    raise ProviderRefused(error) from None
                failures.append(error)
                continue
            outcome.record.time_to_first_token_ms = round((time.perf_counter() - started) * 1000, 3)
            self._succeeded(attempt, call, started, outcome)
            return self._relay(first, chunks, call, outcome, watch_chunks, hooks)
        raise self._all_failed(plan, failures)

    async def _relay(
        self,
        first: ChatCompletionChunk,
        chunks: AsyncIterator[ChatCompletionChunk],
        call: ProviderCall,
        outcome: Outcome,
        watch_chunks: bool,
        hooks: Hooks,
    ) -> AsyncIterator[ChatCompletionChunk]:
        chunk: ChatCompletionChunk | None = first
        started = time.perf_counter()
        while chunk is not None:
            if watch_chunks:
                hooks.stream_chunk(call=call, chunk=chunk)
            if isinstance(chunk.usage, Usage):
                self._usage(outcome, chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
            yield chunk
            try:
                chunk = await anext(chunks)
            except StopAsyncIteration:
                chunk = None
        if outcome.record.attempts:
            outcome.record.attempts[-1].latency_ms += round(
                (time.perf_counter() - started) * 1000, 3
            )

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
        failures: list[ProviderError] = []
        for model in resource.chain:
            candidates = environment.connections_for(model)
            attempt = PlannedAttempt(model=model, connection=candidates[0] if candidates else None)
            if attempt.connection is None:
                self._skipped(attempt, outcome)
                continue
            connection = attempt.connection
            call = EmbeddingCall(
                request_id=info.request_id,
                connection_id=connection.id,
                connection_name=connection.name,
                model=model.model,
                request=request,
                settings=connection.settings,
                credentials=connection.credentials,
                timeouts=connection.timeouts,
                http=self.gateway.context.http,
                environment=environment.plugins,
            )
            started = time.perf_counter()
            try:
                answer = await connection.provider.embed(call)
            except ProviderError as error:
                self._failed(attempt, call, error, started, outcome)
                if not error.falls_back:
                    raise ProviderRefused(error) from None
                failures.append(error)
                continue
            self._succeeded(attempt, call, started, outcome)
            self._usage(outcome, answer.usage.prompt_tokens, 0)
            return answer
        raise self._all_failed(
            RoutePlan(
                rule="primary",
                attempts=tuple(PlannedAttempt(model=m, connection=None) for m in resource.chain),
            ),
            failures,
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

    def _failed(
        self,
        attempt: PlannedAttempt,
        call: Upstream,
        error: ProviderError,
        started: float,
        outcome: Outcome,
    ) -> None:
        latency = round((time.perf_counter() - started) * 1000, 3)
        # A malformed 200 is a failure too: count it as the gateway would answer it.
        status = (
            error.status
            if error.status and error.status >= 400
            else (504 if error.error_class == "timeout" else 502)
        )
        self.runtime.error_rates.record(attempt.model.provider, attempt.model.model, status)
        outcome.attempt = attempt
        outcome.dropped_params = call.dropped_params
        record = outcome.record
        record.provider, record.model = attempt.model.provider, attempt.model.model
        record.connection_id = call.connection_id
        record.error_class = error.error_class
        record.error_message = error.message
        record.attempts.append(
            AttemptRecord(
                provider=attempt.model.provider,
                model=attempt.model.model,
                connection_id=call.connection_id,
                outcome="failed",
                status=error.status,
                error_class=error.error_class,
                error_message=error.message,
                latency_ms=latency,
            )
        )

    def _succeeded(
        self, attempt: PlannedAttempt, call: Upstream, started: float, outcome: Outcome
    ) -> None:
        latency = round((time.perf_counter() - started) * 1000, 3)
        self.runtime.error_rates.record(attempt.model.provider, attempt.model.model, 200)
        outcome.attempt = attempt
        outcome.dropped_params = call.dropped_params
        record = outcome.record
        record.provider, record.model = attempt.model.provider, attempt.model.model
        record.connection_id = call.connection_id
        record.error_class = record.error_message = None
        record.attempts.append(
            AttemptRecord(
                provider=attempt.model.provider,
                model=attempt.model.model,
                connection_id=call.connection_id,
                outcome="ok",
                status=200,
                latency_ms=latency,
            )
        )

    @staticmethod
    def _usage(outcome: Outcome, prompt_tokens: int, completion_tokens: int) -> None:
        outcome.record.prompt_tokens = prompt_tokens
        outcome.record.completion_tokens = completion_tokens

    @staticmethod
    def _all_failed(plan: RoutePlan, failures: list[ProviderError]) -> AllAttemptsFailed:
        if not failures:
            notes = "; ".join(
                f"{a.model.provider}/{a.model.model}: {a.note}" for a in plan.attempts
            )
            return AllAttemptsFailed(503, f"no connection can serve this resource ({notes})", None)
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
