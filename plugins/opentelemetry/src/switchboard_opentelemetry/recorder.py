"""The recorder: request records become traces once the request is over.

:meth:`OpenTelemetryRecorder.record` runs at the end of each request and only queues the
record; the spans are built in a callback the event loop runs next (after the response has
been handed to the server), several records at a time under load, and the batch processor
exports them from its own thread. So a request never waits for its trace, and a collector
that is slow or gone costs the requests nothing (spans beyond the processor's queue are
dropped, as OpenTelemetry's SDK does).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from typing import TYPE_CHECKING, ClassVar

from opentelemetry.sdk.trace import SpanProcessor

from switchboard.interfaces import Recorder
from switchboard.records import RequestRecord
from switchboard_opentelemetry.config import OpenTelemetrySettings
from switchboard_opentelemetry.spans import build_trace
from switchboard_opentelemetry.tracing import Tracing, make_tracing

if TYPE_CHECKING:
    from switchboard.plugins import EnvironmentPlugins

__all__ = ["PLUGIN_NAME", "OpenTelemetryRecorder"]

PLUGIN_NAME = "opentelemetry"

log = logging.getLogger(__name__)

_Pending = tuple[RequestRecord, OpenTelemetrySettings]


class OpenTelemetryRecorder(Recorder):
    """Turns each record of the environments that enable the plugin into a trace.

    ``processor``: where spans go (default: batched OTLP/HTTP as the ``OTEL_*`` variables
    say, see :mod:`switchboard_opentelemetry.tracing`); tests pass an in-memory one.
    ``max_pending``: records waiting for their spans beyond this are dropped (and counted
    in :attr:`dropped`): only reachable if the event loop never gets to build them.
    ``shutdown_timeout``: how long :meth:`aclose` waits for the last spans to be sent.
    """

    name: ClassVar[str] = PLUGIN_NAME

    def __init__(
        self,
        processor: SpanProcessor | None = None,
        *,
        max_pending: int = 10_000,
        shutdown_timeout: float = 5.0,
    ) -> None:
        self.dropped = 0
        self._processor = processor
        self._max_pending = max_pending
        self._shutdown_timeout = shutdown_timeout
        self._pending: deque[_Pending] = deque()
        self._scheduled = False
        self._closed = False
        self._tracing: Tracing | None = None
        self._setup = threading.Lock()

    @property
    def tracing(self) -> Tracing:
        """The tracer provider, made on first use: no exporter, thread or connection exists
        in a process where no environment traces."""
        tracing = self._tracing
        if tracing is None:
            with self._setup:
                if self._tracing is None:
                    self._tracing = make_tracing(self._processor)
                tracing = self._tracing
        return tracing

    def record(self, record: RequestRecord, *, environment: EnvironmentPlugins) -> None:
        """Queue ``record``; its spans are built right after the request (never raises)."""
        if self._closed:
            return
        if len(self._pending) >= self._max_pending:
            self.dropped += 1
            return
        self._pending.append((record, environment.settings_for(PLUGIN_NAME, OpenTelemetrySettings)))
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called outside the gateway (a script, a test): build now
            self.drain()
            return
        self._scheduled = True
        loop.call_soon(self._drain_scheduled)

    def _drain_scheduled(self) -> None:
        self._scheduled = False
        self.drain()

    def drain(self) -> None:
        """Build the spans of every queued record now."""
        while self._pending:
            record, settings = self._pending.popleft()
            try:
                tracing = self.tracing
                build_trace(
                    tracing.tracer,
                    tracing.ids,
                    record,
                    sample_ratio=settings.sample_ratio,
                    include_payloads=settings.include_payloads,
                )
            except Exception:
                log.exception("could not trace request %s", record.request_id)

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Build what is queued and export every finished span; ``False`` on timeout."""
        self.drain()
        if self._tracing is None:
            return True
        return self._tracing.provider.force_flush(timeout_millis)

    async def aclose(self) -> None:
        """Build what is queued, send the last spans, and shut the provider down.

        Waits at most ``shutdown_timeout`` seconds: an unreachable collector must not hold
        up the gateway's shutdown (the export then gives up on its own, in the background).
        """
        self.drain()
        self._closed = True
        tracing, self._tracing = self._tracing, None
        if tracing is None:
            return
        finished = threading.Event()

        def shut_down() -> None:
            try:
                tracing.provider.shutdown()
            finally:
                finished.set()

        # A daemon thread, not the default executor: the interpreter must not wait for it.
        threading.Thread(target=shut_down, name="switchboard-otel-shutdown", daemon=True).start()
        if not await asyncio.to_thread(finished.wait, self._shutdown_timeout):
            log.warning(
                "OpenTelemetry: spans not sent within %.1f s of shutdown were dropped",
                self._shutdown_timeout,
            )
