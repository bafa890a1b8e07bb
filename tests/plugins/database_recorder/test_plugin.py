"""The plugin: on by default, registers one recorder, knobs from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

import switchboard_database_recorder.plugin as plugin
from switchboard.context import GatewayContext
from switchboard.settings import load_settings
from switchboard_database_recorder.config import (
    RecorderOptions,
    RecorderOptionsError,
    options_from_env,
)
from switchboard_database_recorder.recorder import DatabaseRecorder


def test_it_is_on_by_default() -> None:
    assert plugin.ENABLED_BY_DEFAULT is True


def test_the_knobs_come_from_the_environment() -> None:
    assert options_from_env({}) == RecorderOptions()
    options = options_from_env(
        {
            "SWITCHBOARD_DATABASE_RECORDER_BATCH_SIZE": "250",
            "SWITCHBOARD_DATABASE_RECORDER_FLUSH_INTERVAL": "0.5",
            "SWITCHBOARD_DATABASE_RECORDER_QUEUE_SIZE": "2000",
            "SWITCHBOARD_DATABASE_RECORDER_SPOOL_DIR": "/var/spool/sb",
            "SWITCHBOARD_DATABASE_URL": "ignored: not one of the recorder's",
        }
    )
    assert (options.batch_size, options.flush_interval, options.queue_size) == (250, 0.5, 2000)
    assert options.spool_dir == "/var/spool/sb"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SWITCHBOARD_DATABASE_RECORDER_BATCH_SIZE", "0"),
        ("SWITCHBOARD_DATABASE_RECORDER_FLUSH_INTERVAL", "soon"),
    ],
)
def test_a_bad_knob_is_refused_by_name(variable: str, value: str) -> None:
    with pytest.raises(RecorderOptionsError, match=variable):
        options_from_env({variable: value})


def test_an_unknown_knob_is_refused() -> None:
    with pytest.raises(RecorderOptionsError, match="batchsize"):
        options_from_env({"SWITCHBOARD_DATABASE_RECORDER_BATCHSIZE": "10"})


def test_it_registers_one_recorder_spooling_in_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SWITCHBOARD_DATABASE_RECORDER_SPOOL_DIR", raising=False)
    gateway = GatewayContext(load_settings({}, data_dir=str(tmp_path)))
    (recorder,) = plugin.switchboard_register_recorders(gateway=gateway)
    assert isinstance(recorder, DatabaseRecorder)
    assert recorder.spool.folder == tmp_path / "spool"

    monkeypatch.setenv("SWITCHBOARD_DATABASE_RECORDER_SPOOL_DIR", str(tmp_path / "elsewhere"))
    (recorder,) = plugin.switchboard_register_recorders(gateway=gateway)
    assert isinstance(recorder, DatabaseRecorder)
    assert recorder.spool.folder == tmp_path / "elsewhere"
