"""The data plane's in-process caches: environment snapshots and API keys, kept fresh.

Every control-plane change (:func:`switchboard.api.audit_log.commit_change`) calls
:meth:`Runtime.changed`, which drops this process's caches and, when Redis is configured,
publishes on a channel every worker and instance listens to, so a revoked key or a changed
resource takes effect everywhere at once. Entries also expire after a short time as a safety
net: ``STALE_AFTER_SECONDS`` with Redis (a missed message heals within it), one second
without Redis when several workers share the database (they cannot tell each other), and
the same one second while the Redis subscription is down.

While the database cannot be read, expired entries keep serving (re-tried every couple of
seconds): the data plane goes on with the configuration it last read, and requests are
recorded through the outage (the database recorder spools them).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

import msgspec
from sqlalchemy import or_, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from switchboard.capacity import CapacityEntry
from switchboard.dataplane.admission import Settlements, WaitLines
from switchboard.dataplane.capture import Recording
from switchboard.dataplane.config import (
    ApiKeyEntry,
    ConnectionConfig,
    EnvironmentRuntime,
    ResourceConfig,
)
from switchboard.dataplane.discovered import DiscoveredCapacity, read_discovered
from switchboard.dataplane.error_rates import ErrorRateBook
from switchboard.dataplane.headroom import Headroom
from switchboard.dataplane.limits import CompletionEstimates, choose_limiter
from switchboard.db.models import (
    AIConnection,
    AIResource,
    ApiKey,
    ApiKeyResource,
    Environment,
    Workspace,
    utcnow,
)
from switchboard.errors import NotFound, ServiceUnavailable
from switchboard.interfaces.provider import Timeouts
from switchboard.plugins.selection import EnvironmentPlugins, resolve_selection
from switchboard.pricing import ModelPrice
from switchboard.routing import ModelRef
from switchboard.vault import open_credentials

if TYPE_CHECKING:
    from switchboard.state import Gateway

__all__ = ["INVALIDATION_CHANNEL", "Runtime"]

log = logging.getLogger(__name__)

T = TypeVar("T")

INVALIDATION_CHANNEL = "switchboard:invalidate"
STALE_AFTER_SECONDS = 30.0
SHORT_LIFE_SECONDS = 1.0
SERVE_STALE_SECONDS = 2.0
"""While the database is down, how long an expired entry serves before another try."""
STALE_WARNING_SECONDS = 60.0
"""At most one warning this often while serving expired entries."""
MAX_CACHED_KEYS = 100_000


class Runtime:
    """Snapshots of environments and API keys for the hot path; one per worker process."""

    def __init__(self, gateway: Gateway) -> None:
        self._gateway = gateway
        self._environments: dict[str, tuple[float, EnvironmentRuntime]] = {}
        self._keys: dict[str, tuple[float, ApiKeyEntry | None]] = {}
        self._building: dict[str, asyncio.Lock] = {}
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = False
        self._warned_stale_until = 0.0
        self.error_rates = ErrorRateBook()
        # What capacity decisions learn from traffic, per process (see each module).
        self.discovered = DiscoveredCapacity(gateway.context.sessions)
        self.headroom = Headroom()
        self.estimates = CompletionEstimates()
        self.wait_lines = WaitLines()
        self.settlements = Settlements()

    @functools.cached_property
    def default_plugins(self) -> EnvironmentPlugins:
        """The plugins every environment has unless it says otherwise: the recorders of a
        request that never reached an environment (a bad key, a malformed body)."""
        return resolve_selection(self._gateway.plugins, None)

    # -- freshness -------------------------------------------------------------------------

    @property
    def lifetime(self) -> float:
        """How long a cached entry is trusted without hearing of a change."""
        settings = self._gateway.settings
        if settings.redis_url:
            return STALE_AFTER_SECONDS if self._subscribed else SHORT_LIFE_SECONDS
        return SHORT_LIFE_SECONDS if settings.workers > 1 else STALE_AFTER_SECONDS

    def forget(self) -> None:
        """Expire every cached entry of this process: the next use reloads it. The entries
        stay, to serve while the database cannot be read (see :meth:`_fresh_or_stale`)."""
        self._environments = {k: (0.0, v) for k, (_, v) in self._environments.items()}
        self._keys = {k: (0.0, v) for k, (_, v) in self._keys.items()}

    async def _fresh_or_stale(
        self, load: Callable[[], Awaitable[T]], cached: tuple[float, T] | None, what: str
    ) -> tuple[float, T]:
        """``load()`` with the usual lifetime, or, when the database cannot be reached and
        ``cached`` holds an expired entry, that entry again for a short while.

        A database outage must not stop the data plane: requests go on with the last
        configuration this process read (a change made meanwhile waits for the database).
        """
        try:
            return time.monotonic() + self.lifetime, await load()
        except (OSError, TimeoutError, DBAPIError, PoolTimeout) as exc:
            if cached is None:
                raise ServiceUnavailable(
                    f"the database cannot be reached to read {what}; retry shortly",
                    code="database_unavailable",
                ) from exc
            now = time.monotonic()
            if now >= self._warned_stale_until:
                self._warned_stale_until = now + STALE_WARNING_SECONDS
                log.warning(
                    "the database cannot be reached (%s): serving cached configuration",
                    type(exc).__name__,
                )
            return now + SERVE_STALE_SECONDS, cached[1]

    async def changed(self) -> None:
        """The control plane changed something: forget, and tell the other processes."""
        self.forget()
        redis = self._gateway.redis
        if redis is not None:
            try:
                await redis.publish(INVALIDATION_CHANNEL, b"all")
            except Exception as exc:
                # The others heal within their short lifetime while the subscription is down.
                log.warning("could not publish a cache invalidation: %s", exc)

    async def start(self) -> None:
        """Listen for other processes' changes (when Redis is configured); start writing
        discovered capacity."""
        if self._gateway.redis is not None:
            self._listener = asyncio.create_task(self._listen(), name="switchboard-invalidate")
        await self.discovered.start()
        self.error_rates.start(self.environment)

    async def aclose(self) -> None:
        """Stop listening; write the discovered capacity still pending."""
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        await self.settlements.aclose()
        await self.discovered.aclose()
        await self.error_rates.aclose()

    async def _listen(self) -> None:
        redis = self._gateway.redis
        assert redis is not None
        while True:
            pubsub = redis.pubsub()
            try:
                await pubsub.subscribe(INVALIDATION_CHANNEL)
                self._subscribed = True
                # Anything may have changed while we were not listening.
                self.forget()
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        self.forget()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("cache invalidation channel lost (%s); retrying in 1 s", exc)
            finally:
                self._subscribed = False
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(1.0)

    # -- API keys ---------------------------------------------------------------------------

    async def key(self, key_hash: str) -> ApiKeyEntry | None:
        """The API key whose secret hashes to ``key_hash`` (current or within its rotation
        grace), or ``None``. Misses are cached too, so a flood of bad keys costs one query
        per key per lifetime."""
        now = time.monotonic()
        cached = self._keys.get(key_hash)
        if cached is not None and cached[0] > now:
            return cached[1]
        fresh = await self._fresh_or_stale(lambda: self._load_key(key_hash), cached, "API keys")
        if len(self._keys) >= MAX_CACHED_KEYS:
            self._keys.clear()
        self._keys[key_hash] = fresh
        return fresh[1]

    async def _load_key(self, key_hash: str) -> ApiKeyEntry | None:
        async with self._gateway.context.sessions()() as session:
            row = (
                await session.execute(
                    select(ApiKey).where(
                        or_(
                            ApiKey.key_hash == key_hash,
                            (ApiKey.previous_key_hash == key_hash)
                            & (ApiKey.previous_key_expires_at > utcnow()),
                        )
                    )
                )
            ).scalar_one_or_none()
            if row is None:
                return None
            resources = await session.execute(
                select(ApiKeyResource.resource_id).where(ApiKeyResource.api_key_id == row.id)
            )
            previous_until = (
                row.previous_key_expires_at if row.previous_key_hash == key_hash else None
            )
            return ApiKeyEntry(
                id=row.id,
                name=row.name,
                environment_id=row.environment_id,
                enabled=row.enabled,
                expires_at=_earliest(row.expires_at, previous_until),
                labels=tuple(row.labels),
                resource_ids=frozenset(r for (r,) in resources),
                capacity=tuple(msgspec.convert(row.capacity, list[CapacityEntry])),
                enforce_capacity=row.enforce_capacity,
            )

    # -- environments -----------------------------------------------------------------------

    async def environment(self, environment_id: str) -> EnvironmentRuntime:
        """The snapshot of one environment, built at most once at a time per environment."""
        now = time.monotonic()
        cached = self._environments.get(environment_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        lock = self._building.setdefault(environment_id, asyncio.Lock())
        async with lock:
            cached = self._environments.get(environment_id)
            if cached is not None and cached[0] > time.monotonic():
                return cached[1]
            fresh = await self._fresh_or_stale(
                lambda: self._build(environment_id), cached, "the environment"
            )
            self._environments[environment_id] = fresh
            return fresh[1]

    async def environment_named(self, workspace: str, environment: str) -> EnvironmentRuntime:
        """The snapshot of ``workspace/environment`` (names or ids), for the scoped routes."""
        async with self._gateway.context.sessions()() as session:
            found = (
                await session.execute(
                    select(Environment.id)
                    .join(Workspace, Workspace.id == Environment.workspace_id)
                    .where(
                        or_(Workspace.id == workspace, Workspace.name == workspace),
                        or_(Environment.id == environment, Environment.name == environment),
                    )
                )
            ).scalar_one_or_none()
        if found is None:
            raise NotFound(f"environment {workspace}/{environment} not found")
        return await self.environment(found)

    async def _build(self, environment_id: str) -> EnvironmentRuntime:
        gateway = self._gateway
        registry = gateway.registry
        assert registry is not None
        async with gateway.context.sessions()() as session:
            row = (
                await session.execute(
                    select(Environment, Workspace)
                    .join(Workspace, Workspace.id == Environment.workspace_id)
                    .where(Environment.id == environment_id)
                )
            ).one_or_none()
            if row is None:
                raise NotFound(f"environment {environment_id!r} no longer exists")
            environment, workspace = row
            plugins = resolve_selection(gateway.plugins, environment.plugins)
            links = await session.execute(
                select(ApiKeyResource.resource_id, ApiKeyResource.api_key_id)
                .join(AIResource, AIResource.id == ApiKeyResource.resource_id)
                .where(AIResource.environment_id == environment_id)
            )
            keys_of: dict[str, set[str]] = {}
            for resource_id, key_id in links:
                keys_of.setdefault(resource_id, set()).add(key_id)
            resources = {
                r.name: _resource(r, frozenset(keys_of.get(r.id, ())))
                for r in (
                    await session.execute(
                        select(AIResource).where(AIResource.environment_id == environment_id)
                    )
                ).scalars()
            }
            rows = (
                await session.execute(
                    select(AIConnection)
                    .where(AIConnection.environment_id == environment_id)
                    .order_by(AIConnection.name)
                )
            ).scalars()
            connections = []
            for connection in rows:
                provider = registry.providers.get(connection.provider, plugins.enabled)
                if provider is None:
                    continue  # its plugin is off here: the connection cannot serve
                raw: dict[str, object] = {}
                if connection.credentials_ciphertext is not None and connection.secret_box:
                    raw = await open_credentials(
                        registry,
                        plugins,
                        connection.id,
                        connection.secret_box,
                        connection.credentials_ciphertext,
                    )
                connections.append(
                    ConnectionConfig(
                        id=connection.id,
                        name=connection.name,
                        provider=provider,
                        settings=msgspec.convert(connection.settings, provider.settings_type),
                        credentials=msgspec.convert(raw, provider.credentials_type),
                        allowed_models=None
                        if connection.allowed_models is None
                        else frozenset(connection.allowed_models),
                        capacity=tuple(msgspec.convert(connection.capacity, list[CapacityEntry])),
                        timeouts=msgspec.convert(connection.timeouts or {}, Timeouts),
                        enforce_discovered_capacity=connection.enforce_discovered_capacity,
                        discovered={
                            model: limits
                            for model, limits, _ in read_discovered(
                                connection.discovered_capacity, f"connection {connection.id}"
                            )
                        },
                        # Prices are validated when saved; laid over the plugin's table
                        # here so the data plane never reads them from the database.
                        prices=provider.prices.with_overrides(
                            msgspec.convert(connection.pricing or {}, dict[str, ModelPrice])
                        ),
                    )
                )
        return EnvironmentRuntime(
            id=environment.id,
            name=environment.name,
            workspace_id=workspace.id,
            workspace_name=workspace.name,
            plugins=plugins,
            resources=resources,
            connections=tuple(connections),
            limiter=choose_limiter(registry, plugins),
            recording=Recording.from_stored(environment.recording),
        )


def _resource(row: AIResource, key_ids: frozenset[str]) -> ResourceConfig:
    return ResourceConfig(
        id=row.id,
        name=row.name,
        model=msgspec.convert(row.model, ModelRef),
        routing=row.routing,
        use_fallback=row.use_fallback,
        fallback_models=tuple(msgspec.convert(row.fallback_models, list[ModelRef])),
        capacity=tuple(msgspec.convert(row.capacity, list[CapacityEntry])),
        enforce_capacity=row.enforce_capacity,
        max_queue_wait_ms=row.max_queue_wait_ms,
        api_key_ids=key_ids,
    )


def _earliest(*moments: datetime | None) -> datetime | None:
    present = [m for m in moments if m is not None]
    return min(present) if present else None
