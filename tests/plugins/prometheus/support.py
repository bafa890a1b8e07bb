"""Reading ``/metrics`` in tests, and keeping the records the metrics were made of."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

import httpx
from prometheus_client.parser import text_string_to_metric_families

from switchboard.context import GatewayContext
from switchboard.hookspecs import hookimpl
from switchboard.interfaces import Recorder
from switchboard.plugins import EnvironmentPlugins
from switchboard.records import RequestRecord

__all__ = ["KeptRecords", "Scrape", "scrape"]

WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class Scrape:
    """The samples of one scrape: (sample name, labels, value)."""

    samples: list[tuple[str, dict[str, str], float]]

    @classmethod
    def parse(cls, text: str) -> Scrape:
        """Parse with prometheus_client's own parser (what a scraper would read)."""
        return cls(
            [
                (sample.name, dict(sample.labels), sample.value)
                for family in text_string_to_metric_families(text)
                for sample in family.samples
            ]
        )

    def matching(self, name: str, **labels: str) -> list[tuple[dict[str, str], float]]:
        """The samples named ``name`` whose labels include ``labels``."""
        return [
            (have, value)
            for sample, have, value in self.samples
            if sample == name and all(have.get(k) == v for k, v in labels.items())
        ]

    def value(self, name: str, **labels: str) -> float:
        """The sum of the samples named ``name`` whose labels include ``labels`` (0 if none)."""
        return sum(value for _, value in self.matching(name, **labels))

    def series(self, name: str) -> list[dict[str, str]]:
        """The label sets of every sample named ``name``."""
        return [labels for labels, _ in self.matching(name)]


def scrape(url: str) -> Scrape:
    """``GET /metrics`` at gateway ``url``, checked and parsed."""
    response = httpx.get(f"{url}/metrics", timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return Scrape.parse(response.text)


class KeptRecords(Recorder):
    """Keeps every record, so tests compare the metrics with what the gateway recorded."""

    name: ClassVar[str] = "kept-records"

    def __init__(self) -> None:
        self.records: list[RequestRecord] = []
        self._lock = threading.Lock()

    def record(self, record: RequestRecord, *, environment: EnvironmentPlugins) -> None:
        with self._lock:
            self.records.append(record)

    def wait_for(self, count: int) -> list[RequestRecord]:
        """The records once there are ``count`` (a stream's comes after its last byte)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            with self._lock:
                if len(self.records) >= count:
                    return list(self.records)
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.records)} records, expected {count}")
            time.sleep(0.01)

    @staticmethod
    def seconds(records: Iterable[RequestRecord], field: str) -> float:
        """The sum of a millisecond field of ``records``, in seconds."""
        return sum(getattr(record, field) or 0.0 for record in records) / 1000

    @hookimpl
    def switchboard_register_recorders(self, gateway: GatewayContext) -> list[Recorder]:
        """Register this recorder."""
        return [self]
