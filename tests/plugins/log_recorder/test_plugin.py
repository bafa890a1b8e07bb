"""The log recorder: one line per record, honouring each environment's settings."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from switchboard.context import GatewayContext
from switchboard.plugins import PluginHost, PluginSettingsError, Registry, resolve_selection
from switchboard.recording import dispatch_record
from switchboard.records import AttemptRecord, RequestRecord
from switchboard.settings import load_settings


@pytest.fixture
def host() -> PluginHost:
    host = PluginHost(load_settings({}, plugins="log-recorder"))
    host.load_entry_points()
    return host


@pytest.fixture
def registry(host: PluginHost) -> Registry:
    return Registry.collect(host.hooks, GatewayContext(host.settings))


def record(status: int, payload: dict[str, object] | None = None) -> RequestRecord:
    return RequestRecord(
        request_id=f"req-{status}",
        created_at=datetime.now(UTC),
        path="/v1/chat/completions",
        status=status,
        resource_name="chat",
        provider="openai",
        model="gpt-4o",
        route="primary",
        attempts=[
            AttemptRecord(provider="openai", model="gpt-4o", connection_id="c", outcome="ok")
        ],
        prompt_tokens=12,
        completion_tokens=9,
        latency_ms=41.5,
        payload=payload,
    )


def test_each_record_is_one_structured_line(
    host: PluginHost, registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    environment = resolve_selection(host, {"log-recorder": {}})
    with caplog.at_level(logging.INFO, logger="switchboard.requests"):
        dispatch_record(
            record(200, payload={"messages": "top secret prompt"}),
            environment=environment,
            registry=registry,
        )
    (line,) = [r for r in caplog.records if r.name == "switchboard.requests"]
    assert line.levelno == logging.INFO
    assert line.getMessage() == "/v1/chat/completions chat -> 200 in 41.5 ms"
    fields = line.record  # type: ignore[attr-defined]
    assert fields["request_id"] == "req-200"
    assert (fields["prompt_tokens"], fields["completion_tokens"], fields["attempts"]) == (12, 9, 1)
    assert "top secret prompt" not in caplog.text


def test_failures_only_and_level_are_per_environment(
    host: PluginHost, registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    quiet = resolve_selection(
        host, {"log-recorder": {"settings": {"failuresOnly": True, "level": "warning"}}}
    )
    with caplog.at_level(logging.DEBUG, logger="switchboard.requests"):
        dispatch_record(record(200), environment=quiet, registry=registry)
        dispatch_record(record(502), environment=quiet, registry=registry)
    logged = [r for r in caplog.records if r.name == "switchboard.requests"]
    assert [(r.record["status"], r.levelno) for r in logged] == [(502, logging.WARNING)]  # type: ignore[attr-defined]


def test_environments_opt_in(
    host: PluginHost, registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    default = resolve_selection(host, {})
    assert "log-recorder" not in default.enabled
    with caplog.at_level(logging.DEBUG, logger="switchboard.requests"):
        dispatch_record(record(200), environment=default, registry=registry)
    assert not [r for r in caplog.records if r.name == "switchboard.requests"]


def test_switched_off_environments_log_nothing(
    host: PluginHost, registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    off = resolve_selection(host, {"log-recorder": {"enabled": False}})
    with caplog.at_level(logging.DEBUG, logger="switchboard.requests"):
        dispatch_record(record(200), environment=off, registry=registry)
    assert not [r for r in caplog.records if r.name == "switchboard.requests"]


def test_bad_settings_are_refused_naming_the_field(host: PluginHost) -> None:
    with pytest.raises(PluginSettingsError, match=r"plugins\.log-recorder\.settings\.level"):
        resolve_selection(host, {"log-recorder": {"settings": {"level": "loud"}}})
