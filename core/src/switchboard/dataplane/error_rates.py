"""Recent error rates per provider and model, for routing's ``errorRate()``.

Per-minute buckets of (requests, errors by status) kept for the last hour, in process.
Routing reads them synchronously (expressions never wait on I/O); the capacity backend
will later share them across processes. A rate is a percentage, 0 to 100.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

__all__ = ["MAX_WINDOW_MINUTES", "ErrorRates"]

MAX_WINDOW_MINUTES = 60


@dataclass
class _Bucket:
    minute: int
    requests: int = 0
    errors: dict[int, int] = field(default_factory=lambda: defaultdict(int))


class ErrorRates:
    """Counts outcomes per ``(provider, model)`` and answers rates over recent minutes."""

    def __init__(self, clock: object = time.time) -> None:
        self._clock = clock
        self._buckets: dict[tuple[str, str], deque[_Bucket]] = defaultdict(deque)

    def _minute(self) -> int:
        return int(self._clock() // 60)  # type: ignore[operator]

    def record(self, provider: str, model: str, status: int) -> None:
        """Count one attempt's outcome (``status`` 2xx is a success)."""
        buckets = self._buckets[(provider, model)]
        minute = self._minute()
        if not buckets or buckets[-1].minute != minute:
            buckets.append(_Bucket(minute))
            while buckets and buckets[0].minute <= minute - MAX_WINDOW_MINUTES:
                buckets.popleft()
        bucket = buckets[-1]
        bucket.requests += 1
        if status >= 400:
            bucket.errors[status] += 1

    def rate(
        self,
        window: float = 10,
        status: str | int = "any",
        provider: str | None = None,
        model: str | None = None,
    ) -> float:
        """Percentage of attempts in the last ``window`` minutes that failed (with ``status``
        when given: a code, ``"4xx"``/``"5xx"``, or ``"any"``), for one provider/model or all."""
        since = self._minute() - int(min(max(window, 1), MAX_WINDOW_MINUTES)) + 1
        total = failed = 0
        for (bucket_provider, bucket_model), buckets in self._buckets.items():
            if provider is not None and bucket_provider != provider:
                continue
            if model is not None and bucket_model != model:
                continue
            for bucket in buckets:
                if bucket.minute < since:
                    continue
                total += bucket.requests
                failed += sum(n for code, n in bucket.errors.items() if _matches(code, status))
        return 100.0 * failed / total if total else 0.0


def _matches(code: int, status: str | int) -> bool:
    if status == "any":
        return True
    if isinstance(status, str) and len(status) == 3 and status.endswith("xx"):
        return str(code).startswith(status[0])
    return str(code) == str(status)
