"""The app over real sockets: health, readiness, docs, JSON errors, request ids."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterable
from typing import Any

import httpx
import pytest
from litestar import Request, get
from litestar.params import FromPath, FromQuery
from litestar.types import ControllerRouterHandler

from switchboard.app import YOUNG_COLLECTION_THRESHOLD
from switchboard.context import GatewayContext
from switchboard.errors import Conflict
from switchboard.hookspecs import hookimpl
from switchboard.plugins import PluginHost
from switchboard.settings import Settings, load_settings
from switchboard.testing import RunningGateway, serve_in_thread
from switchboard.testing.pytest_plugin import RegisterPlugin


def test_healthz_answers(gateway: RunningGateway) -> None:
    response = httpx.get(f"{gateway.url}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_the_embedded_database(gateway: RunningGateway) -> None:
    response = httpx.get(f"{gateway.url}/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok"}}


@pytest.mark.redis
def test_readyz_checks_redis_when_configured(tmp_path: object, redis_url: str) -> None:
    settings = load_settings({}, data_dir=str(tmp_path), redis_url=redis_url)
    plugins = PluginHost(settings)
    with serve_in_thread(settings, plugins) as running:
        response = httpx.get(f"{running.url}/readyz")
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_is_503_with_the_reason_when_redis_is_down(tmp_path: object) -> None:
    settings = load_settings({}, data_dir=str(tmp_path), redis_url="redis://127.0.0.1:1/0")
    with serve_in_thread(settings, PluginHost(settings)) as running:
        response = httpx.get(f"{running.url}/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("redis unreachable: ConnectionError")


def test_readyz_is_503_when_the_database_goes_away(gateway: RunningGateway) -> None:
    engine = gateway.state.engine
    assert engine is not None
    # Point the worker at a database that does not answer, as if PostgreSQL had stopped.
    from switchboard.db.engine import create_engine

    gateway.state.engine = create_engine("postgresql+asyncpg://postgres:pw@127.0.0.1:1/x")
    try:
        response = httpx.get(f"{gateway.url}/readyz")
    finally:
        gateway.state.engine = engine
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("database unreachable")
    assert "pw" not in response.text


def test_openapi_document_and_docs_are_served(gateway: RunningGateway) -> None:
    schema = httpx.get(f"{gateway.url}/api/docs/openapi.json")
    assert schema.status_code == 200
    document = schema.json()
    assert document["info"]["title"] == "Switchboard"
    assert "/healthz" in document["paths"] and "/readyz" in document["paths"]
    page = httpx.get(f"{gateway.url}/api/docs")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]


def test_every_response_has_a_request_id_and_keeps_a_sane_incoming_one(
    gateway: RunningGateway,
) -> None:
    fresh = httpx.get(f"{gateway.url}/healthz")
    assert len(fresh.headers["x-request-id"]) == 32
    kept = httpx.get(f"{gateway.url}/healthz", headers={"x-request-id": "trace-123"})
    assert kept.headers["x-request-id"] == "trace-123"
    replaced = httpx.get(f"{gateway.url}/healthz", headers={"x-request-id": "bad id\twith tab"})
    assert replaced.headers["x-request-id"] != "bad id\twith tab"
    assert len(replaced.headers["x-request-id"]) == 32


def test_unknown_paths_and_methods_get_the_json_envelope(gateway: RunningGateway) -> None:
    missing = httpx.get(f"{gateway.url}/nope", headers={"accept": "text/html"})
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/json")
    assert missing.json()["error"]["type"] == "not_found_error"
    wrong = httpx.delete(f"{gateway.url}/healthz")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["type"] == "invalid_request_error"
    assert "x-request-id" in wrong.headers


@pytest.fixture
def routes_plugin(register_plugin: RegisterPlugin) -> None:
    @get("/boom", sync_to_thread=False)
    def boom() -> None:
        raise RuntimeError("secret-internal-detail")

    @get("/taken", sync_to_thread=False)
    def taken() -> None:
        raise Conflict("workspace 'acme' already exists", param="name")

    @get("/items/{item_id:int}", sync_to_thread=False)
    def item(item_id: FromPath[int], limit: FromQuery[int] = 10) -> dict[str, int]:
        return {"item": item_id, "limit": limit}

    class Routes:
        @hookimpl
        def switchboard_register_routes(
            self, gateway: GatewayContext
        ) -> Iterable[ControllerRouterHandler]:
            return [boom, taken, item]

    register_plugin(Routes(), "routes")


@pytest.mark.usefixtures("routes_plugin")
def test_plugin_routes_are_served_and_errors_are_enveloped(
    gateway: RunningGateway, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        boom = httpx.get(f"{gateway.url}/boom")
    assert boom.status_code == 500
    error = boom.json()["error"]
    assert error["type"] == "server_error"
    assert boom.headers["x-request-id"] in error["message"]
    assert "secret-internal-detail" not in boom.text
    assert "secret-internal-detail" in caplog.text  # the operator still sees it in the log

    taken = httpx.get(f"{gateway.url}/taken")
    assert taken.status_code == 409
    assert taken.json() == {
        "error": {
            "message": "workspace 'acme' already exists",
            "type": "conflict_error",
            "param": "name",
            "code": None,
        }
    }

    bad = httpx.get(f"{gateway.url}/items/1", params={"limit": "many"})
    assert bad.status_code == 400
    assert bad.json()["error"]["param"] == "limit"
    assert "limit" in bad.json()["error"]["message"]


def test_bodies_over_the_limit_get_413(
    tmp_path: object, register_plugin: RegisterPlugin, switchboard_plugins: PluginHost
) -> None:
    from litestar import post

    @post("/echo-size")
    async def echo_size(request: Request[Any, Any, Any]) -> dict[str, int]:
        return {"size": len(await request.body())}

    class Routes:
        @hookimpl
        def switchboard_register_routes(
            self, gateway: GatewayContext
        ) -> Iterable[ControllerRouterHandler]:
            return [echo_size]

    register_plugin(Routes(), "echo-size")
    settings: Settings = load_settings({}, data_dir=str(tmp_path), max_body_bytes=2048)
    with serve_in_thread(settings, switchboard_plugins) as running:
        small = httpx.post(f"{running.url}/echo-size", content=b"x" * 100)
        large = httpx.post(f"{running.url}/echo-size", content=b"x" * 5000)
    assert small.json() == {"size": 100}
    assert large.status_code == 413
    assert large.json()["error"]["type"] == "invalid_request_error"


def test_startup_freezes_what_it_built_and_spaces_young_collections(
    gateway: RunningGateway,
) -> None:
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[0] == YOUNG_COLLECTION_THRESHOLD > 700
