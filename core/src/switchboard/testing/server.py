"""A real gateway server on a free port, in a background thread of the test process.

Real sockets and the real ASGI server (uvicorn), so tests see what clients see; a thread
rather than a subprocess so tests can register plugins in the same process.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from litestar import Litestar

from switchboard.app import create_app
from switchboard.plugins.host import PluginHost
from switchboard.settings import Settings
from switchboard.state import Gateway

__all__ = ["RunningGateway", "serve_in_thread"]

STARTUP_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class RunningGateway:
    """A gateway serving on ``url`` until the context that made it ends."""

    url: str
    app: Litestar
    settings: Settings
    plugins: PluginHost

    @property
    def state(self) -> Gateway:
        """The worker's shared state (database engine, registry, ...)."""
        gateway: Gateway = self.app.state.gateway
        return gateway


@contextmanager
def serve_in_thread(
    settings: Settings, plugins: PluginHost, *, auto_migrate: bool = True
) -> Iterator[RunningGateway]:
    """Start a gateway on 127.0.0.1 and a free port; stop it when the context ends.

    Raises ``RuntimeError`` with the server's failure when it does not start.
    """
    app = create_app(settings, plugins=plugins, auto_migrate=auto_migrate)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_config=None, access_log=False, lifespan="on", loop="asyncio", http="h11"
    )
    server = uvicorn.Server(config)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except BaseException as exc:  # reported to the test thread below
            failure.append(exc)

    thread = threading.Thread(target=run, name=f"switchboard-test-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(5)
            sock.close()
            reason = repr(failure[0]) if failure else "see the log above"
            raise RuntimeError(f"the test gateway did not start: {reason}")
        time.sleep(0.01)
    try:
        yield RunningGateway(
            url=f"http://127.0.0.1:{port}", app=app, settings=settings, plugins=plugins
        )
    finally:
        server.should_exit = True
        thread.join(STARTUP_TIMEOUT_SECONDS)
        sock.close()
