"""The Litestar application factory.

``create_app()`` builds one worker's app from ``SWITCHBOARD_*`` settings: it loads the
plugins, mounts the core's routes and the plugins' routes, and on startup opens the
database (checking its schema), Redis when configured, collects the registered objects and
runs the plugins' startup hooks. ``uvicorn --factory switchboard.app:create_app`` is what
``switchboard serve`` runs in each worker.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.types import ControllerRouterHandler

from switchboard import __version__
from switchboard.accounts.bootstrap import announce_generated_password, ensure_admin
from switchboard.accounts.throttle import RedisLoginThrottle
from switchboard.api import api_router
from switchboard.context import GatewayContext
from switchboard.dataplane.asgi import DataPlaneFirst
from switchboard.dataplane.pipeline import Pipeline
from switchboard.dataplane.runtime import Runtime
from switchboard.db.engine import create_engine, session_factory
from switchboard.db.migrations import prepare_database
from switchboard.http.admin_ui import admin_ui_handlers
from switchboard.http.errors import EXCEPTION_HANDLERS
from switchboard.http.health import healthz, readyz
from switchboard.http.request_id import RequestIdMiddleware
from switchboard.logs import configure_logging
from switchboard.plugins.host import PluginHost
from switchboard.plugins.registry import Registry
from switchboard.retention import RecordRetention
from switchboard.settings import Settings, load_settings
from switchboard.state import Gateway

__all__ = ["create_app"]

log = logging.getLogger(__name__)

OPENAPI_PATH = "/api/docs"


def create_app(
    settings: Settings | None = None,
    *,
    plugins: PluginHost | None = None,
    auto_migrate: bool | None = None,
) -> Litestar:
    """Build the gateway app.

    :param settings: defaults to the ``SWITCHBOARD_*`` environment.
    :param plugins: a host with plugins already loaded (tests); defaults to entry points.
    :param auto_migrate: migrate an outdated schema at startup instead of refusing to
        start; defaults to on for the embedded SQLite database only, because migrating a
        shared PostgreSQL is an operator's decision (``switchboard migrate``).
    """
    if settings is None:
        settings = load_settings()
        configure_logging(settings)
    if plugins is None:
        plugins = PluginHost(settings)
        plugins.load_entry_points()
    migrate = settings.is_embedded_database if auto_migrate is None else auto_migrate
    gateway = Gateway(settings=settings, plugins=plugins, context=GatewayContext(settings))

    route_handlers: list[ControllerRouterHandler] = [healthz, readyz, api_router]
    route_handlers.extend(admin_ui_handlers())
    route_handlers.extend(plugins.hooks.register_routes(gateway=gateway.context))

    app = Litestar(
        route_handlers=route_handlers,
        lifespan=[_lifespan_for(gateway, auto_migrate=migrate)],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(
            title="Switchboard",
            version=__version__,
            description="Self-hosted AI gateway: data plane (/v1) and control plane (/api/v1).",
            path=OPENAPI_PATH,
            render_plugins=[SwaggerRenderPlugin(path="/"), ScalarRenderPlugin(path="/scalar")],
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="A personal access token (sbp_...) from /api/v1/auth/tokens.",
                    ),
                    "session": SecurityScheme(
                        type="apiKey",
                        name="sb_session",
                        security_scheme_in="cookie",
                        description="The UI session from /api/v1/auth/login; writes also "
                        "need the x-csrf-token header.",
                    ),
                }
            ),
            security=[{"bearer": []}, {"session": []}],
        ),
        request_max_body_size=settings.max_body_bytes,
        logging_config=None,
        debug=settings.debug,
    )
    # Outermost, around Litestar's own exception handling and routing: app middleware would
    # miss requests no route matches (404, 405), and those need a request id too. The data
    # plane goes first, past all of Litestar's per-request layers (see dataplane/asgi.py).
    app.asgi_handler = DataPlaneFirst(gateway, RequestIdMiddleware(app.asgi_handler))
    return app


def _lifespan_for(gateway: Gateway, *, auto_migrate: bool):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.gateway = gateway
        await _start(gateway, auto_migrate=auto_migrate)
        assert gateway.sessions is not None
        retention = RecordRetention(gateway.sessions, gateway.settings.record_retention_days)
        retention.start()
        try:
            yield
        finally:
            await retention.aclose()
            await _stop(gateway)

    return lifespan


async def _start(gateway: Gateway, *, auto_migrate: bool) -> None:
    settings = gateway.settings
    gateway.engine = create_engine(settings.effective_database_url)
    await prepare_database(gateway.engine, auto_migrate=auto_migrate)
    gateway.sessions = session_factory(gateway.engine)
    gateway.context.database = gateway.sessions
    generated = await ensure_admin(gateway.sessions, password=settings.admin_password)
    if generated is not None:
        announce_generated_password(
            generated, data_dir=settings.data_dir, log_format=settings.log_format
        )
    if settings.redis_url:
        from redis.asyncio import Redis

        # Publish/subscribe and the readiness ping need no cluster client: a Redis Cluster
        # passes a PUBLISH on to every node, so one connection to the URL's node is enough.
        gateway.redis = Redis.from_url(settings.redis_url)
        if settings.redis_cluster:
            from redis.asyncio.cluster import RedisCluster

            # Keyed commands follow their key's slot to its node (the layout is asked for
            # on first use).
            gateway.redis_cluster = RedisCluster.from_url(settings.redis_url)
            gateway.login_throttle = RedisLoginThrottle(gateway.redis_cluster)
        else:
            gateway.login_throttle = RedisLoginThrottle(gateway.redis)
    elif settings.workers > 1:
        log.warning(
            "SWITCHBOARD_WORKERS=%d without SWITCHBOARD_REDIS_URL: capacity limits and caches "
            "are kept per worker process, so limits apply to each worker separately",
            settings.workers,
        )
    gateway.registry = Registry.collect(gateway.plugins.hooks, gateway.context)
    for recorder in gateway.registry.recorders.available():
        await recorder.start()
    gateway.runtime = Runtime(gateway)
    await gateway.runtime.start()
    gateway.pipeline = Pipeline(gateway, gateway.runtime)
    await gateway.plugins.hooks.startup(gateway=gateway.context)
    _settle_memory()


YOUNG_COLLECTION_THRESHOLD = 3_000
"""Allocations between two collections of the youngest generation (CPython's default: 700).

A young collection walks what is alive at that moment, which under load is mostly the
requests in flight; at 700 it ran every few requests and walked them again each time. At
3,000 the gateway spent about 3% less CPU per request at 32 connections (``bench/ratio.sh``,
``bench/run.sh``) with the same 99th percentile. The older generations keep CPython's
thresholds: raising those too won a little more throughput but, each pass then walking
tens of thousands of objects, tripled the 99th percentile."""


def _settle_memory() -> None:
    """Keep the garbage collector off what start-up built, and young passes less frequent.

    Everything loaded so far (modules, plugins, the ORM's mappings) lives as long as the
    process; frozen, the collector no longer walks it on every older-generation pass, which
    the data plane's short-lived objects would otherwise trigger again and again. See
    :data:`YOUNG_COLLECTION_THRESHOLD` for the young generation.
    """
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, older, oldest)


async def _stop(gateway: Gateway) -> None:
    await gateway.plugins.hooks.shutdown(gateway=gateway.context)
    if gateway.runtime is not None:
        await gateway.runtime.aclose()
    if gateway.registry is not None:
        for recorder in gateway.registry.recorders.available():
            try:
                await recorder.aclose()
            except Exception:
                log.exception("recorder %r failed to close", recorder.name)
        for limiter in gateway.registry.capacity_limiters.available():
            await limiter.aclose()
        for box in gateway.registry.secret_boxes.available():
            await box.aclose()
    await gateway.context.aclose()
    if gateway.redis_cluster is not None:
        await gateway.redis_cluster.aclose()
    if gateway.redis is not None:
        await gateway.redis.aclose()
    if gateway.engine is not None:
        await gateway.engine.dispose()
