"""The default secret box: connection credentials sealed with libsodium's XChaCha20-Poly1305.

Registered ``trylast``, so a secret box another plugin switches on in an environment (such as
``kms``) seals there instead; this one still opens what it sealed before.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from switchboard.context import GatewayContext
from switchboard.hookspecs import hookimpl
from switchboard.interfaces import SecretBox
from switchboard_libsodium.box import LibsodiumBox
from switchboard_libsodium.keys import CURRENT_VAR, load_keyring

__all__ = ["switchboard_register_secret_boxes", "switchboard_startup"]

log = logging.getLogger(__name__)


@hookimpl(trylast=True)
def switchboard_register_secret_boxes(gateway: GatewayContext) -> Iterable[SecretBox]:
    """Register the libsodium box, last in order so opt-in boxes take precedence."""
    return [LibsodiumBox(gateway.settings)]


@hookimpl
def switchboard_startup(gateway: GatewayContext) -> None:
    """Check the configured keys when the gateway starts, so a typo stops it at once.

    A malformed key stops startup. A missing key on PostgreSQL does not: the gateway still
    serves everything but credentials (an environment may use another secret box), and
    sealing or opening then fails with the same message; it is logged here as an error so
    the operator sees it before the first connection does. The embedded key is generated
    on first use, not here, so a gateway that never stores credentials writes no key file.
    """
    settings = gateway.settings
    if settings.encryption_key or settings.previous_encryption_keys:
        load_keyring(settings)
    elif not settings.is_embedded_database:
        log.error(
            "%s is not set: the libsodium secret box will refuse to store or open "
            "connection credentials until it is (or disable the plugin with "
            "SWITCHBOARD_DISABLE_PLUGINS=libsodium when every environment uses another box)",
            CURRENT_VAR,
        )
