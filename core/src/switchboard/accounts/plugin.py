"""Local accounts: the session-cookie and personal-access-token authenticators."""

from __future__ import annotations

from collections.abc import Iterable

from switchboard.accounts.authenticators import SessionAuthenticator, TokenAuthenticator
from switchboard.context import GatewayContext
from switchboard.hookspecs import hookimpl
from switchboard.interfaces import Authenticator

__all__ = ["switchboard_register_authenticators"]


@hookimpl(trylast=True)
def switchboard_register_authenticators(gateway: GatewayContext) -> Iterable[Authenticator]:
    """Register the built-in authenticators; ``trylast`` so a deployment's SSO goes first."""
    return [SessionAuthenticator(gateway), TokenAuthenticator(gateway)]
