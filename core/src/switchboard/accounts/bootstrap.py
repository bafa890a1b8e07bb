"""The first admin: created on first start so an empty gateway can be administered."""

from __future__ import annotations

import logging
import os
import secrets
import sys
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.accounts.passwords import hash_password
from switchboard.db.models import Role, RoleAssignment, User
from switchboard.roles_default import ADMIN_ROLE

__all__ = [
    "ADMIN_ROLE",
    "ADMIN_USERNAME",
    "PASSWORD_FILE",
    "announce_generated_password",
    "ensure_admin",
    "print_generated_password",
]

log = logging.getLogger(__name__)

PASSWORD_FILE = "initial-admin-password"  # noqa: S105 - a file name, not a password

ADMIN_USERNAME = "admin"


async def ensure_admin(
    sessions: async_sessionmaker[AsyncSession], *, password: str = ""
) -> str | None:
    """Create ``admin`` holding the admin role when the database has no user at all.

    Uses ``password`` when given, else generates one and returns it (to be shown once).
    Returns ``None`` when nothing was created. Safe to call from several processes at once:
    the unique username makes every caller but one a no-op.
    """
    async with sessions() as session:
        if await session.scalar(select(func.count()).select_from(User)):
            return None
        generated = None if password else secrets.token_urlsafe(18)
        user = User(
            username=ADMIN_USERNAME,
            email="admin@localhost",
            display_name="Administrator",
            password_hash=await hash_password(password or generated or ""),
        )
        session.add(user)
        role_id = await session.scalar(select(Role.id).where(Role.name == ADMIN_ROLE))
        try:
            await session.flush()
            if role_id is not None:
                session.add(RoleAssignment(user_id=user.id, role_id=role_id))
            await session.commit()
        except IntegrityError:
            await session.rollback()
            return None
        return generated


def print_generated_password(password: str) -> None:
    """Show a generated admin password once, on the terminal (never through logging)."""
    # Deliberately print, not log: log lines must never carry secrets.
    print(
        "\n"
        "  Switchboard created the first account:\n"
        f"    username: {ADMIN_USERNAME}\n"
        f"    password: {password}\n"
        "  It is shown only this once. Sign in and change it, or set\n"
        "  SWITCHBOARD_ADMIN_PASSWORD before the first start.\n",
        file=sys.stderr,
        flush=True,
    )


def announce_generated_password(password: str, *, data_dir: str, log_format: str) -> None:
    """Hand the generated password to the operator, once, without logging it.

    On a terminal (text logs) it is printed. With JSON logs stderr is a log pipeline, so
    the password goes to ``<data dir>/initial-admin-password`` (mode 0600) and the log says
    only where it is.
    """
    if log_format != "json":
        print_generated_password(password)
        return
    path = Path(data_dir) / PASSWORD_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")
    log.warning(
        "created the first account 'admin'; its generated password is in %s "
        "(read it, sign in, change it, delete the file)",
        path,
    )
