"""The worked examples in CONTRIBUTING.md run as written."""

from __future__ import annotations

import re
import types
from datetime import UTC, datetime
from pathlib import Path

import pytest

from switchboard.authorization import authorize
from switchboard.context import GatewayContext, Principal
from switchboard.errors import RequestRejected
from switchboard.plugins import PluginHost, PluginSettingsError, Registry, resolve_selection
from switchboard.policy import RoleGrant, Statement
from switchboard.settings import load_settings
from tests.core.plugins.sample_plugins import make_call

CONTRIBUTING = Path(__file__).resolve().parents[1] / "CONTRIBUTING.md"


def example(name: str) -> types.ModuleType:
    """The python block after ``<!-- example: name -->``, executed as a module."""
    text = CONTRIBUTING.read_text()
    match = re.search(rf"<!-- example: {name} -->\n```python\n(.*?)```", text, re.DOTALL)
    assert match, f"CONTRIBUTING.md has no example {name!r}"
    module = types.ModuleType(f"contributing_{name.replace('-', '_')}")
    exec(compile(match.group(1), f"CONTRIBUTING.md:{name}", "exec"), module.__dict__)
    return module


async def test_change_window_authorizer_denies_deletes_at_night_over_admin_roles() -> None:
    plugin = example("change-window")
    host = PluginHost(load_settings({}))
    host.load_entry_points()
    host.register(plugin, name="change-window")
    registry = Registry.collect(host.hooks, GatewayContext(host.settings))
    admin = Principal(
        kind="user",
        id="u1",
        name="admin",
        authenticator="test",
        grants=(RoleGrant(role="admin", statements=(Statement("ALLOW", ("*:*",), ("*",)),)),),
    )
    window = registry.authorizers.get("change-window")
    assert isinstance(window, plugin.ChangeWindow)

    window.clock = lambda: datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    night = await authorize(
        registry.authorizers.available(), admin, "workspace:delete", "workspace:acme"
    )
    assert (night.effect, night.reason) == ("DENY", "deletes are allowed 08:00-18:00 UTC only")

    window.clock = lambda: datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    day = await authorize(
        registry.authorizers.available(), admin, "workspace:delete", "workspace:acme"
    )
    assert day.effect == "ALLOW"
    reading = await authorize(
        registry.authorizers.available(), admin, "workspace:get", "workspace:acme"
    )
    assert reading.effect == "ALLOW"


async def test_banned_words_plugin_rejects_per_environment() -> None:
    plugin = example("banned-words")
    host = PluginHost(load_settings({}))
    host.register(plugin, name="banned-words")
    strict = resolve_selection(
        host, {"banned-words": {"settings": {"words": ["ssn"], "statusCode": 422}}}
    )
    default = resolve_selection(host, {})
    assert "banned-words" not in default.enabled  # opt-in

    call = make_call()
    call.request.messages[0].content = "my ssn is 123"
    call.environment = strict
    with pytest.raises(RequestRejected) as rejected:
        await strict.hooks.before_provider_call(call=call)
    assert (rejected.value.status_code, rejected.value.message) == (
        422,
        "the prompt contains the banned word 'ssn'",
    )
    call.environment = default
    await default.hooks.before_provider_call(call=call)  # off here: nothing happens
    with pytest.raises(PluginSettingsError, match=r"plugins\.banned-words\.settings\.words"):
        resolve_selection(host, {"banned-words": {"settings": {"words": "ssn"}}})
