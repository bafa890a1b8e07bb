"""AWS KMS envelope encryption for connection credentials, switched on per environment.

Off by default. Switched on in an environment, it takes precedence over the default
``libsodium`` box there (which registers last), so new and updated credentials are sealed
under that environment's KMS key::

    plugins:
      kms:
        settings: {keyId: "arn:aws:kms:eu-west-1:111122223333:alias/switchboard"}
"""

from __future__ import annotations

from collections.abc import Iterable

from switchboard.context import GatewayContext
from switchboard.hookspecs import hookimpl
from switchboard.interfaces import SecretBox
from switchboard_kms.box import KmsBox
from switchboard_kms.config import KmsSettings

__all__ = ["ENABLED_BY_DEFAULT", "Settings", "switchboard_register_secret_boxes"]

ENABLED_BY_DEFAULT = False

Settings = KmsSettings


@hookimpl
def switchboard_register_secret_boxes(gateway: GatewayContext) -> Iterable[SecretBox]:
    """Register the kms box."""
    return [KmsBox()]
