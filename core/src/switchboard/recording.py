"""Hands finished request records to the plugins: redaction first, then every recorder."""

from __future__ import annotations

import logging

from switchboard.plugins.registry import Registry
from switchboard.plugins.selection import EnvironmentPlugins
from switchboard.records import RequestRecord

__all__ = ["dispatch_record"]

log = logging.getLogger(__name__)


def dispatch_record(
    record: RequestRecord, *, environment: EnvironmentPlugins, registry: Registry
) -> None:
    """Redact ``record`` with the environment's hooks and give it to its recorders.

    A recorder that raises is logged and skipped: one broken sink never costs the others
    their record.
    """
    environment.hooks.redact_record(record=record)
    for recorder in registry.recorders.available(environment.enabled):
        try:
            recorder.record(record, environment=environment)
        except Exception:
            log.exception("recorder %r failed on request %s", recorder.name, record.request_id)
