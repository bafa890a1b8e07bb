"""What the data plane knows of an environment: a snapshot built from the database.

The hot path reads only these frozen values (resources by name, connections with their
decrypted settings and credentials, API keys by hash), never the database. Snapshots are
built by :mod:`switchboard.dataplane.runtime` and dropped when the control plane changes
something (on every worker and instance, through Redis when configured).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import msgspec

from switchboard.capacity import CapacityEntry
from switchboard.dataplane.capture import Recording
from switchboard.interfaces import CapacityLimiter, Provider
from switchboard.interfaces.provider import DiscoveredLimits, Timeouts
from switchboard.plugins.selection import EnvironmentPlugins
from switchboard.pricing import NO_PRICES, ModelPrice, PriceTable
from switchboard.routing import ModelRef

__all__ = ["ApiKeyEntry", "ConnectionConfig", "EnvironmentRuntime", "ResourceConfig"]


class ResourceConfig(msgspec.Struct, frozen=True, kw_only=True):
    """An AI resource as the pipeline uses it."""

    id: str
    name: str
    model: ModelRef
    routing: dict[str, Any] | None
    use_fallback: bool
    fallback_models: tuple[ModelRef, ...]
    capacity: tuple[CapacityEntry, ...]
    enforce_capacity: bool
    max_queue_wait_ms: int | None
    api_key_ids: frozenset[str]

    @property
    def chain(self) -> tuple[ModelRef, ...]:
        """The primary model, then the fallbacks when fallback is on."""
        return (self.model, *self.fallback_models) if self.use_fallback else (self.model,)


class ConnectionConfig(msgspec.Struct, frozen=True, kw_only=True):
    """A connection ready to call: its provider, decoded settings and credentials."""

    id: str
    name: str
    provider: Provider
    settings: Any
    credentials: Any
    allowed_models: frozenset[str] | None
    capacity: tuple[CapacityEntry, ...]
    timeouts: Timeouts
    enforce_discovered_capacity: bool
    discovered: Mapping[str, DiscoveredLimits] = msgspec.field(default_factory=dict)
    """The limits last announced per model, as stored (newer ones live in the runtime)."""
    prices: PriceTable = NO_PRICES
    """The provider's price table with the connection's own prices laid over it."""
    known_prices: dict[str, ModelPrice | None] = msgspec.field(default_factory=dict)
    """Prices already looked up, by model (the struct is frozen; this cache is not)."""

    def admits(self, model: str) -> bool:
        """Whether this connection may call ``model``."""
        return self.allowed_models is None or model in self.allowed_models

    def price_for(self, model: str) -> ModelPrice | None:
        """The price of ``model`` on this connection (``None``: unknown), looked up once."""
        try:
            return self.known_prices[model]
        except KeyError:
            # Models come from the environment's resources, so the cache stays small; two
            # requests racing here both store the same answer.
            price = self.known_prices[model] = self.prices.price_for(model)
            return price


class ApiKeyEntry(msgspec.Struct, frozen=True, kw_only=True):
    """An API key as authentication sees it (found by the hash of its secret)."""

    id: str
    name: str
    environment_id: str
    enabled: bool
    expires_at: datetime | None
    labels: tuple[str, ...]
    resource_ids: frozenset[str]
    capacity: tuple[CapacityEntry, ...]
    enforce_capacity: bool


class EnvironmentRuntime(msgspec.Struct, frozen=True, kw_only=True):
    """Everything one environment's requests need, read once from the database."""

    id: str
    name: str
    workspace_id: str
    workspace_name: str
    plugins: EnvironmentPlugins
    resources: Mapping[str, ResourceConfig]
    connections: tuple[ConnectionConfig, ...]
    limiter: CapacityLimiter | None = None
    """The capacity limiter of the environment (``None``: no limiter plugin is on)."""
    recording: Recording = Recording()
    """What request records keep of payloads here, and what they redact."""

    def connection(self, key: str) -> ConnectionConfig | None:
        """The connection with id or name ``key``."""
        for connection in self.connections:
            if key in (connection.id, connection.name):
                return connection
        return None

    def connections_for(self, model: ModelRef) -> list[ConnectionConfig]:
        """The connections that may serve ``model``: the named one, or every connection of
        its provider whose allowed models admit it, in name order."""
        if model.connection is not None:
            named = self.connection(model.connection)
            if named is None or named.provider.name != model.provider:
                return []
            return [named] if named.admits(model.model) else []
        return [
            c
            for c in self.connections
            if c.provider.name == model.provider and c.admits(model.model)
        ]
