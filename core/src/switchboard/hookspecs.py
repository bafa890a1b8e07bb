"""Every hook point of Switchboard, grouped by phase.

Rules that hold for every hook:

* Hooks are called with keyword arguments only, through the typed facade
  :class:`switchboard.plugins.hooks.Hooks`; the core never calls ``pm.hook`` directly.
* Lifecycle and registration hooks run process-wide, for every loaded plugin. Every other
  hook runs per environment, only for the plugins switched on in the request's environment.
* **Async rule.** pluggy calls implementations synchronously. A hook documented as
  *may return an awaitable* lets an implementation be ``async def``: the core awaits each
  returned awaitable, in call order, before going on. Hooks that say *sync* are on a hot path
  or decide something and must return a plain value. No ``firstresult`` hook accepts
  awaitables (pluggy would stop at the first coroutine object, which is never ``None``).
* Hooks that say *in place* hand over a mutable object: implementations change it and
  return ``None`` (or an awaitable of ``None``); the next implementation sees the change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    from litestar.types import ControllerRouterHandler

    from switchboard.context import GatewayContext, Principal, RequestInfo
    from switchboard.dataplane.openai_types import (
        ChatCompletion,
        ChatCompletionChunk,
        ChatCompletionRequest,
    )
    from switchboard.interfaces import (
        ActionSpec,
        Authenticator,
        Authorizer,
        CapacityCheck,
        CapacityLimiter,
        Provider,
        ProviderCall,
        Recorder,
        SecretBox,
    )
    from switchboard.interfaces.provider import Upstream
    from switchboard.records import ManagementEvent, RequestRecord
    from switchboard.routing import RouteDecision, RoutingInput

__all__ = ["PROJECT_NAME", "hookimpl", "hookspec"]

PROJECT_NAME = "switchboard"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# ---------------------------------------------------------------------------------------
# Lifecycle
# ---------------------------------------------------------------------------------------


@hookspec
def switchboard_startup(gateway: GatewayContext) -> Awaitable[None] | None:
    """Called once per worker process after the database is ready, before serving.

    :param gateway: the running gateway (settings, shared HTTP client).
    :return: ``None``, or an awaitable the core awaits (may return an awaitable).

    Every implementation is called; an exception stops startup with the plugin's name.
    """


@hookspec
def switchboard_shutdown(gateway: GatewayContext) -> Awaitable[None] | None:
    """Called once per worker process when it stops, after the last request is answered.

    :param gateway: the running gateway.
    :return: ``None``, or an awaitable the core awaits (may return an awaitable).

    Every implementation is called; exceptions are logged and do not stop the others.
    """


@hookspec
def switchboard_register_cli_commands(cli: click.Group) -> None:
    """Called when the ``switchboard`` command starts, to add subcommands.

    :param cli: the root command group; add commands with ``cli.add_command``.

    Every implementation is called. Sync.
    """


@hookspec
def switchboard_register_routes(
    gateway: GatewayContext,
) -> Iterable[ControllerRouterHandler] | None:
    """Called once when the app is built, to serve extra HTTP endpoints (e.g. ``/metrics``).

    :param gateway: the gateway being built.
    :return: Litestar route handlers, controllers or routers to mount at the root.

    Every implementation is called; all handlers are mounted. Sync.
    """


# ---------------------------------------------------------------------------------------
# Registration of typed objects
# ---------------------------------------------------------------------------------------


@hookspec
def switchboard_register_providers(gateway: GatewayContext) -> Iterable[Provider] | None:
    """Called once per process to collect AI providers (see :mod:`switchboard.interfaces`).

    :return: provider instances; each ``name`` is what connections put in ``provider``.

    Every implementation is called; a name registered twice is an error naming both
    plugins. A provider is usable in an environment when its plugin is on there. Sync.
    """


@hookspec
def switchboard_register_capacity_limiters(
    gateway: GatewayContext,
) -> Iterable[CapacityLimiter] | None:
    """Called once per process to collect capacity limiters.

    :return: limiter instances, each with a unique ``name``.

    Every implementation is called; duplicate names are an error. The environment's plugin
    selection decides which limiter it uses. Sync.
    """


@hookspec
def switchboard_register_secret_boxes(gateway: GatewayContext) -> Iterable[SecretBox] | None:
    """Called once per process to collect secret boxes that encrypt credentials at rest.

    :return: secret-box instances, each with a unique ``name``.

    Every implementation is called; duplicate names are an error. Sync.
    """


@hookspec
def switchboard_register_authenticators(
    gateway: GatewayContext,
) -> Iterable[Authenticator] | None:
    """Called once per process to collect authenticators (API keys, tokens, sessions, ...).

    :return: authenticator instances, each with a unique ``name``.

    Every implementation is called. At request time the environment's authenticators are
    asked in hook order (``tryfirst`` first); the first principal returned wins. Sync.
    """


@hookspec
def switchboard_register_authorizers(gateway: GatewayContext) -> Iterable[Authorizer] | None:
    """Called once per process to collect authorizers (policy engines).

    :return: authorizer instances, each with a unique ``name``.

    Every implementation is called. At request time every authorizer is asked: any DENY
    wins, else any ALLOW grants, else the answer is deny. Sync.
    """


@hookspec
def switchboard_register_recorders(gateway: GatewayContext) -> Iterable[Recorder] | None:
    """Called once per process to collect recorders (sinks for request records).

    :return: recorder instances, each with a unique ``name``.

    Every implementation is called; each record goes to every recorder whose plugin is on
    in the record's environment. Sync.
    """


# ---------------------------------------------------------------------------------------
# Auth
# ---------------------------------------------------------------------------------------


@hookspec
def switchboard_check_principal(
    principal: Principal, request: RequestInfo
) -> Awaitable[None] | None:
    """Called after a caller is authenticated, before anything is authorized.

    :param principal: who the authenticators say is calling.
    :param request: the incoming request (headers, client address).
    :return: ``None``, or an awaitable (may return an awaitable).

    Every implementation is called; one raising :class:`switchboard.errors.Forbidden` or
    :class:`switchboard.errors.Unauthorized` rejects the request (e.g. an IP allow-list).
    """


# ---------------------------------------------------------------------------------------
# Policy
# ---------------------------------------------------------------------------------------


@hookspec
def switchboard_register_actions() -> Iterable[ActionSpec] | None:
    """Called once per process to collect the actions policies may name.

    :return: action specs (``kind:verb`` and a description) a plugin protects.

    Every implementation is called; the union, with the core's own actions, is what role
    statements are validated against. Sync.
    """


# ---------------------------------------------------------------------------------------
# Routing
# ---------------------------------------------------------------------------------------


@hookspec
def switchboard_routing_variables(
    request: ChatCompletionRequest, principal: Principal, info: RequestInfo
) -> Mapping[str, Any] | None:
    """Called once per data-plane request, before routing, to add routing variables.

    :return: names and values that routing conditions and expressions may use.

    Every implementation is called; results are merged in call order and a name already
    given by an earlier implementation is kept. Sync (routing must not wait on I/O).
    """


@hookspec
def switchboard_validate_routing(routing: Mapping[str, Any]) -> None:
    """Called when a resource's ``routing`` is saved, to refuse rules that cannot work.

    :param routing: the resource's routing exactly as sent (camelCase JSON).

    Every implementation is called; one raising :class:`switchboard.errors.BadRequest`
    whose ``param`` names the part (``routing.conditions[0].if[1].operator``) refuses the
    save. Sync.
    """


@hookspec(firstresult=True)
def switchboard_route(routing: RoutingInput) -> RouteDecision | None:
    """Called once per data-plane request to choose the first model (or block the request).

    :param routing: the request's facts, the resource's routing rules and primary model.
    :return: a :class:`RouteDecision`, or ``None`` to leave the decision to the next one.

    Stops at first non-None result. When no implementation decides, the primary model is
    used (rule ``primary``). Sync.
    """


# ---------------------------------------------------------------------------------------
# Capacity
# ---------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def switchboard_count_tokens(request: ChatCompletionRequest, model: str) -> int | None:
    """Called at most once per chat request to count its prompt tokens, when routing reads
    ``requestTokens`` or a token limit applies (the count serves both).

    :return: the prompt's token count for ``model``, or ``None`` to let another count.

    Stops at first non-None result. The core's fallback estimates four characters per
    token. Sync.
    """


@hookspec
def switchboard_capacity_checks(
    call: Upstream, principal: Principal
) -> Iterable[CapacityCheck] | None:
    """Called before each attempt to add limits to the core's (connection, resource, key).

    :param call: the attempt (a chat ``ProviderCall`` or an ``EmbeddingCall``).
    :return: extra checks, e.g. a per-user or per-client-IP limit (level ``custom``); they
        are checked after the key's and resource's and before the connection's, and a
        refusal ends the request (like a key's or resource's own limit).

    Every implementation is called; all checks are reserved together, all or nothing. Sync.
    """


# ---------------------------------------------------------------------------------------
# Provider call
# ---------------------------------------------------------------------------------------


@hookspec
def switchboard_before_provider_call(call: ProviderCall) -> Awaitable[None] | None:
    """Called before each attempt is sent to its provider, after capacity is reserved.

    :param call: the attempt; change ``call.request`` in place to rewrite what is sent.
    :return: ``None``, or an awaitable (may return an awaitable).

    Every implementation is called, in place. Raising
    :class:`switchboard.errors.RequestRejected` answers the caller with its status and
    message and tries no other model (a guardrail).
    """


@hookspec
def switchboard_after_provider_call(
    call: ProviderCall, response: ChatCompletion
) -> Awaitable[None] | None:
    """Called after a provider answered a non-streamed attempt successfully.

    :param response: the answer; change it in place (e.g. redact content).
    :return: ``None``, or an awaitable (may return an awaitable).

    Every implementation is called, in place.
    """


@hookspec
def switchboard_stream_chunk(call: ProviderCall, chunk: ChatCompletionChunk) -> None:
    """Called for every chunk of a streamed answer, before it is sent to the caller.

    :param chunk: the chunk; change it in place.

    Every implementation is called, in place. Sync: it runs once per chunk.
    """


# ---------------------------------------------------------------------------------------
# Recording
# ---------------------------------------------------------------------------------------


@hookspec
def switchboard_redact_record(record: RequestRecord) -> None:
    """Called once per finished data-plane request, before recorders receive the record.

    :param record: the record; change it in place (drop or mask payload fields).

    Every implementation is called, in place. Sync, off the response path.
    """


@hookspec
def switchboard_management_event(event: ManagementEvent) -> Awaitable[None] | None:
    """Called after each control-plane create, update or delete is committed.

    :param event: who changed what, with before/after values (secrets already masked).
    :return: ``None``, or an awaitable (may return an awaitable).

    Every implementation is called; failures are logged and never undo the change.
    """
