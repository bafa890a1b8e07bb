"""What the plugin exports: every metric's name, help, labels and histogram buckets.

One table read by the aggregation (which keeps the values) and by the exposition (which
names them), so a metric is declared exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BASE_LABELS",
    "COUNTERS",
    "HISTOGRAMS",
    "PREFIX",
    "CounterSpec",
    "HistogramSpec",
    "LabelValues",
]

PREFIX = "switchboard_"

LabelValues = tuple[str, ...]
"""Label values in the order of a metric's label names."""

BASE_LABELS: tuple[str, ...] = (
    "workspace",
    "environment",
    "resource",
    "provider",
    "model",
    "connection",
    "endpoint",
)
"""Every metric's leading labels: names of configured objects, never ids ('' when unknown).

Names are bounded by the configuration; request ids, key ids and key names are left out
on purpose, so a busy gateway cannot grow the series without bound.
"""


@dataclass(frozen=True)
class CounterSpec:
    """A counter: ``name`` without the prefix, the labels after :data:`BASE_LABELS`."""

    name: str
    help: str
    extra_labels: tuple[str, ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        """All label names, in the order of a series' label values."""
        return BASE_LABELS + self.extra_labels


@dataclass(frozen=True)
class HistogramSpec:
    """A histogram in seconds over :data:`BASE_LABELS`; ``buckets`` are upper bounds."""

    name: str
    help: str
    buckets: tuple[float, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        """All label names, in the order of a series' label values."""
        return BASE_LABELS


COUNTERS: tuple[CounterSpec, ...] = (
    CounterSpec("requests_total", "Data-plane requests answered, by status code.", ("status",)),
    CounterSpec(
        "errors_total",
        "Requests that failed (status >= 400, or a stream that broke after its first byte).",
        ("error_class",),
    ),
    CounterSpec("tokens_total", "Tokens used, by type (prompt, completion, cached).", ("type",)),
    CounterSpec(
        "capacity_rejections_total",
        "Capacity refusals: stage=attempt for each model attempt refused for capacity, "
        "stage=request for each 429 answered because capacity was exhausted.",
        ("stage",),
    ),
    CounterSpec(
        "fallbacks_total",
        "Requests answered by another model or connection than the first one tried.",
    ),
    CounterSpec(
        "provider_attempts_total",
        "Provider attempts, by outcome (ok, failed, cancelled, capacity_exhausted, skipped).",
        ("outcome",),
    ),
    CounterSpec(
        "estimated_cost_usd_total",
        "Estimated cost in USD of the requests that have a price.",
    ),
)

# Buckets are upper bounds in seconds, chosen for an LLM gateway: the gateway's own share is
# measured in fractions of a millisecond, a provider's answer in up to minutes.
REQUEST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300)
OVERHEAD_BUCKETS = (
    0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1, 0.25, 1,
)  # fmt: skip
FIRST_TOKEN_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 20, 30, 60)
QUEUE_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

HISTOGRAMS: tuple[HistogramSpec, ...] = (
    HistogramSpec(
        "request_duration_seconds",
        "Time from the request's arrival until its answer is complete (a stream's last chunk).",
        REQUEST_BUCKETS,
    ),
    HistogramSpec(
        "gateway_overhead_seconds",
        "The gateway's own share of a request: total time minus time spent in providers.",
        OVERHEAD_BUCKETS,
    ),
    HistogramSpec(
        "time_to_first_token_seconds",
        "Time from the provider call to the first streamed token (streamed requests).",
        FIRST_TOKEN_BUCKETS,
    ),
    HistogramSpec(
        "queue_wait_seconds",
        "Time spent waiting in a resource's line for capacity (requests that queued).",
        QUEUE_BUCKETS,
    ),
)
