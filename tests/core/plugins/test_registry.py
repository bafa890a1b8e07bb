"""Registered objects: attributed to plugins, names unique per kind, filtered per environment."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import pytest

from switchboard.context import GatewayContext, Principal, RequestInfo
from switchboard.hookspecs import hookimpl
from switchboard.interfaces import (
    Authenticator,
    Authorizer,
    CapacityCheck,
    CapacityLimiter,
    Decision,
    PeriodUsage,
    Provider,
    Recorder,
    Reservation,
    SecretBox,
    SecretBoxError,
)
from switchboard.plugins import (
    EnvironmentPlugins,
    PluginHost,
    PluginLoadError,
    Registry,
    resolve_selection,
)
from switchboard.recording import dispatch_record
from switchboard.records import RequestRecord
from switchboard.settings import load_settings
from tests.core.plugins.sample_plugins import EchoProvider, SettingsPlugin


@pytest.fixture
def host() -> PluginHost:
    host = PluginHost(load_settings({}))
    host.load_entry_points()
    return host


@pytest.fixture
def context() -> GatewayContext:
    return GatewayContext(load_settings({}))


def test_objects_are_filtered_by_the_environments_plugins(
    host: PluginHost, context: GatewayContext
) -> None:
    host.register(SettingsPlugin(), name="sample")
    registry = Registry.collect(host.hooks, context)
    assert registry.providers.plugin_of("echo") == "sample"
    assert sorted(r.name for r in registry.recorders.available()) == [
        "database-recorder",
        "log-recorder",
        "opentelemetry",
        "prometheus",
    ]
    default = resolve_selection(host, {})
    assert registry.providers.get("echo", default.enabled) is None
    switched_on = resolve_selection(host, {"sample": {}})
    assert isinstance(registry.providers.get("echo", switched_on.enabled), EchoProvider)
    assert registry.providers.available(switched_on.enabled)[0].name == "echo"


def test_a_name_registered_twice_names_both_plugins(
    host: PluginHost, context: GatewayContext
) -> None:
    class Copycat:
        @hookimpl
        def switchboard_register_providers(self, gateway: GatewayContext) -> Iterable[Provider]:
            return [EchoProvider()]

    host.register(SettingsPlugin(), name="sample")
    host.register(Copycat(), name="copycat")
    with pytest.raises(PluginLoadError, match="provider 'echo' is registered by both plugin"):
        Registry.collect(host.hooks, context)


def test_objects_of_the_wrong_type_are_refused(host: PluginHost, context: GatewayContext) -> None:
    class Confused:
        @hookimpl
        def switchboard_register_providers(self, gateway: GatewayContext) -> list[object]:
            return ["not a provider"]

    host.register(Confused(), name="confused")
    with pytest.raises(PluginLoadError, match="plugin 'confused' registered 'not a provider'"):
        Registry.collect(host.hooks, context)


# -- one test per registration hook: a minimal object of each kind is collected ------------


def _collect_one(host: PluginHost, context: GatewayContext, plugin: object, kind: str) -> object:
    host.register(plugin, name="sample-kind")
    registry = Registry.collect(host.hooks, context)
    objects = getattr(registry, kind)
    assert objects.plugin_of("sample") == "sample-kind"
    found = objects.get("sample")
    assert found is not None
    return found


async def test_register_capacity_limiters(host: PluginHost, context: GatewayContext) -> None:
    class Limiter(CapacityLimiter):
        name = "sample"

        async def reserve(self, checks: Sequence[CapacityCheck]) -> Reservation:
            return Reservation(checks=tuple(checks))

        async def reconcile(self, reservation: Reservation, *, tokens: int) -> None:
            return None

        async def release(self, reservation: Reservation) -> None:
            return None

        async def usage(self, checks: Sequence[CapacityCheck]) -> list[PeriodUsage]:
            return [PeriodUsage(check=c, requests=0, tokens=0) for c in checks]

    class Plugin:
        @hookimpl
        def switchboard_register_capacity_limiters(
            self, gateway: GatewayContext
        ) -> Iterable[CapacityLimiter]:
            return [Limiter()]

    limiter = _collect_one(host, context, Plugin(), "capacity_limiters")
    assert isinstance(limiter, Limiter)
    check = CapacityCheck(level="connection", key="c", period="minute", requests=1)
    reservation = await limiter.reserve([check])
    assert reservation.checks == (check,)


async def test_register_secret_boxes(host: PluginHost, context: GatewayContext) -> None:
    class Box(SecretBox):
        name = "sample"

        async def seal(
            self, plaintext: bytes, *, context: str, environment: EnvironmentPlugins
        ) -> bytes:
            return context.encode() + b"|" + plaintext[::-1]

        async def open(
            self, ciphertext: bytes, *, context: str, environment: EnvironmentPlugins
        ) -> bytes:
            bound, _, body = ciphertext.partition(b"|")
            if bound != context.encode():
                raise SecretBoxError("ciphertext belongs to another context")
            return body[::-1]

    class Plugin:
        @hookimpl
        def switchboard_register_secret_boxes(self, gateway: GatewayContext) -> Iterable[SecretBox]:
            return [Box()]

    box = _collect_one(host, context, Plugin(), "secret_boxes")
    assert isinstance(box, Box)
    environment = resolve_selection(host, {})
    sealed = await box.seal(b"sk-1", context="conn-1", environment=environment)
    assert await box.open(sealed, context="conn-1", environment=environment) == b"sk-1"
    with pytest.raises(SecretBoxError):
        await box.open(sealed, context="conn-2", environment=environment)


async def test_register_authenticators(host: PluginHost, context: GatewayContext) -> None:
    class HeaderAuth(Authenticator):
        name = "sample"

        async def authenticate(self, request: RequestInfo) -> Principal | None:
            user = request.header("X-Forwarded-User")
            if user is None:
                return None
            return Principal(kind="user", id=user, name=user, authenticator=self.name)

    class Plugin:
        @hookimpl
        def switchboard_register_authenticators(
            self, gateway: GatewayContext
        ) -> Iterable[Authenticator]:
            return [HeaderAuth()]

    auth = _collect_one(host, context, Plugin(), "authenticators")
    assert isinstance(auth, HeaderAuth)
    info = RequestInfo(request_id="r", method="GET", path="/", headers={"x-forwarded-user": "ann"})
    principal = await auth.authenticate(info)
    assert principal is not None and principal.name == "ann"


async def test_register_authorizers(host: PluginHost, context: GatewayContext) -> None:
    class NoDeletes(Authorizer):
        name = "sample"

        async def authorize(
            self, principal: Principal, action: str, resource: str
        ) -> Decision | None:
            if action.endswith(":delete"):
                return Decision(effect="DENY", reason="no deletes")
            return None

    class Plugin:
        @hookimpl
        def switchboard_register_authorizers(self, gateway: GatewayContext) -> Iterable[Authorizer]:
            return [NoDeletes()]

    authorizer = _collect_one(host, context, Plugin(), "authorizers")
    assert isinstance(authorizer, NoDeletes)
    principal = Principal(kind="user", id="u", name="ann", authenticator="t")
    denied = await authorizer.authorize(principal, "workspace:delete", "workspace:acme")
    assert denied is not None and denied.effect == "DENY"
    assert await authorizer.authorize(principal, "workspace:get", "workspace:acme") is None


def test_register_recorders(host: PluginHost, context: GatewayContext) -> None:
    class ListRecorder(Recorder):
        name = "sample"

        def __init__(self) -> None:
            self.records: list[RequestRecord] = []

        def record(self, record: RequestRecord, *, environment: EnvironmentPlugins) -> None:
            self.records.append(record)

    class Plugin:
        @hookimpl
        def switchboard_register_recorders(self, gateway: GatewayContext) -> Iterable[Recorder]:
            return [ListRecorder()]

    recorder = _collect_one(host, context, Plugin(), "recorders")
    assert isinstance(recorder, ListRecorder)
    registry = Registry.collect(host.hooks, context)
    record = RequestRecord(
        request_id="r", created_at=datetime.now(UTC), path="/v1/chat/completions", status=200
    )
    environment = resolve_selection(host, {"log-recorder": {"enabled": False}})
    dispatch_record(record, environment=environment, registry=registry)
    assert [r.request_id for r in registry.recorders.get("sample").records] == ["r"]  # type: ignore[union-attr]
