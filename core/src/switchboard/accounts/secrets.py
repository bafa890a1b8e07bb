"""Random secrets and their one-way hashes, for session cookies, tokens and CSRF."""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["digest", "new_secret", "same"]


def new_secret(prefix: str = "", nbytes: int = 32) -> str:
    """A URL-safe random secret with ``nbytes`` of entropy, after ``prefix``."""
    return prefix + secrets.token_urlsafe(nbytes)


def digest(secret: str) -> str:
    """The SHA-256 hex digest stored instead of a secret.

    A fast hash is right here (unlike passwords): the secrets are 256-bit random values,
    so there is nothing to brute-force, and lookups by hash must be cheap.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time string comparison."""
    return hmac.compare_digest(a.encode(), b.encode())
