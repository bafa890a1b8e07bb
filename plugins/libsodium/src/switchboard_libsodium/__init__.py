"""Switchboard's default secret box: libsodium (PyNaCl) XChaCha20-Poly1305 with key rotation."""

from switchboard_libsodium.box import LibsodiumBox
from switchboard_libsodium.keys import EncryptionKeyError, Key, KeyRing, load_keyring

__all__ = ["EncryptionKeyError", "Key", "KeyRing", "LibsodiumBox", "load_keyring"]
