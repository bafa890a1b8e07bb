"""Logging: text or JSON lines, each with the id of the request being handled."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterable, Iterator

import httpx
import pytest
from litestar import get
from litestar.types import ControllerRouterHandler

from switchboard.context import GatewayContext
from switchboard.hookspecs import hookimpl
from switchboard.logs import configure_logging, request_id_var
from switchboard.plugins import PluginHost
from switchboard.settings import load_settings
from switchboard.testing import serve_in_thread
from switchboard.testing.pytest_plugin import RegisterPlugin


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(load_settings({}, log_format="json"), stream)
    yield stream
    configure_logging(load_settings({}))


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_level_logger_extras_and_request_id(json_log: io.StringIO) -> None:
    token = request_id_var.set("req-1")
    try:
        logging.getLogger("switchboard.test").warning("hello %s", "world", extra={"tokens": 3})
    finally:
        request_id_var.reset(token)
    logging.getLogger("switchboard.test").info("outside")
    first, second = lines(json_log)
    assert first["message"] == "hello world"
    assert (first["level"], first["logger"], first["request_id"]) == (
        "warning",
        "switchboard.test",
        "req-1",
    )
    assert first["tokens"] == 3
    assert str(first["time"]).endswith("Z")
    assert second["request_id"] == "-"


def test_exceptions_are_one_json_line(json_log: io.StringIO) -> None:
    try:
        raise ValueError("bad")
    except ValueError:
        logging.getLogger("switchboard.test").exception("failed")
    (entry,) = lines(json_log)
    assert "ValueError: bad" in str(entry["exception"])


def test_text_format_shows_the_request_id() -> None:
    stream = io.StringIO()
    configure_logging(load_settings({}), stream)
    token = request_id_var.set("req-2")
    try:
        logging.getLogger("switchboard.test").info("hi")
    finally:
        request_id_var.reset(token)
    assert "[req-2] hi" in stream.getvalue()


def test_log_lines_inside_a_request_carry_its_id(
    register_plugin: RegisterPlugin, switchboard_plugins: PluginHost, json_log: io.StringIO
) -> None:
    @get("/noisy", sync_to_thread=False)
    def noisy() -> str:
        logging.getLogger("switchboard.noisy").info("handling")
        return "ok"

    class Routes:
        @hookimpl
        def switchboard_register_routes(
            self, gateway: GatewayContext
        ) -> Iterable[ControllerRouterHandler]:
            return [noisy]

    register_plugin(Routes(), "noisy")
    # Started here rather than by the `gateway` fixture so JSON logging is on first.
    with serve_in_thread(switchboard_plugins.settings, switchboard_plugins) as running:
        response = httpx.get(f"{running.url}/noisy")
    handled = [e for e in lines(json_log) if e["message"] == "handling"]
    assert [e["request_id"] for e in handled] == [response.headers["x-request-id"]]
