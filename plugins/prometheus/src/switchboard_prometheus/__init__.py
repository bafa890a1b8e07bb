"""Switchboard's Prometheus plugin: data-plane metrics at ``GET /metrics``.

Modules: :mod:`~switchboard_prometheus.catalog` (the metrics), ``aggregates`` (counting on
the request path), ``exposition`` (rendering at scrape time), ``sharing`` (between worker
processes), ``recorder``, ``route`` and ``plugin`` (the hooks).
"""
