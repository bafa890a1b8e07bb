"""The secrets of data-plane API keys: how they look, and the hash stored instead.

A key is ``sk-sb-`` followed by 43 URL-safe characters (256 random bits). The fixed visible
prefix lets secret scanners recognise a leaked key; the database keeps only the SHA-256 of
the whole secret (``api_keys.key_hash``) and its first :data:`KEY_PREFIX_SHOWN` characters
for display. The control plane creates keys with :func:`new_api_key`; the data plane finds
the key a request carries by :func:`hash_api_key`.
"""

from __future__ import annotations

from switchboard.accounts.secrets import digest, new_secret

__all__ = ["KEY_PREFIX", "KEY_PREFIX_SHOWN", "hash_api_key", "new_api_key", "shown_prefix"]

KEY_PREFIX = "sk-sb-"
"""The start of every API key (public: it identifies the kind of secret, not the secret)."""

KEY_PREFIX_SHOWN = 12
"""How many leading characters of a key lists show: the prefix and six random ones."""


def new_api_key() -> str:
    """A new random API key secret, ``sk-sb-`` and 256 bits of entropy."""
    return new_secret(KEY_PREFIX)


def hash_api_key(secret: str) -> str:
    """The SHA-256 hex digest stored (and looked up) instead of the key ``secret``."""
    return digest(secret)


def shown_prefix(secret: str) -> str:
    """The leading characters of ``secret`` that may be stored and shown."""
    return secret[:KEY_PREFIX_SHOWN]
