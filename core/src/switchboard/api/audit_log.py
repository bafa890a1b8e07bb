"""Recording control-plane changes: an audit event in the same transaction as the change,
then the ``switchboard_management_event`` hook once it is committed."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.api.deps import Caller
from switchboard.db.models import AuditEvent, utcnow
from switchboard.records import ManagementEvent
from switchboard.state import Gateway

__all__ = ["MASK", "commit_change", "mask_secrets", "snapshot"]

MASK = "***"
# Keys whose values are secrets wherever they appear; `tokens` (a capacity limit) is not one.
_SECRET_KEY = re.compile(
    r"^(password|passwordhash|secret|secretaccesskey|sessiontoken|token|apikey|api_key|"
    r"credentials|key|keyhash|accesskeyid|csrftoken)$",
    re.IGNORECASE,
)


def mask_secrets(value: Any) -> Any:
    """A copy of ``value`` with the value of every secret-named key replaced by ``***``."""
    if isinstance(value, dict):
        return {
            k: (MASK if _SECRET_KEY.match(str(k)) and v not in (None, "") else mask_secrets(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_secrets(item) for item in value]
    return value


def snapshot(shape: msgspec.Struct | dict[str, Any] | None) -> dict[str, Any] | None:
    """An API shape as the JSON dict audit events keep (secrets masked)."""
    if shape is None:
        return None
    masked: dict[str, Any] = mask_secrets(msgspec.to_builtins(shape))
    return masked


async def commit_change(
    session: AsyncSession,
    gateway: Gateway,
    caller: Caller,
    *,
    action: str,
    resource: str,
    before: msgspec.Struct | dict[str, Any] | None = None,
    after: msgspec.Struct | dict[str, Any] | None = None,
    workspace_id: str | None = None,
    environment_id: str | None = None,
) -> None:
    """Add the audit event, commit it with the change, then tell the plugins."""
    event = ManagementEvent(
        occurred_at=utcnow(),
        actor_id=caller.principal.id,
        actor_name=caller.principal.name,
        action=action,
        resource=resource,
        before=snapshot(before),
        after=snapshot(after),
        request_id=caller.request_id or None,
    )
    session.add(
        AuditEvent(
            occurred_at=event.occurred_at,
            actor_user_id=event.actor_id if caller.principal.kind == "user" else None,
            actor_name=event.actor_name,
            action=action,
            resource=resource,
            workspace_id=workspace_id,
            environment_id=environment_id,
            before=event.before,
            after=event.after,
            request_id=event.request_id,
        )
    )
    await session.commit()
    if gateway.runtime is not None:
        # Keys, resources and connections are cached by the data plane on every worker.
        await gateway.runtime.changed()
    await gateway.plugins.hooks.management_event(event=event)
