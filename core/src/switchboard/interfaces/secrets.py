"""Secret boxes: authenticated encryption of connection credentials at rest.

A box must bind each ciphertext to its ``context`` (the connection id), so a ciphertext
copied to another connection does not open. A minimal (insecure, for tests only) box::

    class ReversingBox(SecretBox):
        name = "reversing"

        async def seal(self, plaintext: bytes, *, context: str, environment) -> bytes:
            return context.encode() + b"|" + plaintext[::-1]

        async def open(self, ciphertext: bytes, *, context: str, environment) -> bytes:
            bound, _, body = ciphertext.partition(b"|")
            if bound != context.encode():
                raise SecretBoxError("ciphertext belongs to another context")
            return body[::-1]
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from switchboard.plugins.selection import EnvironmentPlugins

__all__ = ["SecretBox", "SecretBoxError"]


class SecretBoxError(Exception):
    """A ciphertext did not open: wrong key, wrong context, or tampered with.

    The message never contains the plaintext or the key.
    """


class SecretBox(abc.ABC):
    """Encrypts and decrypts small secrets (credentials) bound to a context string.

    ``environment`` gives the box its plugin's settings there (a KMS key per environment);
    a ciphertext must carry whatever :meth:`open` needs besides the box's own keys, because
    settings may change after it was sealed.
    """

    name: ClassVar[str]

    @abc.abstractmethod
    async def seal(
        self, plaintext: bytes, *, context: str, environment: EnvironmentPlugins
    ) -> bytes:
        """Encrypt ``plaintext`` so that only :meth:`open` with the same context recovers it."""

    @abc.abstractmethod
    async def open(
        self, ciphertext: bytes, *, context: str, environment: EnvironmentPlugins
    ) -> bytes:
        """Decrypt; raise :class:`SecretBoxError` when the ciphertext does not verify."""

    async def needs_reseal(
        self, ciphertext: bytes, *, context: str, environment: EnvironmentPlugins
    ) -> bool:
        """Whether ``switchboard secrets rotate`` should re-seal this ciphertext of this box.

        Return ``False`` only when it is already sealed the way :meth:`seal` would seal it now
        (same key), so a rotation run twice re-seals nothing the second time. The default,
        ``True``, is always safe: re-sealing an up-to-date ciphertext only costs time.
        """
        return True

    async def aclose(self) -> None:  # noqa: B027 - optional to override
        """Release clients; called once at shutdown."""
