"""Password hashing with argon2id (libsodium through PyNaCl), off the event loop."""

from __future__ import annotations

import asyncio
from functools import cache

import nacl.exceptions
import nacl.pwhash

__all__ = ["MIN_PASSWORD_LENGTH", "hash_password", "verify_password"]

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024


@cache
def _dummy_hash() -> bytes:
    """A valid hash of a random password, checked when the account does not exist so that a
    failed login takes as long whether or not the username is known (made on first use:
    hashing costs ~60 ms, which every CLI start would otherwise pay)."""
    return nacl.pwhash.argon2id.str(b"no such account, just burning time")


def _hash(password: str) -> str:
    return nacl.pwhash.argon2id.str(password.encode()).decode()


def _verify(hashed: str | None, password: str) -> bool:
    try:
        return bool(nacl.pwhash.verify((hashed or "").encode() or _dummy_hash(), password.encode()))
    except (nacl.exceptions.InvalidkeyError, nacl.exceptions.CryptoError, ValueError):
        return False


async def hash_password(password: str) -> str:
    """The argon2id hash (interactive limits: ~60 ms, 64 MiB), computed in a thread."""
    return await asyncio.to_thread(_hash, password)


async def verify_password(hashed: str | None, password: str) -> bool:
    """Whether ``password`` matches ``hashed``; a missing hash costs the same and is False."""
    if hashed is None:
        await asyncio.to_thread(_verify, None, password)
        return False
    return await asyncio.to_thread(_verify, hashed, password)
