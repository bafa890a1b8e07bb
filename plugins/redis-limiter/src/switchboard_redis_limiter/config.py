"""Per-environment settings of the Redis limiter."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

__all__ = ["RedisLimiterSettings"]


class RedisLimiterSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    """How one environment uses the Redis limiter.

    ``failMode``: when Redis cannot be reached, ``open`` admits against per-process limits
    (logged and counted) and ``closed`` refuses with an error naming Redis (a 503).
    ``keyPrefix``: namespaces the counters (letters, digits, ``.``, ``_``, ``:``, ``-``), so
    several gateways can share one Redis; every key also carries the hash tag ``{sb}``.
    """

    fail_mode: Literal["open", "closed"] = "open"
    key_prefix: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9._:-]{1,64}$")] = "switchboard"
