"""Per-environment plugin selection: on/off, defaults, settings validated by each plugin."""

from __future__ import annotations

import pytest

from switchboard.plugins import PluginHost, PluginSettingsError, parse_selection, resolve_selection
from switchboard.settings import load_settings
from tests.core.plugins.sample_plugins import SettingsPlugin, make_call


@pytest.fixture
def host() -> PluginHost:
    host = PluginHost(load_settings({}))
    host.load_entry_points()
    host.register(SettingsPlugin(), name="sample")
    return host


def test_unlisted_plugins_follow_their_default(host: PluginHost) -> None:
    selection = resolve_selection(host, {})
    assert "rbac" in selection.enabled  # on by default
    assert "log-recorder" not in selection.enabled  # opt-in
    assert "sample" not in selection.enabled


def test_listing_a_plugin_switches_it_on_with_settings(host: PluginHost) -> None:
    selection = resolve_selection(
        host, {"sample": {"settings": {"maxItems": 3}}, "rbac": {"enabled": False}}
    )
    assert "sample" in selection.enabled
    assert "rbac" not in selection.enabled
    settings = selection.settings_for("sample", SettingsPlugin.Settings)
    assert (settings.max_items, settings.label) == (3, "default")


def test_defaults_apply_when_no_settings_are_given(host: PluginHost) -> None:
    selection = resolve_selection(host, {"sample": {}})
    assert selection.settings_for("sample", SettingsPlugin.Settings).max_items == 10


def test_the_selection_decides_which_hooks_run(host: PluginHost) -> None:
    class Counter:
        from switchboard.hookspecs import hookimpl

        @hookimpl
        def switchboard_count_tokens(self, request: object, model: str) -> int:
            return 99

    host.register(Counter(), name="counter")
    request = make_call().request
    on = resolve_selection(host, {})
    # The bundled tokenizer would answer too: switch it off to see the selection's effect.
    off = resolve_selection(host, {"counter": {"enabled": False}, "tokenizer": {"enabled": False}})
    assert on.hooks.count_tokens(request=request, model="m") == 99
    assert off.hooks.count_tokens(request=request, model="m") is None


@pytest.mark.parametrize(
    ("raw", "plugin", "field", "problem"),
    [
        ({"nope": {}}, "nope", None, "unknown plugin"),
        (
            {"sample": {"settings": {"maxItems": "many"}}},
            "sample",
            "settings.maxItems",
            "Expected `int`",
        ),
        (
            {"sample": {"settings": {"colour": "red"}}},
            "sample",
            "settings",
            "unknown field `colour`",
        ),
        ({"sample": {"enabled": "yes"}}, "sample", "enabled", "Expected `bool`"),
        ({"sample": {"switch": True}}, "sample", None, "unknown field `switch`"),
        ({"sample": []}, "sample", None, "Expected `object`"),
        ({"counterless": {"settings": {"a": 1}}}, "counterless", "settings", "takes no settings"),
    ],
)
def test_bad_selections_name_the_plugin_and_the_field(
    host: PluginHost, raw: dict[str, object], plugin: str, field: str | None, problem: str
) -> None:
    host.register(object(), name="counterless")
    with pytest.raises(PluginSettingsError) as caught:
        parse_selection(host, raw)
    error = caught.value
    assert (error.plugin, error.field) == (plugin, field)
    assert problem in error.problem
    assert str(error).startswith(f"plugins.{plugin}")
