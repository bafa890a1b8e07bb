"""Registers the embedded capacity limiter (on by default)."""

from __future__ import annotations

from collections.abc import Iterable

from switchboard.context import GatewayContext
from switchboard.hookspecs import hookimpl
from switchboard.interfaces import CapacityLimiter
from switchboard_memory_limiter.limiter import MemoryCapacityLimiter

__all__ = ["switchboard_register_capacity_limiters"]


@hookimpl
def switchboard_register_capacity_limiters(gateway: GatewayContext) -> Iterable[CapacityLimiter]:
    """Register the memory limiter: exact for one process, the default backend."""
    return [MemoryCapacityLimiter()]
