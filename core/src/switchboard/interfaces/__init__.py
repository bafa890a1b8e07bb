"""The typed objects plugins register: one small abstract interface per kind.

Each module's docstring shows a minimal implementation. Registration hooks in
:mod:`switchboard.hookspecs` return instances of these classes; every instance has a
``name`` unique among its kind (a duplicate is an error naming both plugins).
"""

from switchboard.interfaces.auth import ActionSpec, Authenticator, Authorizer, Decision
from switchboard.interfaces.limiter import (
    CapacityCheck,
    CapacityExhausted,
    CapacityLimiter,
    CapacityUnavailable,
    OutcomeCount,
    PeriodUsage,
    Reservation,
)
from switchboard.interfaces.provider import Provider, ProviderCall, ProviderError
from switchboard.interfaces.recorder import Recorder
from switchboard.interfaces.secrets import SecretBox, SecretBoxError

__all__ = [
    "ActionSpec",
    "Authenticator",
    "Authorizer",
    "CapacityCheck",
    "CapacityExhausted",
    "CapacityLimiter",
    "CapacityUnavailable",
    "Decision",
    "OutcomeCount",
    "PeriodUsage",
    "Provider",
    "ProviderCall",
    "ProviderError",
    "Recorder",
    "Reservation",
    "SecretBox",
    "SecretBoxError",
]
