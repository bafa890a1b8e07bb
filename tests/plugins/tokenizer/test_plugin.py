"""The tokenizer plugin answers switchboard_count_tokens wherever it is on, and yields to others."""

from __future__ import annotations

from switchboard.dataplane.openai_types import ChatCompletionRequest
from switchboard.hookspecs import hookimpl
from switchboard.plugins import PluginHost, resolve_selection
from switchboard.settings import load_settings
from tests.plugins.tokenizer.cookbook import COOKBOOK_CONVERSATION, COOKBOOK_TOOLS_REQUEST


def test_switchboard_count_tokens_is_answered_by_default(switchboard_plugins: PluginHost) -> None:
    plugin = switchboard_plugins.plugins["tokenizer"]
    assert plugin.enabled_by_default
    assert plugin.distribution == "switchboard-tokenizer"
    assert plugin.hooks == ["switchboard_count_tokens"]
    environment = resolve_selection(switchboard_plugins, {})
    assert "tokenizer" in environment.enabled
    hooks = environment.hooks
    assert hooks.count_tokens(request=COOKBOOK_CONVERSATION, model="gpt-4o") == 124
    assert hooks.count_tokens(request=COOKBOOK_CONVERSATION, model="gpt-4") == 129
    assert hooks.count_tokens(request=COOKBOOK_TOOLS_REQUEST, model="gpt-4o-mini") == 101


def test_switchboard_count_tokens_falls_back_to_none_when_switched_off(
    switchboard_plugins: PluginHost,
) -> None:
    off = resolve_selection(switchboard_plugins, {"tokenizer": {"enabled": False}})
    assert "tokenizer" not in off.enabled
    # No other plugin counts: the core uses its four-characters-per-token estimate.
    assert off.hooks.count_tokens(request=COOKBOOK_CONVERSATION, model="gpt-4o") is None


def test_switchboard_count_tokens_of_a_deployment_answers_first() -> None:
    class ProviderCounter:
        @hookimpl
        def switchboard_count_tokens(self, request: ChatCompletionRequest, model: str) -> int:
            return 7

    # Registered before the built-in plugins, so pluggy's call order alone would ask it last:
    # the tokenizer's trylast puts it after every ordinary implementation anyway.
    host = PluginHost(load_settings({}))
    host.register(ProviderCounter(), name="provider-counter")
    host.load_entry_points()
    both = resolve_selection(host, {"provider-counter": {}})
    assert {"provider-counter", "tokenizer"} <= both.enabled
    assert both.hooks.count_tokens(request=COOKBOOK_CONVERSATION, model="gpt-4o") == 7
