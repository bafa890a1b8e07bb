"""A recorder that keeps every request record, for tests that check what was recorded.

It is its own plugin: register it before the gateway starts (recorders are collected at
startup), e.g. from an autouse fixture::

    @pytest.fixture(autouse=True)
    def kept(register_plugin: RegisterPlugin) -> KeptRecords:
        kept = KeptRecords()
        register_plugin(kept, "kept-records")
        return kept
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, ClassVar

from switchboard.hookspecs import hookimpl
from switchboard.interfaces import Recorder
from switchboard.records import RequestRecord

if TYPE_CHECKING:
    from switchboard.context import GatewayContext
    from switchboard.plugins import EnvironmentPlugins

__all__ = ["KeptRecords"]

WAIT_SECONDS = 10.0
"""How long :meth:`KeptRecords.of` and :meth:`KeptRecords.wait_for` wait."""


class KeptRecords(Recorder):
    """Keeps every record it is given, in arrival order (thread-safe: tests read them from
    another thread than the gateway's)."""

    name: ClassVar[str] = "kept-records"

    def __init__(self) -> None:
        self.records: list[RequestRecord] = []
        self._lock = threading.Lock()

    def record(self, record: RequestRecord, *, environment: EnvironmentPlugins) -> None:
        with self._lock:
            self.records.append(record)

    def of(self, request_id: str) -> RequestRecord:
        """The one record of ``request_id``, waiting for it: a stream's record is handed
        over just after its last byte, so a client can read the answer first."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            with self._lock:
                found = [r for r in self.records if r.request_id == request_id]
            if found:
                assert len(found) == 1, f"{len(found)} records of {request_id}"
                return found[0]
            if time.monotonic() > deadline:
                raise AssertionError(f"no record of {request_id}")
            time.sleep(0.01)

    def wait_for(self, count: int) -> list[RequestRecord]:
        """Every record, once there are at least ``count``."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            with self._lock:
                if len(self.records) >= count:
                    return list(self.records)
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.records)} records, expected {count}")
            time.sleep(0.01)

    @hookimpl
    def switchboard_register_recorders(self, gateway: GatewayContext) -> list[Recorder]:
        """Register this recorder."""
        return [self]
