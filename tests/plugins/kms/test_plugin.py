"""The kms plugin in the gateway: off by default, validated settings, precedence when on."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest

from switchboard.context import GatewayContext
from switchboard.plugins import PluginHost, PluginSettingsError, Registry, resolve_selection
from switchboard.settings import load_settings
from switchboard.vault import box_for_writing, open_credentials, seal_credentials
from switchboard_kms import KmsBox, KmsSettings


def test_it_is_installed_and_off_by_default(host: PluginHost) -> None:
    plugin = host.plugins["kms"]
    assert not plugin.enabled_by_default
    assert plugin.distribution == "switchboard-kms"
    assert plugin.settings_type is KmsSettings
    assert "kms" not in resolve_selection(host, {}).enabled


@pytest.mark.parametrize(
    ("settings", "field", "problem"),
    [
        ({}, "settings", "missing required field `keyId`"),
        ({"keyId": ""}, "settings.keyId", "length >= 1"),
        ({"keyId": "alias/x", "dataKeyCacheSeconds": -1}, "settings.dataKeyCacheSeconds", ">= 0"),
        ({"keyId": "alias/x", "endpointUrl": "not a url"}, "settings.endpointUrl", "match"),
        ({"keyId": "alias/x", "region": "Mars"}, "settings.region", "match"),
        ({"keyId": "alias/x", "key_id": "y"}, "settings", "unknown field `key_id`"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(
    host: PluginHost, settings: dict[str, Any], field: str, problem: str
) -> None:
    with pytest.raises(PluginSettingsError) as caught:
        resolve_selection(host, {"kms": {"settings": settings}})
    assert caught.value.plugin == "kms"
    assert caught.value.field == field
    assert problem in caught.value.problem


def test_settings_are_camel_case_with_defaults(host: PluginHost) -> None:
    environment = resolve_selection(
        host, {"kms": {"settings": {"keyId": "alias/switchboard", "region": "eu-west-1"}}}
    )
    settings = environment.settings_for("kms", KmsSettings)
    assert settings == KmsSettings(key_id="alias/switchboard", region="eu-west-1")
    assert settings.data_key_cache_seconds == 300
    assert settings.endpoint_url is None


async def test_switched_on_it_seals_instead_of_libsodium(
    tmp_path: Path, key_arn: str, kms_endpoint: str, kms: Any
) -> None:
    settings = load_settings(
        {},
        plugins="kms,libsodium",
        data_dir=str(tmp_path),
        encryption_key=base64.b64encode(os.urandom(32)).decode(),
    )
    host = PluginHost(settings)
    host.load_entry_points()
    registry = Registry.collect(host.hooks, GatewayContext(settings))
    plain = resolve_selection(host, {})
    with_kms = resolve_selection(
        host, {"kms": {"settings": {"keyId": key_arn, "endpointUrl": kms_endpoint}}}
    )
    try:
        assert box_for_writing(registry, plain).name == "libsodium"
        assert isinstance(box_for_writing(registry, with_kms), KmsBox)

        credentials = {"apiKey": "sk-envelope-secret"}
        box, sealed = await seal_credentials(registry, with_kms, "conn", credentials)
        assert box == "kms"
        assert await open_credentials(registry, with_kms, "conn", box, sealed) == credentials
    finally:
        for secret_box in registry.secret_boxes.available():
            await secret_box.aclose()
