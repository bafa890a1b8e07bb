"""The typed facade calls every hook with the combination rules its spec documents."""

from __future__ import annotations

from collections.abc import Generator, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import click
import pytest
from litestar import get
from litestar.types import ControllerRouterHandler

from switchboard.context import GatewayContext, Principal, RequestInfo
from switchboard.dataplane.error_rates import ErrorRates
from switchboard.dataplane.openai_types import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    ChatMessage,
    ChunkChoice,
    ChunkDelta,
)
from switchboard.errors import BadRequest, Forbidden, RequestRejected
from switchboard.hookspecs import hookimpl
from switchboard.interfaces import ActionSpec, CapacityCheck, ProviderCall
from switchboard.plugins import PluginHost
from switchboard.records import ManagementEvent, RequestRecord
from switchboard.routing import ModelRef, RouteDecision, RoutingInput
from switchboard.settings import load_settings
from tests.core.plugins.sample_plugins import (
    EchoProvider,
    make_call,
    make_principal,
    make_request_info,
)


@pytest.fixture
def host() -> PluginHost:
    return PluginHost(load_settings({}))


@pytest.fixture
def gateway_context() -> GatewayContext:
    return GatewayContext(load_settings({}))


class Recording:
    """Remembers what each hook saw."""

    def __init__(self) -> None:
        self.calls: list[str] = []


# -- lifecycle ------------------------------------------------------------------------------


async def test_switchboard_startup_and_shutdown_await_async_implementations(
    host: PluginHost, gateway_context: GatewayContext
) -> None:
    seen = Recording()

    class Sync:
        @hookimpl
        def switchboard_startup(self, gateway: GatewayContext) -> None:
            seen.calls.append("sync-start")

        @hookimpl
        def switchboard_shutdown(self, gateway: GatewayContext) -> None:
            raise RuntimeError("broken shutdown must not stop the others")

    class Async:
        @hookimpl
        async def switchboard_startup(self, gateway: GatewayContext) -> None:
            seen.calls.append("async-start")

        @hookimpl
        async def switchboard_shutdown(self, gateway: GatewayContext) -> None:
            seen.calls.append("async-stop")

    host.register(Sync(), name="sync")
    host.register(Async(), name="async")
    await host.hooks.startup(gateway=gateway_context)
    await host.hooks.shutdown(gateway=gateway_context)
    assert sorted(seen.calls) == ["async-start", "async-stop", "sync-start"]


def test_switchboard_register_cli_commands_adds_subcommands(host: PluginHost) -> None:
    class Commands:
        @hookimpl
        def switchboard_register_cli_commands(self, cli: click.Group) -> None:
            @cli.command(name="hello")
            def hello() -> None:
                click.echo("hi")

    group = click.Group("root")
    host.register(Commands(), name="commands")
    host.hooks.register_cli_commands(cli=group)
    assert "hello" in group.commands


def test_switchboard_register_routes_collects_every_plugins_handlers(
    host: PluginHost, gateway_context: GatewayContext
) -> None:
    @get("/a", sync_to_thread=False)
    def a() -> str:
        return "a"

    @get("/b", sync_to_thread=False)
    def b() -> str:
        return "b"

    class First:
        @hookimpl
        def switchboard_register_routes(
            self, gateway: GatewayContext
        ) -> Iterable[ControllerRouterHandler]:
            return [a]

    class Second:
        @hookimpl
        def switchboard_register_routes(
            self, gateway: GatewayContext
        ) -> Iterable[ControllerRouterHandler] | None:
            return [b]

    host.register(First(), name="first")
    host.register(Second(), name="second")
    assert sorted(h.paths.pop() for h in host.hooks.register_routes(gateway=gateway_context)) == [  # type: ignore[union-attr]
        "/a",
        "/b",
    ]


# -- registration ---------------------------------------------------------------------------


def test_register_providers_attributes_each_object_to_its_plugin(
    host: PluginHost, gateway_context: GatewayContext
) -> None:
    class Providers:
        @hookimpl
        def switchboard_register_providers(self, gateway: GatewayContext) -> list[EchoProvider]:
            return [EchoProvider()]

    host.register(Providers(), name="providers")
    registered = host.hooks.registered("providers", gateway=gateway_context)
    assert [(r.plugin, r.obj.name) for r in registered] == [("providers", "echo")]
    assert host.hooks_for(frozenset()).registered("providers", gateway=gateway_context) == []


def test_switchboard_register_actions_lists_plugin_actions(host: PluginHost) -> None:
    class Guardrails:
        @hookimpl
        def switchboard_register_actions(self) -> list[ActionSpec]:
            return [ActionSpec("guardrail:update", "Change guardrails")]

    host.register(Guardrails(), name="guardrails")
    actions = host.hooks.register_actions()
    assert [(a.plugin, a.obj.name) for a in actions] == [("guardrails", "guardrail:update")]


# -- auth -----------------------------------------------------------------------------------


async def test_switchboard_check_principal_can_reject(host: PluginHost) -> None:
    class AllowList:
        @hookimpl
        async def switchboard_check_principal(
            self, principal: Principal, request: RequestInfo
        ) -> None:
            if request.client_ip != "10.0.0.1":
                raise Forbidden(f"client address {request.client_ip} is not allowed")

    host.register(AllowList(), name="allow-list")
    ok = RequestInfo(request_id="r", method="GET", path="/", headers={}, client_ip="10.0.0.1")
    await host.hooks.check_principal(principal=make_principal(), request=ok)
    bad = RequestInfo(request_id="r", method="GET", path="/", headers={}, client_ip="10.0.0.2")
    with pytest.raises(Forbidden, match=r"10\.0\.0\.2"):
        await host.hooks.check_principal(principal=make_principal(), request=bad)


# -- routing --------------------------------------------------------------------------------


def test_switchboard_routing_variables_merge_and_earlier_names_win(host: PluginHost) -> None:
    class Early:
        @hookimpl(tryfirst=True)
        def switchboard_routing_variables(
            self, request: ChatCompletionRequest, principal: Principal, info: RequestInfo
        ) -> Mapping[str, Any]:
            return {"tier": "gold"}

    class Late:
        @hookimpl
        def switchboard_routing_variables(
            self, request: ChatCompletionRequest, principal: Principal, info: RequestInfo
        ) -> Mapping[str, Any]:
            return {"tier": "bronze", "region": "eu"}

    host.register(Late(), name="late")
    host.register(Early(), name="early")
    variables = host.hooks.routing_variables(
        request=make_call().request, principal=make_principal(), info=make_request_info()
    )
    assert variables == {"tier": "gold", "region": "eu"}


def test_switchboard_route_stops_at_first_decision(host: PluginHost) -> None:
    class Undecided:
        @hookimpl(tryfirst=True)
        def switchboard_route(self, routing: RoutingInput) -> RouteDecision | None:
            return None

    class Decider:
        @hookimpl
        def switchboard_route(self, routing: RoutingInput) -> RouteDecision | None:
            return RouteDecision(rule="small", model=ModelRef(provider="groq", model="llama"))

    routing = RoutingInput(
        environment_id="e",
        resource_name="chat",
        primary=ModelRef(provider="openai", model="gpt-4o"),
        request=make_call().request,
        principal=make_principal(),
        routing=None,
        variables={},
        error_rates=ErrorRates(),
    )
    assert host.hooks.route(routing=routing) is None
    host.register(Undecided(), name="undecided")
    host.register(Decider(), name="decider")
    decision = host.hooks.route(routing=routing)
    assert decision is not None and decision.rule == "small"


# -- capacity -------------------------------------------------------------------------------


def test_switchboard_count_tokens_first_answer_wins(host: PluginHost) -> None:
    class Counter:
        @hookimpl
        def switchboard_count_tokens(self, request: ChatCompletionRequest, model: str) -> int:
            return 42

    request = make_call().request
    assert host.hooks.count_tokens(request=request, model="m") is None
    host.register(Counter(), name="counter")
    assert host.hooks.count_tokens(request=request, model="m") == 42


def test_first_result_hooks_ask_plugins_in_pluggys_order(host: PluginHost) -> None:
    # Last registered first, tryfirst before and trylast after the rest; a None passes on.
    asked: list[str] = []

    def counter(
        name: str, answer: int | None, *, tryfirst: bool = False, trylast: bool = False
    ) -> object:
        class Counter:
            @hookimpl(tryfirst=tryfirst, trylast=trylast)
            def switchboard_count_tokens(
                self, request: ChatCompletionRequest, model: str
            ) -> int | None:
                asked.append(name)
                return answer

        return Counter()

    host.register(counter("late", 3, trylast=True), name="late")
    host.register(counter("first-registered", 1), name="first-registered")
    host.register(counter("silent", None), name="silent")
    host.register(counter("eager", None, tryfirst=True), name="eager")
    request = make_call().request
    assert host.hooks.count_tokens(request=request, model="m") == 1
    assert asked == ["eager", "silent", "first-registered"]


def test_a_hook_wrapper_still_wraps_the_implementations(host: PluginHost) -> None:
    class Counter:
        @hookimpl
        def switchboard_count_tokens(self, request: ChatCompletionRequest, model: str) -> int:
            return 40

    class Padding:
        @hookimpl(wrapper=True)
        def switchboard_count_tokens(
            self, request: ChatCompletionRequest, model: str
        ) -> Generator[None, int, int]:
            counted = yield
            return counted + 2

    host.register(Counter(), name="counter")
    host.register(Padding(), name="padding")
    assert host.hooks.count_tokens(request=make_call().request, model="m") == 42


def test_switchboard_capacity_checks_are_concatenated(host: PluginHost) -> None:
    class PerUser:
        @hookimpl
        def switchboard_capacity_checks(
            self, call: ProviderCall, principal: Principal
        ) -> list[CapacityCheck]:
            return [
                CapacityCheck(
                    level="custom", key=f"user:{principal.id}", period="minute", requests=5
                )
            ]

    class Nothing:
        @hookimpl
        def switchboard_capacity_checks(self, call: ProviderCall, principal: Principal) -> None:
            return None

    host.register(PerUser(), name="per-user")
    host.register(Nothing(), name="nothing")
    checks = host.hooks.capacity_checks(call=make_call(), principal=make_principal())
    assert [c.key for c in checks] == ["user:k1"]


# -- provider call --------------------------------------------------------------------------


async def test_switchboard_before_provider_call_rewrites_in_order_and_can_reject(
    host: PluginHost,
) -> None:
    class Rewrite:
        @hookimpl(tryfirst=True)
        def switchboard_before_provider_call(self, call: ProviderCall) -> None:
            call.request.messages.append(ChatMessage(role="user", content="be brief"))

    class Guard:
        @hookimpl
        async def switchboard_before_provider_call(self, call: ProviderCall) -> None:
            if any(m.content == "forbidden" for m in call.request.messages):
                raise RequestRejected("prompt blocked by policy", status_code=400)

    host.register(Guard(), name="guard")
    host.register(Rewrite(), name="rewrite")
    call = make_call()
    await host.hooks.before_provider_call(call=call)
    assert [m.content for m in call.request.messages] == ["hello", "be brief"]
    call.request.messages[0].content = "forbidden"
    with pytest.raises(RequestRejected, match="blocked"):
        await host.hooks.before_provider_call(call=call)


async def test_switchboard_after_provider_call_changes_the_answer(host: PluginHost) -> None:
    class Redact:
        @hookimpl
        async def switchboard_after_provider_call(
            self, call: ProviderCall, response: ChatCompletion
        ) -> None:
            response.choices[0].message.content = "[redacted]"

    host.register(Redact(), name="redact")
    call = make_call()
    answer = await EchoProvider().complete(call)
    await host.hooks.after_provider_call(call=call, response=answer)
    assert answer.choices[0].message.content == "[redacted]"


def test_switchboard_stream_chunk_sees_every_chunk(host: PluginHost) -> None:
    class Upper:
        @hookimpl
        def switchboard_stream_chunk(self, call: ProviderCall, chunk: ChatCompletionChunk) -> None:
            delta = chunk.choices[0].delta
            if isinstance(delta.content, str):
                delta.content = delta.content.upper()

    chunk = ChatCompletionChunk(
        id="c", created=0, model="m", choices=[ChunkChoice(index=0, delta=ChunkDelta(content="hi"))]
    )
    assert not host.hooks.has_stream_chunk_hooks()
    host.register(Upper(), name="upper")
    assert host.hooks.has_stream_chunk_hooks()
    host.hooks.stream_chunk(call=make_call(), chunk=chunk)
    assert chunk.choices[0].delta.content == "HI"


# -- recording ------------------------------------------------------------------------------


def test_switchboard_redact_record_edits_the_record(host: PluginHost) -> None:
    class DropPayload:
        @hookimpl
        def switchboard_redact_record(self, record: RequestRecord) -> None:
            record.payload = None

    record = RequestRecord(
        request_id="r",
        created_at=datetime.now(UTC),
        path="/v1/chat/completions",
        status=200,
        payload={"messages": ["secret"]},
    )
    host.register(DropPayload(), name="drop")
    host.hooks.redact_record(record=record)
    assert record.payload is None


async def test_switchboard_management_event_failures_are_only_logged(
    host: PluginHost, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []

    class Sink:
        @hookimpl
        async def switchboard_management_event(self, event: ManagementEvent) -> None:
            seen.append(event.action)

    class Broken:
        @hookimpl(tryfirst=True)
        def switchboard_management_event(self, event: ManagementEvent) -> None:
            raise RuntimeError("webhook down")

    event = ManagementEvent(
        occurred_at=datetime.now(UTC),
        actor_id="u",
        actor_name="admin",
        action="workspace:create",
        resource="workspace:acme",
    )
    host.register(Sink(), name="sink")
    await host.hooks.management_event(event=event)
    assert seen == ["workspace:create"]
    host.register(Broken(), name="broken")
    await host.hooks.management_event(event=event)
    assert seen == ["workspace:create", "workspace:create"]
    assert "plugin 'broken' failed in switchboard_management_event" in caplog.text


def test_hooks_of_a_selection_skip_plugins_that_are_off(host: PluginHost) -> None:
    class Counter:
        @hookimpl
        def switchboard_count_tokens(self, request: ChatCompletionRequest, model: str) -> int:
            return 7

    host.register(Counter(), name="counter")
    request = make_call().request
    assert host.hooks_for(frozenset({"counter"})).count_tokens(request=request, model="m") == 7
    assert host.hooks_for(frozenset()).count_tokens(request=request, model="m") is None
    assert host.hooks_for(frozenset()) is host.hooks_for(frozenset())


def test_switchboard_validate_routing_lets_plugins_refuse_rules(host: PluginHost) -> None:
    class Strict:
        @hookimpl
        def switchboard_validate_routing(self, routing: Mapping[str, Any]) -> None:
            if routing.get("mode") not in (None, "simple"):
                raise BadRequest("routing.mode: unsupported", param="routing.mode")

    host.register(Strict(), name="strict")
    host.hooks.validate_routing(routing={"mode": "simple"})
    with pytest.raises(BadRequest) as refused:
        host.hooks.validate_routing(routing={"mode": "quantum"})
    assert refused.value.param == "routing.mode"
