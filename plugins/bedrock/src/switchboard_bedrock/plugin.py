"""Amazon Bedrock: Converse and ConverseStream with SigV4, access keys or an assumed role."""

from __future__ import annotations

from collections.abc import Iterable

from switchboard.context import GatewayContext
from switchboard.hookspecs import hookimpl
from switchboard.interfaces import Provider
from switchboard_bedrock.provider import BedrockProvider

__all__ = ["switchboard_register_providers"]


@hookimpl
def switchboard_register_providers(gateway: GatewayContext) -> Iterable[Provider]:
    """Register the Bedrock provider."""
    return [BedrockProvider()]
