"""Reading ``/metrics`` in tests, and keeping the records the metrics were made of."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families

from switchboard.records import RequestRecord

__all__ = ["Scrape", "scrape", "seconds"]


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


def seconds(records: Iterable[RequestRecord], field: str) -> float:
    """The sum of a millisecond field of ``records``, in seconds."""
    return sum(getattr(record, field) or 0.0 for record in records) / 1000
