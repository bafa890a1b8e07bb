"""Per-environment settings of the OpenTelemetry plugin.

Where spans go (endpoint, headers, service name, process-wide sampler) is the standard
``OTEL_*`` environment of the process; what an environment adds is how much of its traffic
to trace and whether its payloads may go into spans.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

__all__ = ["OpenTelemetrySettings"]


class OpenTelemetrySettings(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"
):
    """How one environment's requests are traced.

    ``sampleRatio``: the share (0 to 1) of the requests that arrive without a trace of their
    own that are traced; decided from the trace id, so every service that samples by ratio
    agrees on the same traces. A caller's ``traceparent`` decides for its requests (its
    ``sampled`` flag), as W3C Trace Context intends. ``includePayloads``: add the record's
    captured payload (as the environment's ``recording`` kept and redacted it) to the root
    span as events; off by default, since payloads hold prompts and answers.
    """

    sample_ratio: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 1.0
    include_payloads: bool = False
