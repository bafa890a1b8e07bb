"""Alembic environment for Switchboard's schema.

Run through :mod:`switchboard.db.migrations`, which passes an open connection (already in a
transaction) in ``config.attributes["connection"]``. Without one, Alembic runs in offline
mode and prints SQL for the URL in the ``sqlalchemy.url`` option.

Deliberately no ``logging.config.fileConfig`` call: the gateway configures logging itself.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from switchboard.db.models import Base, UTCDateTime

target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Render :class:`UTCDateTime` as a plain ``sa.DateTime(timezone=True)``.

    A migration must not import the models (they change later; the migration must not), and
    the conversion to UTC happens in Python, not in the schema.
    """
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure_options() -> dict[str, Any]:
    return {
        "target_metadata": target_metadata,
        # SQLite cannot ALTER most things: batch mode rebuilds tables in later migrations.
        "render_as_batch": True,
        "compare_type": True,
        "render_item": render_item,
    }


def run_migrations_online(connection: Connection) -> None:
    """Run the migrations on ``connection`` inside its current transaction."""
    context.configure(connection=connection, **_configure_options())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    """Emit the migrations as SQL for the dialect of the configured URL."""
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        literal_binds=True,
        **_configure_options(),
    )
    with context.begin_transaction():
        context.run_migrations()


_connection = context.config.attributes.get("connection")
if context.is_offline_mode():
    run_migrations_offline()
elif isinstance(_connection, Connection):
    run_migrations_online(_connection)
else:
    raise RuntimeError(
        "Switchboard migrations run through `switchboard migrate` "
        "(switchboard.db.migrations), which provides the database connection"
    )
