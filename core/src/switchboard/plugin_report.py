"""What ``switchboard plugins list`` shows: installed plugins, their hooks, where they are on."""

from __future__ import annotations

import msgspec
from sqlalchemy import select

from switchboard.db.engine import create_engine, session_factory
from switchboard.db.migrations import SchemaStatus, check_schema
from switchboard.db.models import Environment, Workspace
from switchboard.plugins.host import PluginHost
from switchboard.plugins.selection import PluginSettingsError, resolve_selection
from switchboard.settings import Settings

__all__ = ["PluginReport", "PluginSummary", "plugin_report"]


class PluginSummary(msgspec.Struct, kw_only=True):
    """One installed plugin as the report shows it."""

    name: str
    distribution: str | None
    version: str | None
    description: str = ""
    enabled_by_default: bool = True
    hooks: list[str] = msgspec.field(default_factory=list)
    environments: list[str] = msgspec.field(default_factory=list)
    error: str | None = None


class PluginReport(msgspec.Struct, kw_only=True):
    """Every installed plugin; ``environments_note`` says why environments are missing."""

    plugins: list[PluginSummary]
    environments_note: str | None = None


async def plugin_report(settings: Settings, host: PluginHost) -> PluginReport:
    """Describe ``host``'s plugins, and find where each is on from the database.

    The database is optional here: when it is unreachable or not migrated the report says
    so in ``environments_note`` and lists the plugins anyway.
    """
    summaries = {
        name: PluginSummary(
            name=name,
            distribution=plugin.distribution,
            version=plugin.version,
            description=plugin.description,
            enabled_by_default=plugin.enabled_by_default,
            hooks=plugin.hooks,
        )
        for name, plugin in host.plugins.items()
    }
    for failure in host.failures:
        summaries[failure.name] = PluginSummary(
            name=failure.name, distribution=failure.distribution, version=None, error=failure.error
        )
    note = await _mark_environments(settings, host, summaries)
    return PluginReport(
        plugins=[summaries[name] for name in sorted(summaries)], environments_note=note
    )


async def _mark_environments(
    settings: Settings, host: PluginHost, summaries: dict[str, PluginSummary]
) -> str | None:
    engine = create_engine(settings.effective_database_url)
    try:
        try:
            status = await check_schema(engine)
        except Exception as exc:
            return f"environments not shown: database unavailable ({type(exc).__name__})"
        if status is not SchemaStatus.UP_TO_DATE:
            return f"environments not shown: database schema is {status.value}"
        async with session_factory(engine)() as session:
            rows = await session.execute(
                select(Workspace.name, Environment.name, Environment.plugins)
                .join(Environment, Environment.workspace_id == Workspace.id)
                .order_by(Workspace.name, Environment.name)
            )
            for workspace, environment, selection in rows:
                label = f"{workspace}/{environment}"
                try:
                    enabled = resolve_selection(host, selection).enabled
                except PluginSettingsError as exc:
                    for summary in summaries.values():
                        if summary.name == exc.plugin:
                            summary.environments.append(f"{label} (invalid: {exc})")
                    continue
                for name in enabled:
                    summaries[name].environments.append(label)
        return None
    finally:
        await engine.dispose()
