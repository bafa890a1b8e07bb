"""The typed facade over ``pm.hook``: the only way the core calls a hook.

Each method is typed with the hook's real argument and result types, calls the hook with
keyword arguments, combines the results as the hookspec says, and awaits what the async rule
allows. One :class:`Hooks` exists per plugin selection: the process-wide one calls every
loaded plugin, an environment's one only the plugins switched on there.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

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
    from switchboard.interfaces import ActionSpec, CapacityCheck, ProviderCall
    from switchboard.interfaces.provider import Upstream
    from switchboard.records import ManagementEvent, RequestRecord
    from switchboard.routing import RouteDecision, RoutingInput

__all__ = ["Hooks", "Registered"]

log = logging.getLogger(__name__)

T = TypeVar("T")

HookCallerFactory = Callable[[str], pluggy.HookCaller]

_Impl = tuple[Callable[..., Any], tuple[str, ...]]
"""A hook implementation's function and the names of the arguments it takes."""


class Registered(tuple[str, T]):
    """``(plugin_name, obj)``: an object a registration hook returned and who returned it."""

    __slots__ = ()

    @property
    def plugin(self) -> str:
        """The name of the plugin that registered the object."""
        return self[0]

    @property
    def obj(self) -> T:
        """The registered object."""
        return self[1]


async def _await_each(results: Iterable[object]) -> None:
    for result in results:
        if inspect.isawaitable(result):
            await result


class Hooks:
    """Typed calls of every hook in :mod:`switchboard.hookspecs` for one plugin selection."""

    def __init__(self, pm: pluggy.PluginManager, excluded: frozenset[str] = frozenset()) -> None:
        self._pm = pm
        self._excluded = excluded
        self._callers: dict[str, pluggy.HookCaller] = {}
        # Hooks nobody implements cost a pluggy call per request for nothing: remember them.
        # The host makes a new Hooks whenever a plugin is registered, so this cannot go stale
        # for hooks obtained after registration (plugins register at startup).
        self._unimplemented: dict[str, bool] = {}
        self._plain: dict[str, tuple[_Impl, ...] | None] = {}

    @property
    def excluded(self) -> frozenset[str]:
        """Names of the loaded plugins this selection leaves out."""
        return self._excluded

    def _caller(self, name: str) -> pluggy.HookCaller:
        caller = self._callers.get(name)
        if caller is None:
            caller = getattr(self._pm.hook, name)
            if self._excluded:
                removed = [p for n in self._excluded if (p := self._pm.get_plugin(n)) is not None]
                caller = self._pm.subset_hook_caller(name, remove_plugins=removed)
            self._callers[name] = caller
        return caller

    def implemented(self, name: str) -> bool:
        """Whether any plugin of this selection implements hook ``name``."""
        unimplemented = self._unimplemented.get(name)
        if unimplemented is None:
            unimplemented = not self._caller(name).get_hookimpls()
            self._unimplemented[name] = unimplemented
        return not unimplemented

    def _plain_impls(self, name: str) -> tuple[_Impl, ...] | None:
        """The implementations of hook ``name`` in pluggy's call order, as ``(function,
        argument names)``; ``None`` when a wrapper is among them (pluggy must run those).

        The data plane calls several hooks per request: calling plain implementations here
        spares pluggy's generic machinery (argument checks, result lists, wrapper handling),
        a few microseconds a call. Same order, same arguments, same exceptions."""
        try:
            return self._plain[name]
        except KeyError:
            impls = self._caller(name).get_hookimpls()
            plain: tuple[_Impl, ...] | None = None
            if not any(impl.hookwrapper or impl.wrapper for impl in impls):
                plain = tuple(
                    (impl.function, tuple(impl.argnames))
                    for impl in reversed(impls)
                    if impl.plugin_name not in self._excluded
                )
            self._plain[name] = plain
            return plain

    def _call(self, name: str, **kwargs: Any) -> list[Any]:
        if not self.implemented(name):
            return []
        impls = self._plain_impls(name)
        if impls is None:
            return cast(list[Any], self._caller(name)(**kwargs))
        results = []
        for function, argnames in impls:
            result = function(*[kwargs[arg] for arg in argnames])
            if result is not None:
                results.append(result)
        return results

    def _first(self, name: str, **kwargs: Any) -> Any:
        """A ``firstresult`` hook's answer, or ``None``."""
        if not self.implemented(name):
            return None
        impls = self._plain_impls(name)
        if impls is None:
            return self._caller(name)(**kwargs)
        for function, argnames in impls:
            result = function(*[kwargs[arg] for arg in argnames])
            if result is not None:
                return result
        return None

    async def _call_isolated(self, name: str, **kwargs: Any) -> None:
        """Call each implementation on its own, so one that raises does not stop the rest.

        For observer hooks whose failures must only be logged.
        """
        for impl in reversed(self._caller(name).get_hookimpls()):
            if impl.plugin_name in self._excluded:
                continue
            try:
                result = impl.function(*[kwargs[arg] for arg in impl.argnames])
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("plugin %r failed in %s", impl.plugin_name, name)

    def _registered(self, name: str, **kwargs: Any) -> list[Registered[Any]]:
        """Call a registration hook impl by impl, so each object is attributed to its plugin.

        Implementations are visited in pluggy's call order (last registered and ``tryfirst``
        first), the order the core uses when it asks objects in turn.
        """
        found: list[Registered[Any]] = []
        for impl in reversed(self._caller(name).get_hookimpls()):
            if impl.plugin_name in self._excluded:
                continue
            result = cast(
                "Iterable[Any] | None", impl.function(*[kwargs[arg] for arg in impl.argnames])
            )
            for obj in result or ():
                found.append(Registered((impl.plugin_name, obj)))
        return found

    # -- lifecycle ------------------------------------------------------------------------

    async def startup(self, *, gateway: GatewayContext) -> None:
        """Run ``switchboard_startup`` everywhere and await what it returns."""
        await _await_each(self._call("switchboard_startup", gateway=gateway))

    async def shutdown(self, *, gateway: GatewayContext) -> None:
        """Run ``switchboard_shutdown`` everywhere; a failing plugin does not stop the rest."""
        await self._call_isolated("switchboard_shutdown", gateway=gateway)

    def register_cli_commands(self, *, cli: click.Group) -> None:
        """Let plugins add subcommands to ``cli``."""
        self._call("switchboard_register_cli_commands", cli=cli)

    def register_routes(self, *, gateway: GatewayContext) -> list[ControllerRouterHandler]:
        """Collect the extra HTTP handlers plugins serve."""
        handlers: list[ControllerRouterHandler] = []
        for result in self._call("switchboard_register_routes", gateway=gateway):
            handlers.extend(result or ())
        return handlers

    # -- registration ---------------------------------------------------------------------

    def registered(self, kind: str, *, gateway: GatewayContext) -> list[Registered[Any]]:
        """Objects of ``kind`` (``providers``, ``recorders``, ...) with their plugins."""
        return self._registered(f"switchboard_register_{kind}", gateway=gateway)

    def register_actions(self) -> list[Registered[ActionSpec]]:
        """Actions plugins add to the policy vocabulary, with their plugins."""
        return self._registered("switchboard_register_actions")

    # -- auth -----------------------------------------------------------------------------

    async def check_principal(self, *, principal: Principal, request: RequestInfo) -> None:
        """Let plugins veto an authenticated caller (they raise to reject)."""
        if not self.implemented("switchboard_check_principal"):
            return
        await _await_each(
            self._call("switchboard_check_principal", principal=principal, request=request)
        )

    # -- routing --------------------------------------------------------------------------

    def routing_variables(
        self, *, request: ChatCompletionRequest, principal: Principal, info: RequestInfo
    ) -> dict[str, Any]:
        """Merge plugins' routing variables; earlier implementations keep their names."""
        merged: dict[str, Any] = {}
        results: list[Mapping[str, Any] | None] = self._call(
            "switchboard_routing_variables", request=request, principal=principal, info=info
        )
        for result in results:
            for key, value in (result or {}).items():
                merged.setdefault(key, value)
        return merged

    def validate_routing(self, *, routing: Mapping[str, Any]) -> None:
        """Let plugins refuse a resource's routing rules (they raise ``BadRequest``)."""
        self._call("switchboard_validate_routing", routing=routing)

    def route(self, *, routing: RoutingInput) -> RouteDecision | None:
        """The first routing decision a plugin makes, or ``None``."""
        return cast("RouteDecision | None", self._first("switchboard_route", routing=routing))

    # -- capacity -------------------------------------------------------------------------

    def count_tokens(self, *, request: ChatCompletionRequest, model: str) -> int | None:
        """The first token count a plugin gives for the prompt, or ``None``."""
        return cast(
            "int | None", self._first("switchboard_count_tokens", request=request, model=model)
        )

    def capacity_checks(self, *, call: Upstream, principal: Principal) -> list[CapacityCheck]:
        """Every extra capacity check plugins add for this attempt."""
        checks: list[CapacityCheck] = []
        for result in self._call("switchboard_capacity_checks", call=call, principal=principal):
            checks.extend(result or ())
        return checks

    # -- provider call --------------------------------------------------------------------

    async def before_provider_call(self, *, call: ProviderCall) -> None:
        """Let plugins rewrite or reject the attempt (in place)."""
        if self.implemented("switchboard_before_provider_call"):
            await _await_each(self._call("switchboard_before_provider_call", call=call))

    async def after_provider_call(self, *, call: ProviderCall, response: ChatCompletion) -> None:
        """Let plugins change a complete answer (in place)."""
        if self.implemented("switchboard_after_provider_call"):
            await _await_each(
                self._call("switchboard_after_provider_call", call=call, response=response)
            )

    def stream_chunk(self, *, call: ProviderCall, chunk: ChatCompletionChunk) -> None:
        """Let plugins change one stream chunk (in place)."""
        self._call("switchboard_stream_chunk", call=call, chunk=chunk)

    def has_stream_chunk_hooks(self) -> bool:
        """Whether any plugin watches chunks, so streams can skip the call when none does."""
        return self.implemented("switchboard_stream_chunk")

    # -- recording ------------------------------------------------------------------------

    def redact_record(self, *, record: RequestRecord) -> None:
        """Let plugins redact a finished record (in place)."""
        self._call("switchboard_redact_record", record=record)

    async def management_event(self, *, event: ManagementEvent) -> None:
        """Tell plugins about a committed control-plane change; failures are only logged."""
        await self._call_isolated("switchboard_management_event", event=event)
