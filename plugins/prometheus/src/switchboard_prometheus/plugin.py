"""Prometheus metrics of the data plane at ``GET /metrics``.

Every finished request record is counted in plain dicts by a recorder; ``/metrics`` renders
the counts of every worker process of this server (see :mod:`switchboard_prometheus.sharing`).
On by default; an environment can switch it off (``plugins: {prometheus: {enabled: false}}``)
to keep its requests out of the metrics.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable

from litestar.types import ControllerRouterHandler

from switchboard.context import GatewayContext
from switchboard.hookspecs import hookimpl
from switchboard.interfaces import Recorder
from switchboard_prometheus.recorder import PrometheusRecorder
from switchboard_prometheus.route import metrics_route
from switchboard_prometheus.sharing import SharedRun

__all__ = [
    "ENABLED_BY_DEFAULT",
    "recorder_for",
    "switchboard_register_recorders",
    "switchboard_register_routes",
]

ENABLED_BY_DEFAULT = True

# One recorder per gateway: the route (registered when the app is built) and the recorder
# (registered at startup) are asked for separately and must share the counts. Keyed by the
# context's identity (it is not hashable); an entry goes when its gateway does.
_recorders: dict[int, tuple[weakref.ref[GatewayContext], PrometheusRecorder]] = {}


def recorder_for(gateway: GatewayContext) -> PrometheusRecorder:
    """The recorder of ``gateway``, made on first use."""
    key = id(gateway)
    entry = _recorders.get(key)
    if entry is not None and entry[0]() is gateway:
        return entry[1]
    sharing = SharedRun.for_process(gateway.data_dir, gateway.settings.workers)
    recorder = PrometheusRecorder(sharing)
    _recorders[key] = (weakref.ref(gateway, lambda _: _recorders.pop(key, None)), recorder)
    return recorder


@hookimpl
def switchboard_register_recorders(gateway: GatewayContext) -> Iterable[Recorder]:
    """Register the recorder that counts request records."""
    return [recorder_for(gateway)]


@hookimpl
def switchboard_register_routes(gateway: GatewayContext) -> Iterable[ControllerRouterHandler]:
    """Serve ``GET /metrics``."""
    return [metrics_route(recorder_for(gateway).scrape)]
