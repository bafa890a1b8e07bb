"""Plugin discovery: entry points, allow- and block-lists, failures, declared metadata."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from switchboard.hookspecs import hookimpl
from switchboard.plugins import PluginHost, PluginLoadError
from switchboard.plugins import host as host_module
from switchboard.settings import load_settings

GOOD = EntryPoint("good", "tests.core.plugins.good_plugin", "switchboard")
BROKEN = EntryPoint("broken", "tests.core.plugins.broken_plugin", "switchboard")


@pytest.fixture
def fake_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(host_module, "entry_points", lambda group: [GOOD, BROKEN])


def make_host(**settings: object) -> PluginHost:
    return PluginHost(load_settings({}, **settings))


def test_installed_builtin_plugins_are_found() -> None:
    host = make_host()
    host.load_entry_points()
    assert "log-recorder" in host.plugins
    plugin = host.plugins["log-recorder"]
    assert plugin.distribution == "switchboard-log-recorder"
    assert plugin.hooks == ["switchboard_register_recorders"]
    assert plugin.settings_type is not None


@pytest.mark.usefixtures("fake_entry_points")
def test_a_plugin_that_fails_to_import_is_named_and_left_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    host = make_host()
    host.load_entry_points()
    assert list(host.plugins) == ["good"]
    assert [(f.name, f.error) for f in host.failures] == [
        ("broken", "ImportError: No module named 'some_missing_dependency'")
    ]
    assert "plugin 'broken' failed to load" in caplog.text


@pytest.mark.usefixtures("fake_entry_points")
def test_strict_makes_an_import_failure_fatal() -> None:
    with pytest.raises(PluginLoadError, match="plugin 'broken' failed to load: ImportError"):
        make_host().load_entry_points(strict=True)
    with pytest.raises(PluginLoadError, match="plugin 'broken'"):
        make_host(strict_plugins=True).load_entry_points()


@pytest.mark.usefixtures("fake_entry_points")
def test_allow_list_loads_only_the_named_plugins() -> None:
    host = make_host(plugins="good")
    host.load_entry_points()
    assert list(host.plugins) == ["good"]
    assert host.failures == []


@pytest.mark.usefixtures("fake_entry_points")
def test_block_list_keeps_a_plugin_out_even_when_registered_by_hand() -> None:
    host = make_host(disable_plugins="broken, good")
    host.load_entry_points()
    assert host.plugins == {}
    assert host.failures == []
    with pytest.raises(PluginLoadError, match="'good'"):
        host.register(object(), name="good")


@pytest.mark.usefixtures("fake_entry_points")
@pytest.mark.parametrize("setting", ["plugins", "disable_plugins"])
def test_unknown_names_in_the_lists_are_refused(setting: str) -> None:
    variable = f"SWITCHBOARD_{setting.upper()}"
    with pytest.raises(PluginLoadError, match=rf"{variable} names unknown plugin\(s\) 'nope'"):
        make_host(**{setting: "good,nope"}).load_entry_points()


@pytest.mark.usefixtures("fake_entry_points")
def test_declared_settings_and_default_are_read() -> None:
    host = make_host(plugins="good")
    host.load_entry_points()
    good = host.plugins["good"]
    assert good.enabled_by_default is True
    assert good.settings_type is not None and good.settings_type.__name__ == "Settings"
    assert good.description == "A well-formed plugin module found through a (faked) entry point."
    assert good.hooks == ["switchboard_count_tokens"]


def test_invalid_plugins_are_refused_with_their_name() -> None:
    host = make_host()

    class BadSettings:
        Settings = dict

    with pytest.raises(PluginLoadError, match="plugin 'bad-settings': Settings must be"):
        host.register(BadSettings(), name="bad-settings")

    class UnknownHook:
        @hookimpl
        def switchboard_no_such_hook(self) -> None:
            pass

    with pytest.raises(PluginLoadError, match=r"plugin 'unknown-hook'.*switchboard_no_such_hook"):
        host.register(UnknownHook(), name="unknown-hook")
    assert "unknown-hook" not in host.plugins

    class WrongArguments:
        @hookimpl
        def switchboard_count_tokens(self, request: object, model: str, extra: int) -> int:
            return 0

    with pytest.raises(PluginLoadError, match="plugin 'wrong-arguments' is invalid"):
        host.register(WrongArguments(), name="wrong-arguments")


def test_a_name_can_be_registered_once() -> None:
    host = make_host()
    host.register(object(), name="one")
    with pytest.raises(PluginLoadError, match="already registered"):
        host.register(object(), name="one")
    host.unregister("one")
    host.register(object(), name="one")
