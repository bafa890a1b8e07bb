"""The ``libsodium`` secret box: XChaCha20-Poly1305 bound to the connection id.

Ciphertext layout (version 1)::

    version (1 byte, 0x01) | key id (8 bytes) | nonce (24 bytes) | AEAD ciphertext + tag (16)

The associated data is ``version | key id | context`` (the context is the connection id):
a ciphertext copied to another connection, or with its header edited to name another key,
does not verify. The key id says which key opens it, so after a rotation the box finds the
previous key without trying each one. XChaCha20's 24-byte nonces are random: at that size
a random nonce never repeats in practice, however many credentials are sealed under a key.
"""

from __future__ import annotations

import nacl.exceptions
import nacl.utils
from nacl.bindings import (
    crypto_aead_xchacha20poly1305_ietf_ABYTES,
    crypto_aead_xchacha20poly1305_ietf_decrypt,
    crypto_aead_xchacha20poly1305_ietf_encrypt,
    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
)

from switchboard.interfaces import SecretBox, SecretBoxError
from switchboard.plugins.selection import EnvironmentPlugins
from switchboard.settings import Settings
from switchboard_libsodium.keys import (
    CURRENT_VAR,
    KEY_ID_BYTES,
    PREVIOUS_VAR,
    KeyRing,
    load_keyring,
)

__all__ = ["VERSION", "LibsodiumBox"]

VERSION = 1
NONCE_BYTES: int = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
TAG_BYTES: int = crypto_aead_xchacha20poly1305_ietf_ABYTES
HEADER_BYTES = 1 + KEY_ID_BYTES
MIN_CIPHERTEXT_BYTES = HEADER_BYTES + NONCE_BYTES + TAG_BYTES


class LibsodiumBox(SecretBox):
    """Seals with the current key; opens with any key of the ring, chosen by key id.

    Keys are loaded on first use, not when the plugin registers: a gateway on PostgreSQL
    without a key still starts and serves everything but credentials, and the error names
    the variable to set. The keys are fixed for the life of the process, like the settings.
    """

    name = "libsodium"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._keys: KeyRing | None = None

    def keys(self) -> KeyRing:
        """The key ring, loaded (and in embedded mode generated) on first call."""
        if self._keys is None:
            self._keys = load_keyring(self._settings)
        return self._keys

    async def seal(
        self, plaintext: bytes, *, context: str, environment: EnvironmentPlugins
    ) -> bytes:
        """Encrypt ``plaintext`` under the current key, bound to ``context``."""
        key = self.keys().current
        header = bytes([VERSION]) + key.id
        nonce = nacl.utils.random(NONCE_BYTES)
        body = crypto_aead_xchacha20poly1305_ietf_encrypt(
            plaintext, header + context.encode(), nonce, key.secret
        )
        return header + nonce + body

    async def open(
        self, ciphertext: bytes, *, context: str, environment: EnvironmentPlugins
    ) -> bytes:
        """Decrypt with the key the ciphertext names; refuse anything that does not verify."""
        if len(ciphertext) < MIN_CIPHERTEXT_BYTES:
            raise SecretBoxError(
                f"not a libsodium ciphertext: {len(ciphertext)} bytes, "
                f"at least {MIN_CIPHERTEXT_BYTES} expected"
            )
        if ciphertext[0] != VERSION:
            raise SecretBoxError(f"unsupported libsodium ciphertext version {ciphertext[0]}")
        header = ciphertext[:HEADER_BYTES]
        wanted = header[1:]
        key = self.keys().find(wanted)
        if key is None:
            raise SecretBoxError(
                f"the credentials were sealed with encryption key {wanted.hex()}, which is "
                f"neither {CURRENT_VAR} nor one of {PREVIOUS_VAR} (configured key ids: "
                f"{', '.join(self.keys().key_ids)})"
            )
        nonce = ciphertext[HEADER_BYTES : HEADER_BYTES + NONCE_BYTES]
        body = ciphertext[HEADER_BYTES + NONCE_BYTES :]
        try:
            return crypto_aead_xchacha20poly1305_ietf_decrypt(
                body, header + context.encode(), nonce, key.secret
            )
        except nacl.exceptions.CryptoError:
            raise SecretBoxError(
                "the credentials did not verify: the ciphertext was altered or belongs to "
                "another connection"
            ) from None

    async def needs_reseal(
        self, ciphertext: bytes, *, context: str, environment: EnvironmentPlugins
    ) -> bool:
        """Whether the ciphertext is of an older format or sealed by a key other than the
        current one."""
        current = self.keys().current
        return ciphertext[:HEADER_BYTES] != bytes([VERSION]) + current.id

    def __repr__(self) -> str:
        keys = "keys not loaded" if self._keys is None else repr(self._keys)
        return f"LibsodiumBox({keys})"
