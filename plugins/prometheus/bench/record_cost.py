"""CPU cost per record of the Prometheus recorder's request path, and of a scrape.

Times :meth:`PrometheusRecorder.record` (what the gateway calls for every finished request)
over realistic records spread over a few resources, models and statuses, then the pieces of
a scrape (encode on the event loop; decode, merge and render on the background thread).

    uv run python plugins/prometheus/bench/record_cost.py
"""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from typing import cast

from switchboard.plugins import EnvironmentPlugins
from switchboard.records import AttemptRecord, RequestRecord
from switchboard_prometheus.aggregates import Aggregates
from switchboard_prometheus.exposition import render
from switchboard_prometheus.recorder import PrometheusRecorder

RECORDS = 200_000
ROUNDS = 5


def records() -> list[RequestRecord]:
    """Twelve kinds of record: 3 resources x 2 models x (plain, streamed fallback, 502)."""
    made = []
    for resource, model, kind in itertools.product(
        ("chat", "summarize", "embed"), ("gpt-4o-mini", "claude-3-5-haiku"), range(2)
    ):
        attempts = [
            AttemptRecord(
                provider="openai",
                model=model,
                connection_id="c1",
                connection_name="openai-main",
                outcome="ok" if kind == 0 else "failed",
                latency_ms=420.0,
            )
        ]
        if kind == 1:
            attempts.append(
                AttemptRecord(
                    provider="anthropic",
                    model="claude-3-5-haiku",
                    connection_id="c2",
                    connection_name="claude",
                    outcome="ok",
                    latency_ms=610.0,
                )
            )
        made.append(
            RequestRecord(
                request_id="r",
                created_at=datetime.now(UTC),
                path="/v1/chat/completions",
                status=200,
                workspace_name="acme",
                environment_name="production",
                resource_name=resource,
                provider=attempts[-1].provider,
                model=attempts[-1].model,
                connection_name=attempts[-1].connection_name,
                endpoint="chat/completions",
                stream=kind == 1,
                attempts=attempts,
                prompt_tokens=120,
                completion_tokens=48,
                cached_tokens=64 if kind == 0 else 0,
                time_to_first_token_ms=180.0 if kind == 1 else None,
                latency_ms=1030.0,
                gateway_latency_ms=0.42,
                estimated_cost=0.00031,
            )
        )
    return made


def main() -> None:
    kinds = records()
    batch = [kinds[i % len(kinds)] for i in range(RECORDS)]
    environment = cast("EnvironmentPlugins", None)  # the recorder does not read it
    best = float("inf")
    for _ in range(ROUNDS):
        recorder = PrometheusRecorder(None)
        record = recorder.record
        started = time.perf_counter()
        for item in batch:
            record(item, environment=environment)
        best = min(best, (time.perf_counter() - started) / RECORDS)
    print(f"record():  {best * 1e6:.2f} us per record (best of {ROUNDS} x {RECORDS:,})")

    aggregates = recorder.aggregates
    series = sum(map(len, aggregates.counters.values())) + sum(
        map(len, aggregates.histograms.values())
    )
    started = time.perf_counter()
    snapshot = aggregates.encode()
    encoded = time.perf_counter() - started
    started = time.perf_counter()
    totals = Aggregates.decode(snapshot)
    totals.merge(Aggregates.decode(snapshot))
    text = render(totals)
    rendered = time.perf_counter() - started
    print(
        f"scrape:    {series} series; encode on the loop {encoded * 1e6:.0f} us, "
        f"decode + merge + render {rendered * 1e3:.1f} ms ({len(text):,} bytes)"
    )


if __name__ == "__main__":
    main()
