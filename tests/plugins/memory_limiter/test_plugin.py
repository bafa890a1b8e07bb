"""The memory limiter is a plugin on by default, registered as ``memory``."""

from __future__ import annotations

from switchboard.context import GatewayContext
from switchboard.plugins import PluginHost, Registry, resolve_selection
from switchboard.settings import load_settings
from switchboard_memory_limiter import MemoryCapacityLimiter


def test_registered_and_on_by_default() -> None:
    host = PluginHost(load_settings({}, plugins="memory-limiter"))
    host.load_entry_points()
    registry = Registry.collect(host.hooks, GatewayContext(host.settings))
    environment = resolve_selection(host, {})
    limiter = registry.capacity_limiters.get("memory", environment.enabled)
    assert isinstance(limiter, MemoryCapacityLimiter)
