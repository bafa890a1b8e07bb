"""The data plane's test world (fake providers, workspace ``acme``, environment ``prod``,
resource ``chat``) with a recorder keeping every record beside the Prometheus plugin."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from switchboard.plugins.host import PluginHost
from switchboard.settings import Settings
from switchboard.testing import RunningGateway
from switchboard.testing.pytest_plugin import RegisterPlugin
from switchboard.testing.records import KeptRecords
from switchboard.testing.server import serve_in_thread
from tests.core.dataplane.conftest import (  # noqa: F401 - fixtures, shared with the data plane's tests
    World,
    switchboard_settings,
    world,
)


@pytest.fixture
def kept() -> KeptRecords:
    return KeptRecords()


@pytest.fixture
def gateway(
    switchboard_settings: Settings,  # noqa: F811 - the data plane's, imported above
    switchboard_plugins: PluginHost,
    register_plugin: RegisterPlugin,
    kept: KeptRecords,
) -> Iterator[RunningGateway]:
    """The gateway with the installed plugins (Prometheus among them) and ``kept``."""
    assert "prometheus" in switchboard_plugins.plugins
    register_plugin(kept, "kept-records")
    with serve_in_thread(switchboard_settings, switchboard_plugins) as running:
        yield running
