"""Connection credentials at rest: sealed by a secret box, bound to the connection's id.

An environment writes with the first secret box its plugins provide, in hook order (so a
box switched on there, such as KMS, takes precedence over the embedded default); each
connection records which box sealed it, so it can still be opened after the environment
switches boxes. ``switchboard secrets rotate`` re-seals every connection with its
environment's current box and keys.
"""

from __future__ import annotations

from typing import Any

import msgspec

from switchboard.errors import ServiceUnavailable
from switchboard.interfaces import SecretBox
from switchboard.plugins.registry import Registry
from switchboard.plugins.selection import EnvironmentPlugins

__all__ = ["box_for_writing", "open_credentials", "seal_credentials"]


def box_for_writing(registry: Registry, environment: EnvironmentPlugins) -> SecretBox:
    """The box that seals new credentials in ``environment``."""
    boxes = registry.secret_boxes.available(environment.enabled)
    if not boxes:
        raise ServiceUnavailable(
            "no secret box is enabled in this environment: switch on a secret-box plugin "
            "(libsodium or kms) so credentials can be stored encrypted"
        )
    return boxes[0]


async def seal_credentials(
    registry: Registry, environment: EnvironmentPlugins, connection_id: str, credentials: Any
) -> tuple[str, bytes]:
    """``(box name, ciphertext)`` of ``credentials`` (a Struct or JSON-able value)."""
    box = box_for_writing(registry, environment)
    plaintext = msgspec.json.encode(credentials)
    return box.name, await box.seal(plaintext, context=connection_id, environment=environment)


async def open_credentials(
    registry: Registry,
    environment: EnvironmentPlugins,
    connection_id: str,
    box_name: str,
    ciphertext: bytes,
) -> dict[str, Any]:
    """The credentials a connection stored, as plain JSON values."""
    box = registry.secret_boxes.get(box_name)
    if box is None:
        raise ServiceUnavailable(
            f"the credentials of this connection were sealed by secret box {box_name!r}, "
            "which is not installed or not loaded"
        )
    plaintext = await box.open(ciphertext, context=connection_id, environment=environment)
    decoded: dict[str, Any] = msgspec.json.decode(plaintext)
    return decoded
