"""Aggregates as Prometheus metric families, rendered with ``prometheus_client``.

Built at scrape time only: the request path never touches ``prometheus_client``.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily, Metric

from switchboard_prometheus.aggregates import Aggregates
from switchboard_prometheus.catalog import COUNTERS, HISTOGRAMS, PREFIX

__all__ = ["CONTENT_TYPE_LATEST", "AggregatesCollector", "render"]


class AggregatesCollector:
    """A ``prometheus_client`` collector over one :class:`Aggregates` (already merged)."""

    def __init__(self, aggregates: Aggregates) -> None:
        self.aggregates = aggregates

    def collect(self) -> Iterator[Metric]:
        """Every metric of the catalog, its series sorted by label values."""
        for counter in COUNTERS:
            counts = CounterMetricFamily(PREFIX + counter.name, counter.help, labels=counter.labels)
            for key, value in sorted(self.aggregates.counters[counter.name].items()):
                counts.add_metric(key, value)
            yield counts
        for histogram in HISTOGRAMS:
            # repr of a float is what prometheus_client writes for these bounds ("0.5", "1.0").
            bounds = [repr(float(bound)) for bound in histogram.buckets] + ["+Inf"]
            family = HistogramMetricFamily(
                PREFIX + histogram.name, histogram.help, labels=histogram.labels
            )
            for key, entry in sorted(self.aggregates.histograms[histogram.name].items()):
                cumulative: list[tuple[str, float]] = []
                running = 0.0
                for bound, count in zip(bounds, entry, strict=False):
                    running += count
                    cumulative.append((bound, running))
                family.add_metric(key, cumulative, entry[-1])
            yield family


def render(aggregates: Aggregates) -> bytes:
    """The text exposition of ``aggregates`` (serve it as :data:`CONTENT_TYPE_LATEST`)."""
    return generate_latest(AggregatesCollector(aggregates))
