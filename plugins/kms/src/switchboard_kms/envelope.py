"""The kms box's ciphertext layout: what KMS needs to unwrap the data key, then the sealed data.

Version 1::

    version (1 byte, 0x01)
    | key ARN length (2 bytes, big-endian) | key ARN (UTF-8)
    | wrapped data key length (2 bytes, big-endian) | wrapped data key (KMS CiphertextBlob)
    | nonce (24 bytes)
    | XChaCha20-Poly1305 ciphertext + tag (16 bytes)

Everything before the nonce is the *header*; the AEAD's associated data is the header
followed by the context (the connection id), so neither the header nor the binding to the
connection can be changed without the ciphertext failing to verify. The key ARN is stored
because the environment's ``keyId`` may change (or be an alias) after sealing, and it says
which region to ask.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from switchboard.interfaces import SecretBoxError

__all__ = ["VERSION", "Envelope", "encode_header", "parse"]

VERSION = 1
NONCE_BYTES = 24
TAG_BYTES = 16
_LENGTH = struct.Struct(">H")


@dataclass(frozen=True)
class Envelope:
    """A parsed ciphertext. ``header`` is the exact bytes the AEAD authenticated."""

    key_arn: str
    wrapped_key: bytes
    header: bytes
    nonce: bytes
    body: bytes


def encode_header(key_arn: str, wrapped_key: bytes) -> bytes:
    """The header of a version-1 ciphertext."""
    arn = key_arn.encode()
    arn_field = _LENGTH.pack(len(arn)) + arn
    key_field = _LENGTH.pack(len(wrapped_key)) + wrapped_key
    return bytes([VERSION]) + arn_field + key_field


def parse(ciphertext: bytes) -> Envelope:
    """Split a ciphertext into its parts; :class:`SecretBoxError` when it is malformed."""
    if not ciphertext:
        raise SecretBoxError("not a kms ciphertext: it is empty")
    if ciphertext[0] != VERSION:
        raise SecretBoxError(f"unsupported kms ciphertext version {ciphertext[0]}")
    offset = 1
    fields: list[bytes] = []
    for _ in range(2):
        if len(ciphertext) < offset + _LENGTH.size:
            raise SecretBoxError("not a kms ciphertext: it is truncated")
        (length,) = _LENGTH.unpack_from(ciphertext, offset)
        offset += _LENGTH.size
        if length == 0 or len(ciphertext) < offset + length:
            raise SecretBoxError("not a kms ciphertext: it is truncated")
        fields.append(ciphertext[offset : offset + length])
        offset += length
    if len(ciphertext) < offset + NONCE_BYTES + TAG_BYTES:
        raise SecretBoxError("not a kms ciphertext: it is truncated")
    try:
        key_arn = fields[0].decode()
    except UnicodeDecodeError:
        raise SecretBoxError("not a kms ciphertext: the key ARN is not UTF-8") from None
    return Envelope(
        key_arn=key_arn,
        wrapped_key=fields[1],
        header=ciphertext[:offset],
        nonce=ciphertext[offset : offset + NONCE_BYTES],
        body=ciphertext[offset + NONCE_BYTES :],
    )
