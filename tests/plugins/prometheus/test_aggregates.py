"""The aggregation on the request path: what each record adds, and how snapshots travel."""

from __future__ import annotations

import math

import msgspec
import pytest

from switchboard_prometheus.aggregates import FORMAT, Aggregates, Snapshot, error_class_of
from switchboard_prometheus.catalog import BASE_LABELS, COUNTERS, HISTOGRAMS, REQUEST_BUCKETS
from switchboard_prometheus.exposition import render
from tests.plugins.prometheus.records import NAMES, attempt, request
from tests.plugins.prometheus.support import Scrape

BASE = ("acme", "prod", "chat", "openai", "gpt-4o-mini", "main", "chat/completions")


def test_a_plain_request_adds_its_counts_and_timings() -> None:
    aggregates = Aggregates()
    aggregates.add(
        request(
            prompt_tokens=10,
            completion_tokens=5,
            cached_tokens=2,
            latency_ms=250.0,
            gateway_latency_ms=0.4,
            estimated_cost=0.0015,
        )
    )
    counters = aggregates.counters
    assert counters["requests_total"] == {(*BASE, "200"): 1}
    assert counters["errors_total"] == {}
    assert counters["tokens_total"] == {
        (*BASE, "prompt"): 10,
        (*BASE, "completion"): 5,
        (*BASE, "cached"): 2,
    }
    assert counters["estimated_cost_usd_total"] == {BASE: 0.0015}
    assert counters["provider_attempts_total"] == {(*BASE, "ok"): 1}
    assert counters["fallbacks_total"] == counters["capacity_rejections_total"] == {}
    duration = aggregates.histograms["request_duration_seconds"][BASE]
    assert duration[REQUEST_BUCKETS.index(0.25)] == 1  # 0.25 s is in the le="0.25" bucket
    assert sum(duration[:-1]) == 1 and duration[-1] == 0.25
    overhead = aggregates.histograms["gateway_overhead_seconds"][BASE]
    assert sum(overhead[:-1]) == 1 and math.isclose(overhead[-1], 0.0004)
    # Not streamed, never queued: those histograms have no series.
    assert aggregates.histograms["time_to_first_token_seconds"] == {}
    assert aggregates.histograms["queue_wait_seconds"] == {}
    assert aggregates.changes == 1


def test_a_value_past_the_last_bound_lands_in_inf() -> None:
    aggregates = Aggregates()
    aggregates.add(request(latency_ms=1_000_000.0, time_to_first_token_ms=90.0))
    duration = aggregates.histograms["request_duration_seconds"][BASE]
    assert duration[len(REQUEST_BUCKETS)] == 1 and sum(duration[:-1]) == 1
    assert sum(aggregates.histograms["time_to_first_token_seconds"][BASE][:-1]) == 1


def test_missing_names_count_as_empty_labels() -> None:
    aggregates = Aggregates()
    nameless = dict.fromkeys(NAMES)
    aggregates.add(request(401, attempts=[], **nameless))
    empty = ("",) * len(BASE_LABELS)
    assert aggregates.counters["requests_total"] == {(*empty, "401"): 1}
    assert aggregates.counters["errors_total"] == {(*empty, "http_401"): 1}


@pytest.mark.parametrize(
    ("status", "error_class", "attempts", "expected"),
    [
        (200, None, [attempt()], None),
        (502, "server_error", [attempt("failed")], "server_error"),
        (200, "network", [attempt()], "network"),  # a stream that broke after its first byte
        (429, None, [attempt("capacity_exhausted")], "capacity_exhausted"),
        (429, "rate_limit", [attempt("failed")], "rate_limit"),
        (404, None, [], "http_404"),
    ],
)
def test_error_classes(
    status: int, error_class: str | None, attempts: list[object], expected: str | None
) -> None:
    assert error_class_of(request(status, error_class=error_class, attempts=attempts)) == expected


def test_a_capacity_429_counts_its_refused_attempt_and_the_answer() -> None:
    aggregates = Aggregates()
    refused = attempt("capacity_exhausted", connection="backup")
    aggregates.add(
        request(429, provider=None, model=None, connection_name=None, attempts=[refused])
    )
    without_model = ("acme", "prod", "chat", "", "", "", "chat/completions")
    on_backup = (*BASE[:5], "backup", "chat/completions")
    assert aggregates.counters["capacity_rejections_total"] == {
        (*without_model, "request"): 1,
        (*on_backup, "attempt"): 1,
    }
    assert aggregates.counters["errors_total"] == {(*without_model, "capacity_exhausted"): 1}
    assert aggregates.counters["provider_attempts_total"] == {(*on_backup, "capacity_exhausted"): 1}


def test_a_fallback_is_an_answer_from_another_model_than_the_first() -> None:
    aggregates = Aggregates()
    fell_back = [attempt("failed"), attempt("ok", connection="backup")]
    aggregates.add(request(connection_name="backup", attempts=fell_back))
    # A queued request that got its first model after all repeats it: no fallback.
    aggregates.add(request(attempts=[attempt("capacity_exhausted"), attempt("ok")]))
    # Every model failed: no answer, no fallback.
    aggregates.add(request(502, attempts=[attempt("failed"), attempt("failed", "backup")]))
    on_backup = (*BASE[:5], "backup", "chat/completions")
    assert aggregates.counters["fallbacks_total"] == {on_backup: 1}
    attempts = aggregates.counters["provider_attempts_total"]
    assert attempts[(*BASE, "failed")] == 2
    assert attempts[(*on_backup, "failed")] == attempts[(*on_backup, "ok")] == 1


def test_queue_waits_are_observed_only_for_requests_that_queued() -> None:
    aggregates = Aggregates()
    aggregates.add(request(queue_wait_ms=0.0))
    aggregates.add(request(queue_wait_ms=120.0))
    queue = aggregates.histograms["queue_wait_seconds"][BASE]
    assert sum(queue[:-1]) == 1 and queue[-1] == 0.12


def test_snapshots_round_trip_and_merge() -> None:
    first, second = Aggregates(), Aggregates()
    first.add(request(prompt_tokens=3, latency_ms=100.0))
    second.add(request(prompt_tokens=4, latency_ms=300.0))
    second.add(request(503, error_class="server_error", attempts=[attempt("failed")]))
    merged = Aggregates.decode(first.encode())
    merged.merge(Aggregates.decode(second.encode()))
    assert merged.counters["requests_total"] == {(*BASE, "200"): 2, (*BASE, "503"): 1}
    assert merged.counters["tokens_total"] == {(*BASE, "prompt"): 7}
    duration = merged.histograms["request_duration_seconds"][BASE]
    assert sum(duration[:-1]) == 3 and math.isclose(duration[-1], 0.4)
    # Merging never changes the source.
    assert sum(second.histograms["request_duration_seconds"][BASE][:-1]) == 2


def test_a_snapshot_of_other_metrics_or_buckets_is_left_out() -> None:
    live = Aggregates()
    live.add(request())
    counters: dict[str, dict[tuple[str, ...], float]] = {
        **live.counters,
        "retired_total": {BASE: 5.0},
    }
    histograms: dict[str, dict[tuple[str, ...], list[float]]] = {
        **live.histograms,
        "request_duration_seconds": {BASE: [1.0, 0.5]},  # other buckets than ours
    }
    data = msgspec.msgpack.encode(Snapshot(format=FORMAT, counters=counters, histograms=histograms))
    decoded = Aggregates.decode(data)
    assert "retired_total" not in decoded.counters
    assert decoded.histograms["request_duration_seconds"] == {}
    assert decoded.counters["requests_total"] == live.counters["requests_total"]
    other_format = msgspec.msgpack.encode(Snapshot(format=FORMAT + 1, counters={}, histograms={}))
    with pytest.raises(msgspec.DecodeError):
        Aggregates.decode(other_format)


def test_the_exposition_parses_back_to_the_counts() -> None:
    aggregates = Aggregates()
    for latency in (20.0, 700.0, 700.0):
        aggregates.add(request(latency_ms=latency, prompt_tokens=2))
    metrics = Scrape.parse(render(aggregates).decode())
    labels = dict(zip(BASE_LABELS, BASE, strict=True))
    assert metrics.value("switchboard_requests_total", **labels, status="200") == 3
    assert metrics.value("switchboard_tokens_total", type="prompt") == 6
    duration = "switchboard_request_duration_seconds"
    assert metrics.value(f"{duration}_bucket", le="0.025") == 1
    assert metrics.value(f"{duration}_bucket", le="0.5") == 1
    assert metrics.value(f"{duration}_bucket", le="1.0") == 3
    assert metrics.value(f"{duration}_bucket", le="+Inf") == 3
    assert metrics.value(f"{duration}_count") == 3
    assert math.isclose(metrics.value(f"{duration}_sum"), 1.42)
    # Every metric is described, even one without series yet.
    families = {name for name, _, _ in metrics.samples}
    assert "switchboard_fallbacks_total" not in families
    text = render(aggregates).decode()
    for counter in COUNTERS:
        assert f"# TYPE switchboard_{counter.name} counter\n" in text
    for histogram in HISTOGRAMS:
        assert f"# TYPE switchboard_{histogram.name} histogram\n" in text


def test_an_unknown_resource_is_no_label_of_its_own() -> None:
    # The caller chose that name: as a label it would mint a series per made-up model.
    aggregates = Aggregates()
    for name in ("made-up-1", "made-up-2"):
        aggregates.add(
            request(
                status=404,
                resource_name=name,
                error_class="model_not_found",
                provider=None,
                model=None,
                connection_name=None,
                attempts=[],
            )
        )
    unknown = ("acme", "prod", "", "", "", "", "chat/completions")
    assert aggregates.counters["requests_total"] == {(*unknown, "404"): 2}
