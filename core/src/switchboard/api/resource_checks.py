"""Checks an AI resource passes before it is saved: every model it names can be served in
its environment, its routing is accepted by the environment's plugins, and the API keys it
is assigned belong to the environment. Each refusal is a 400 whose ``param`` names the part
(``fallbackModels[1].connection``, ``routing.conditions[0].then.provider``,
``assignApiKeys[2]``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import msgspec
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.api.shapes import ApiShape
from switchboard.capacity import CapacityEntry, CapacityError, validate_capacity
from switchboard.db.models import AIConnection, ApiKey, Environment
from switchboard.errors import BadRequest
from switchboard.plugins.selection import EnvironmentPlugins
from switchboard.state import Gateway

__all__ = ["ModelSpec", "ResourceChecks", "checked_capacity", "resolve_api_keys"]

MAX_FALLBACK_MODELS = 10


class ModelSpec(ApiShape, omit_defaults=True):
    """A provider's model, optionally pinned to a connection (id or name) of the
    environment. Without one, the gateway picks a connection of the provider that admits
    the model."""

    provider: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    model: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    connection: Annotated[str, msgspec.Meta(min_length=1, max_length=255)] | None = None


class ResourceChecks:
    """What the checks of one environment need: its plugins and its connections."""

    def __init__(
        self, gateway: Gateway, plugins: EnvironmentPlugins, connections: Sequence[AIConnection]
    ) -> None:
        self.gateway = gateway
        self.plugins = plugins
        self.connections = list(connections)

    @classmethod
    async def load(
        cls,
        db: AsyncSession,
        gateway: Gateway,
        plugins: EnvironmentPlugins,
        environment: Environment,
    ) -> ResourceChecks:
        """The checks for ``environment``, with its connections read once."""
        rows = await db.execute(
            select(AIConnection).where(AIConnection.environment_id == environment.id)
        )
        return cls(gateway, plugins, list(rows.scalars()))

    def model(self, spec: ModelSpec, where: str) -> None:
        """The provider is installed and on here; a named connection exists, is of that
        provider and admits the model."""
        registry = self.gateway.registry
        assert registry is not None
        if registry.providers.get(spec.provider, self.plugins.enabled) is None:
            available = ", ".join(
                p.name for p in registry.providers.available(self.plugins.enabled)
            )
            raise BadRequest(
                f"{where}.provider: provider {spec.provider!r} is not installed or not enabled "
                f"in this environment (available: {available or 'none'})",
                param=f"{where}.provider",
            )
        if spec.connection is None:
            return
        named = [c for c in self.connections if spec.connection in (c.id, c.name)]
        connection = next((c for c in named if c.id == spec.connection), None) or next(
            iter(named), None
        )
        param = f"{where}.connection"
        if connection is None:
            raise BadRequest(
                f"{param}: connection {spec.connection!r} does not exist in this environment",
                param=param,
            )
        if connection.provider != spec.provider:
            raise BadRequest(
                f"{param}: connection {connection.name!r} is of provider "
                f"{connection.provider!r}, not {spec.provider!r}",
                param=param,
            )
        allowed = connection.allowed_models
        if allowed is not None and spec.model not in allowed:
            raise BadRequest(
                f"{where}.model: connection {connection.name!r} does not allow model "
                f"{spec.model!r} (allowed: {', '.join(allowed) or 'none'})",
                param=f"{where}.model",
            )

    def fallbacks(self, models: Sequence[ModelSpec]) -> None:
        """Each fallback model passes :meth:`model`."""
        if len(models) > MAX_FALLBACK_MODELS:
            raise BadRequest(
                f"fallbackModels: at most {MAX_FALLBACK_MODELS} models", param="fallbackModels"
            )
        for index, spec in enumerate(models):
            self.model(spec, f"fallbackModels[{index}]")

    def routing(self, routing: Mapping[str, Any] | None) -> None:
        """The environment's plugins accept the rules (they raise the 400), and every model
        a rule routes to passes :meth:`model`."""
        if routing is None:
            return
        self.plugins.hooks.validate_routing(routing=routing)
        conditions = routing.get("conditions")
        for index, condition in enumerate(conditions if isinstance(conditions, list) else []):
            then = condition.get("then") if isinstance(condition, Mapping) else None
            if not isinstance(then, Mapping) or "action" in then:
                continue
            try:
                spec = msgspec.convert(
                    {k: then[k] for k in ("provider", "model", "connection") if k in then},
                    ModelSpec,
                )
            except msgspec.ValidationError:
                continue  # a shape only a third-party routing plugin understands
            self.model(spec, f"routing.conditions[{index}].then")


def checked_capacity(entries: list[CapacityEntry]) -> list[dict[str, Any]]:
    """``entries`` as stored, after :func:`validate_capacity` (400 naming the entry)."""
    try:
        validate_capacity(entries)
    except CapacityError as exc:
        raise BadRequest(str(exc), param=exc.param) from None
    stored: list[dict[str, Any]] = msgspec.to_builtins(entries)
    return stored


async def resolve_api_keys(
    db: AsyncSession, environment: Environment, keys: Sequence[str]
) -> list[ApiKey]:
    """The API keys of ``environment`` named (by id or name) in ``keys``, each once; an
    unknown one is a 400 naming ``assignApiKeys[i]``."""
    if not keys:
        return []
    rows = await db.execute(
        select(ApiKey).where(
            ApiKey.environment_id == environment.id,
            or_(ApiKey.id.in_(keys), ApiKey.name.in_(keys)),
        )
    )
    found = list(rows.scalars())
    chosen: dict[str, ApiKey] = {}
    for index, key in enumerate(keys):
        match = next((k for k in found if k.id == key), None) or next(
            (k for k in found if k.name == key), None
        )
        if match is None:
            raise BadRequest(
                f"assignApiKeys[{index}]: API key {key!r} does not exist in environment "
                f"{environment.name!r}",
                param=f"assignApiKeys[{index}]",
            )
        chosen[match.id] = match
    return list(chosen.values())
