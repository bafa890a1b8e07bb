"""The libsodium plugin in the gateway: registered last, checked at startup, on by default."""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Iterable
from pathlib import Path

import httpx
import pytest

from switchboard.context import GatewayContext
from switchboard.hookspecs import hookimpl
from switchboard.interfaces import SecretBox
from switchboard.plugins import PluginHost, Registry, resolve_selection
from switchboard.plugins.selection import EnvironmentPlugins
from switchboard.settings import Settings, load_settings
from switchboard.testing.server import RunningGateway
from switchboard.vault import box_for_writing, open_credentials, seal_credentials
from switchboard_libsodium import EncryptionKeyError, LibsodiumBox

POSTGRES_URL = "postgresql+asyncpg://switchboard@db.invalid:5432/switchboard"


class PlainBox(SecretBox):
    """Another box, to see which one an environment writes with."""

    name = "plain"

    async def seal(
        self, plaintext: bytes, *, context: str, environment: EnvironmentPlugins
    ) -> bytes:
        return context.encode() + b"|" + plaintext

    async def open(
        self, ciphertext: bytes, *, context: str, environment: EnvironmentPlugins
    ) -> bytes:
        return ciphertext.partition(b"|")[2]


class PlainBoxPlugin:
    @hookimpl
    def switchboard_register_secret_boxes(self, gateway: GatewayContext) -> Iterable[SecretBox]:
        return [PlainBox()]


def host_for(settings: Settings, *extra: tuple[object, str]) -> PluginHost:
    host = PluginHost(settings)
    host.load_entry_points()
    for plugin, name in extra:
        host.register(plugin, name=name)
    return host


def test_it_is_installed_and_on_by_default(tmp_path: Path) -> None:
    host = host_for(load_settings({}, plugins="libsodium", data_dir=str(tmp_path)))
    assert host.plugins["libsodium"].enabled_by_default
    assert host.plugins["libsodium"].distribution == "switchboard-libsodium"
    registry = Registry.collect(host.hooks, GatewayContext(host.settings))
    box = box_for_writing(registry, resolve_selection(host, {}))
    assert isinstance(box, LibsodiumBox)


async def test_another_box_switched_on_takes_precedence(tmp_path: Path) -> None:
    """libsodium registers trylast: even a box registered before it seals first."""
    settings = load_settings(
        {},
        plugins="libsodium",
        data_dir=str(tmp_path),
        encryption_key=base64.b64encode(os.urandom(32)).decode(),
    )
    host = PluginHost(settings)
    host.register(PlainBoxPlugin(), name="plain")  # registered first, so pluggy calls it last
    host.load_entry_points()
    registry = Registry.collect(host.hooks, GatewayContext(settings))
    assert list(registry.secret_boxes) == ["plain", "libsodium"]

    both = resolve_selection(host, {})
    assert box_for_writing(registry, both).name == "plain"
    only_libsodium = resolve_selection(host, {"plain": {"enabled": False}})
    assert box_for_writing(registry, only_libsodium).name == "libsodium"

    # A connection sealed by libsodium still opens where another box now writes.
    box, sealed = await seal_credentials(registry, only_libsodium, "conn", {"apiKey": "k"})
    assert box == "libsodium"
    assert await open_credentials(registry, both, "conn", box, sealed) == {"apiKey": "k"}


async def test_startup_refuses_a_malformed_key(tmp_path: Path) -> None:
    settings = load_settings({}, plugins="libsodium", data_dir=str(tmp_path), encryption_key="abc")
    host = host_for(settings)
    with pytest.raises(EncryptionKeyError, match="SWITCHBOARD_ENCRYPTION_KEY must decode"):
        await host.hooks.startup(gateway=GatewayContext(settings))


async def test_startup_on_postgres_without_a_key_says_so_but_serves(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = load_settings(
        {}, plugins="libsodium", data_dir=str(tmp_path), database_url=POSTGRES_URL
    )
    host = host_for(settings)
    with caplog.at_level(logging.ERROR):
        await host.hooks.startup(gateway=GatewayContext(settings))
    (record,) = [r for r in caplog.records if r.name.startswith("switchboard_libsodium")]
    assert record.levelno == logging.ERROR
    assert "SWITCHBOARD_ENCRYPTION_KEY is not set" in record.getMessage()


async def test_startup_in_embedded_mode_writes_no_key_until_one_is_needed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = load_settings({}, plugins="libsodium", data_dir=str(tmp_path / "data"))
    with caplog.at_level(logging.WARNING):
        await host_for(settings).hooks.startup(gateway=GatewayContext(settings))
    assert not (tmp_path / "data" / "encryption.key").exists()
    assert caplog.records == []


def test_the_gateway_serves_with_the_plugin(gateway: RunningGateway) -> None:
    assert "libsodium" in gateway.plugins.plugins
    registry = gateway.state.registry
    assert registry is not None
    assert isinstance(registry.secret_boxes.get("libsodium"), LibsodiumBox)
    assert httpx.get(f"{gateway.url}/healthz").status_code == 200
    assert not (Path(gateway.settings.data_dir) / "encryption.key").exists()
