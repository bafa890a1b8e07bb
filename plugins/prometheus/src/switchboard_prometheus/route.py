"""``GET /metrics``: the Prometheus text exposition of this serve run's totals.

Outside ``/api/v1`` and without login, as Prometheus scrapes it: serve it on a private
network only (or put the gateway's port behind a proxy that keeps ``/metrics`` inside).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar import Response, get
from litestar.handlers import HTTPRouteHandler

from switchboard_prometheus.exposition import CONTENT_TYPE_LATEST

__all__ = ["metrics_route"]


def metrics_route(scrape: Callable[[], Awaitable[bytes]]) -> HTTPRouteHandler:
    """The ``/metrics`` handler answering with what ``scrape`` renders."""

    @get(
        "/metrics",
        tags=["health"],
        summary="Prometheus metrics of the data plane (no login: keep it on a private network)",
        media_type=CONTENT_TYPE_LATEST,
    )
    async def metrics() -> Response[bytes]:
        """The text exposition of every worker's counts since this server started."""
        return Response(await scrape(), media_type=CONTENT_TYPE_LATEST)

    return metrics
