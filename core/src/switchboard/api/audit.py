"""``/api/v1/audit-events``: the management audit, itself permission-controlled.

Without ``workspace`` the whole log is read, which needs ``audit-event:list`` on
``audit:global``; with ``workspace`` only that workspace's events, which needs
``audit-event:list`` on the workspace (and, through the membership rule, membership).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, get
from litestar.params import FromQuery
from sqlalchemy import func, or_, select

from switchboard.api.deps import CallerDep, Db, Limit, Offset
from switchboard.api.lookup import find_workspace, workspace_resource
from switchboard.api.shapes import ApiShape, Page
from switchboard.db.models import AuditEvent, Workspace

__all__ = ["GLOBAL_AUDIT_RESOURCE", "AuditController"]

GLOBAL_AUDIT_RESOURCE = "audit:global"


class AuditEventOut(ApiShape):
    """Who changed what, when, from what to what (secrets masked)."""

    id: str
    occurred_at: datetime
    actor_id: str | None
    actor_name: str
    action: str
    resource: str
    workspace_id: str | None
    environment_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None


def _as_utc(moment: datetime | None) -> datetime | None:
    """A time without an offset is read as UTC (the audit keeps aware UTC times)."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _out(event: AuditEvent) -> AuditEventOut:
    return AuditEventOut(
        id=event.id,
        occurred_at=event.occurred_at,
        actor_id=event.actor_user_id,
        actor_name=event.actor_name,
        action=event.action,
        resource=event.resource,
        workspace_id=event.workspace_id,
        environment_id=event.environment_id,
        before=event.before,
        after=event.after,
        request_id=event.request_id,
    )


class AuditController(Controller):
    """The management audit log, newest first."""

    path = "/audit-events"
    tags = ["audit"]

    @get()
    async def list_audit_events(
        self,
        caller: CallerDep,
        db: Db,
        workspace: FromQuery[str | None] = None,
        action: FromQuery[str | None] = None,
        actor: FromQuery[str | None] = None,
        resource: FromQuery[str | None] = None,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[AuditEventOut]:
        """Filter by workspace, action, actor name, resource (prefix) and time range."""
        filters: list[Any] = []
        since, until = _as_utc(since), _as_utc(until)
        if workspace is not None:
            found = await find_workspace(db, workspace)
            await caller.require("audit-event:list", workspace_resource(found))
            filters.append(AuditEvent.workspace_id == found.id)
        else:
            await caller.require("audit-event:list", GLOBAL_AUDIT_RESOURCE)
            # A global grant does not reach into workspaces the caller may not read
            # (for a non-admin, those it is not a member of).
            hidden = [
                w.id
                for w in (await db.execute(select(Workspace))).scalars()
                if not await caller.may("audit-event:list", workspace_resource(w))
            ]
            if hidden:
                filters.append(
                    or_(AuditEvent.workspace_id.is_(None), AuditEvent.workspace_id.not_in(hidden))
                )
        if action is not None:
            filters.append(AuditEvent.action == action)
        if actor is not None:
            filters.append(AuditEvent.actor_name == actor)
        if resource is not None:
            filters.append(AuditEvent.resource.startswith(resource, autoescape=True))
        if since is not None:
            filters.append(AuditEvent.occurred_at >= since)
        if until is not None:
            filters.append(AuditEvent.occurred_at < until)
        total = await db.scalar(select(func.count()).select_from(AuditEvent).where(*filters))
        rows = await db.execute(
            select(AuditEvent)
            .where(*filters)
            .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return Page(
            items=[_out(e) for e in rows.scalars()], total=total or 0, limit=limit, offset=offset
        )
