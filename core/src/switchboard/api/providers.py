"""``/api/v1/providers``: what the UI needs to draw a connection form for each provider,
and each provider's list prices (what a connection's ``pricing`` overrides)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, get
from litestar.datastructures import State

from switchboard.api.deps import CallerDep, gateway_of
from switchboard.api.shapes import ApiShape
from switchboard.pricing import PriceTable

__all__ = ["ProvidersController"]


class ProviderOut(ApiShape):
    """An installed provider: its connection settings and credentials as JSON Schemas, and
    its price table (USD per million tokens, with the page and day the prices were read)."""

    name: str
    display_name: str
    plugin: str
    settings_schema: dict[str, Any]
    credentials_schema: dict[str, Any]
    secret_fields: list[str]
    known_models: list[str]
    supports_embeddings: bool
    prices: PriceTable


def _schema(struct: type[msgspec.Struct]) -> dict[str, Any]:
    schema: dict[str, Any] = msgspec.json.schema(struct)
    return schema


def _field_names(struct: type[msgspec.Struct]) -> list[str]:
    info = msgspec.inspect.type_info(struct)
    assert isinstance(info, msgspec.inspect.StructType)
    return [field.encode_name for field in info.fields]


class ProvidersController(Controller):
    """Installed provider plugins."""

    path = "/providers"
    tags = ["connections"]

    @get()
    async def list_providers(self, state: State, caller: CallerDep) -> list[ProviderOut]:
        """Every installed provider (any signed-in user may read this)."""
        registry = gateway_of(state).registry
        assert registry is not None
        return [
            ProviderOut(
                name=name,
                display_name=provider.display_name or name,
                plugin=registry.providers.plugin_of(name),
                settings_schema=_schema(provider.settings_type),
                credentials_schema=_schema(provider.credentials_type),
                secret_fields=_field_names(provider.credentials_type),
                known_models=list(provider.known_models),
                supports_embeddings=provider.supports_embeddings,
                prices=provider.prices,
            )
            for name in sorted(registry.providers)
            if (provider := registry.providers.get(name)) is not None
        ]
