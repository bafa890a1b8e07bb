"""Switchboard's embedded capacity limiter: an exact sliding log, for one process."""

from switchboard_memory_limiter.limiter import MemoryCapacityLimiter
from switchboard_memory_limiter.window import SlidingLog

__all__ = ["MemoryCapacityLimiter", "SlidingLog"]
