"""Staff logins: Argon2 password hashes, verified off the eventlet hub."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; hashing runs in a native thread (it takes ~50 ms)."""
    try:
        return bool(tpool.execute(_hasher.verify, password_hash, password))
    except (VerificationError, InvalidHashError):
        return False
