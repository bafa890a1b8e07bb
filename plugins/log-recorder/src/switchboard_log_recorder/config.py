"""Per-environment settings of the log recorder."""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = ["LogRecorderSettings"]


class LogRecorderSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    """How request records are logged in one environment.

    ``level``: the log level of each line. ``failuresOnly``: log only requests that did not
    succeed (status 400 and above), to keep busy environments quiet.
    """

    level: Literal["debug", "info", "warning"] = "info"
    failures_only: bool = False
