"""Reading what the OpenTelemetry plugin exported: one request's trace, and its record."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

__all__ = ["Trace", "offset_ms", "trace_of", "wait_for"]

T = TypeVar("T")

WAIT_SECONDS = 10.0


def wait_for(find: Callable[[], T | None], what: str) -> T:
    """``find()`` once it gives something, polling (spans are built after the response)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        found = find()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {WAIT_SECONDS} s")
        time.sleep(0.01)


@dataclass(frozen=True)
class Trace:
    """The spans of one request: its root and the root's children in start order."""

    root: ReadableSpan
    children: list[ReadableSpan]

    def named(self, name: str) -> list[ReadableSpan]:
        return [s for s in self.children if s.name == name]

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.children]

    @property
    def all(self) -> list[ReadableSpan]:
        return [self.root, *self.children]


def _root(spans: Iterable[ReadableSpan], request_id: str) -> ReadableSpan | None:
    for span in spans:
        attributes = span.attributes or {}
        if span.kind is SpanKind.SERVER and attributes.get("switchboard.request_id") == request_id:
            return span
    return None


def trace_of(exporter: InMemorySpanExporter, request_id: str) -> Trace:
    """The trace of ``request_id``, waiting for it (the root ends last: all is there then)."""
    root = wait_for(
        lambda: _root(exporter.get_finished_spans(), request_id), f"trace of {request_id}"
    )
    assert root.context is not None
    children = [
        s
        for s in exporter.get_finished_spans()
        if s.parent is not None and s.parent.span_id == root.context.span_id
    ]
    children.sort(key=lambda s: s.start_time or 0)
    return Trace(root, children)


def offset_ms(span_time: int | None, root: ReadableSpan) -> float:
    """A span time as ms since the root started (the request's arrival)."""
    assert span_time is not None and root.start_time is not None
    return (span_time - root.start_time) / 1_000_000
