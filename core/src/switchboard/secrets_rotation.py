"""``switchboard secrets rotate``: re-seal every connection's credentials, without downtime.

Each connection is opened with the secret box recorded on its row and sealed again with its
environment's current writing box (the first enabled one in hook order, see
:mod:`switchboard.vault`), then committed on its own. This works for any pair of boxes: a new
libsodium key, an environment that switched from libsodium to kms, or a new KMS key.

Why it needs no downtime: the gateway opens each row with the box and key the row names, and
boxes keep opening ciphertexts of their previous keys (``SWITCHBOARD_PREVIOUS_ENCRYPTION_KEYS``
for libsodium; KMS keeps every key version), so a row is readable before and after its
update. Each update is a compare-and-set on the old ciphertext: credentials an admin changes
while the rotation runs are left as the admin wrote them, never overwritten with re-sealed
old ones. Running it again is harmless: rows already sealed by their environment's current
box and key are counted and left alone (boxes that cannot tell re-seal them again, which
changes nothing but the ciphertext).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, cast

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.context import GatewayContext
from switchboard.db.engine import create_engine, session_factory
from switchboard.db.migrations import prepare_database
from switchboard.db.models import AIConnection, Environment, Workspace
from switchboard.errors import GatewayError, ServiceUnavailable
from switchboard.interfaces import SecretBoxError
from switchboard.plugins.host import PluginHost
from switchboard.plugins.registry import Registry
from switchboard.plugins.selection import PluginSettingsError, resolve_selection
from switchboard.settings import Settings
from switchboard.vault import box_for_writing

__all__ = ["RotationFailure", "RotationReport", "rotate_credentials", "rotate_secrets"]

Outcome = Literal["resealed", "current", "changed", "gone"]


@dataclass(frozen=True)
class RotationFailure:
    """A connection whose credentials could not be re-sealed, and why (no secrets in it)."""

    connection_id: str
    path: str
    """``workspace/environment/connection``, for the operator to find it."""
    message: str


@dataclass
class RotationReport:
    """What a rotation did, connection by connection, in counts.

    ``resealed``: sealed again with the current box and key (in a dry run: would be).
    ``current``: already sealed the way the current box would seal them, left alone.
    ``changed``: credentials changed by someone else between read and write, left alone.
    ``failures``: connections that did not open or seal; the others were still rotated.
    """

    dry_run: bool = False
    resealed: int = 0
    current: int = 0
    changed: int = 0
    failures: list[RotationFailure] = field(default_factory=list)


async def rotate_credentials(
    sessions: async_sessionmaker[AsyncSession],
    registry: Registry,
    host: PluginHost,
    *,
    dry_run: bool = False,
) -> RotationReport:
    """Re-seal the credentials of every connection, committing each one separately.

    With ``dry_run`` every ciphertext is opened (proving the configured keys open it) but
    nothing is written.
    """
    report = RotationReport(dry_run=dry_run)
    async with sessions() as session:
        ids = (
            await session.scalars(
                select(AIConnection.id)
                .where(AIConnection.credentials_ciphertext.is_not(None))
                .order_by(AIConnection.id)
            )
        ).all()
    for connection_id in ids:
        try:
            outcome = await _rotate_one(sessions, registry, host, connection_id, dry_run=dry_run)
        except _Failed as failed:
            report.failures.append(failed.failure)
            continue
        if outcome == "resealed":
            report.resealed += 1
        elif outcome == "current":
            report.current += 1
        elif outcome == "changed":
            report.changed += 1
    return report


async def rotate_secrets(
    settings: Settings, host: PluginHost, *, dry_run: bool = False
) -> RotationReport:
    """Open the configured database, collect the secret boxes, and rotate every connection.

    Refuses a database whose schema is not this version's (run ``switchboard migrate``).
    """
    engine = create_engine(settings.effective_database_url)
    try:
        await prepare_database(engine, auto_migrate=False)
        sessions = session_factory(engine)
        context = GatewayContext(settings, database=sessions)
        registry = Registry.collect(host.hooks, context)
        try:
            return await rotate_credentials(sessions, registry, host, dry_run=dry_run)
        finally:
            for box in registry.secret_boxes.available():
                await box.aclose()
            await context.aclose()
    finally:
        await engine.dispose()


class _Failed(Exception):
    def __init__(self, failure: RotationFailure) -> None:
        super().__init__(failure.message)
        self.failure = failure


async def _rotate_one(
    sessions: async_sessionmaker[AsyncSession],
    registry: Registry,
    host: PluginHost,
    connection_id: str,
    *,
    dry_run: bool,
) -> Outcome:
    # Read, seal and write in separate steps: no transaction stays open while a box works
    # (KMS is a network call), and SQLite would refuse the write of a transaction whose
    # snapshot went stale because the gateway saved the row meanwhile.
    async with sessions() as session:
        row = (
            await session.execute(
                select(
                    AIConnection.name,
                    AIConnection.secret_box,
                    AIConnection.credentials_ciphertext,
                    Environment.name,
                    Environment.plugins,
                    Workspace.name,
                )
                .join(Environment, Environment.id == AIConnection.environment_id)
                .join(Workspace, Workspace.id == Environment.workspace_id)
                .where(AIConnection.id == connection_id)
            )
        ).one_or_none()
    if row is None or row[2] is None:
        return "gone"  # deleted, or its credentials removed, since the list was read
    name, box_name, ciphertext, environment_name, plugins, workspace_name = row
    path = f"{workspace_name}/{environment_name}/{name}"
    try:
        environment = resolve_selection(host, plugins)
        writer = box_for_writing(registry, environment)
        reader = registry.secret_boxes.get(box_name or "")
        if reader is None:
            raise ServiceUnavailable(
                f"sealed by secret box {box_name!r}, which is not installed or not loaded"
            )
        if reader is writer and not await writer.needs_reseal(
            ciphertext, context=connection_id, environment=environment
        ):
            return "current"
        plaintext = await reader.open(ciphertext, context=connection_id, environment=environment)
        if dry_run:
            return "resealed"
        sealed = await writer.seal(plaintext, context=connection_id, environment=environment)
    except (SecretBoxError, GatewayError, PluginSettingsError) as exc:
        # These messages are written to carry no secret (see SecretBoxError).
        raise _Failed(RotationFailure(connection_id, path, str(exc))) from None
    async with sessions() as session:
        result = cast(
            "CursorResult[Any]",
            await session.execute(
                update(AIConnection)
                .where(
                    AIConnection.id == connection_id,
                    AIConnection.secret_box == box_name,
                    AIConnection.credentials_ciphertext == ciphertext,
                )
                # Re-sealing is not an edit of the connection: keep its updated_at.
                .values(
                    credentials_ciphertext=sealed,
                    secret_box=writer.name,
                    updated_at=AIConnection.updated_at,
                )
                .execution_options(synchronize_session=False)
            ),
        )
        await session.commit()
        return "resealed" if result.rowcount == 1 else "changed"
