"""Trace ids chosen by the gateway: a trace the plugin starts carries the record's trace id.

The gateway makes a trace id for every request that arrives without one and stores it in the
audit record (``RequestRecord.trace_id``), so an operator can go from a record to its trace.
The SDK asks its id generator for a new trace id when a span has no parent; this generator
answers with the id the recorder set for the record being built, and random ids otherwise.
"""

from __future__ import annotations

import threading

from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator

__all__ = ["RecordTraceIds", "parse_trace_id"]

_HEX = frozenset("0123456789abcdef")


def parse_trace_id(text: str | None) -> int | None:
    """``text`` (32 lowercase hex digits, not all zero) as an int, else ``None``."""
    if text is None or len(text) != 32 or not _HEX.issuperset(text):
        return None
    value = int(text, 16)
    return value or None


class RecordTraceIds(IdGenerator):
    """Random span ids; the next root's trace id as set by :meth:`use`, else random."""

    def __init__(self) -> None:
        self._random = RandomIdGenerator()
        # Per thread: spans are built on the event loop, but a caller without a loop (a
        # script, a test) builds on its own thread.
        self._local = threading.local()

    def use(self, trace_id: int | None) -> None:
        """The trace id the next root span gets (``None``: a random one)."""
        self._local.next = trace_id

    def generate_trace_id(self) -> int:
        """The id set by :meth:`use` (once), or a random one."""
        chosen: int | None = getattr(self._local, "next", None)
        self._local.next = None
        return chosen if chosen is not None else self._random.generate_trace_id()

    def generate_span_id(self) -> int:
        """A random span id."""
        return self._random.generate_span_id()

    def is_trace_id_random(self) -> bool:
        """The gateway's trace ids are 128 random bits too."""
        return True
