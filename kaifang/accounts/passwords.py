"""argon2id password hashing and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from kaifang.errors import Message

_hasher = PasswordHasher()
MIN_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str) -> Message | None:
    """Why the password is refused, or None."""
    if len(password) < MIN_LENGTH:
        return Message("The password must be at least %(min)s characters long.", {"min": MIN_LENGTH})
    if password.isdigit() or password.isalpha():
        return Message("The password must mix letters with digits or symbols.")
    return None
