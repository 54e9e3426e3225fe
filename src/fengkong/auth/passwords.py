"""Password hashing with argon2id; the cost comes from settings so tests can make it cheap."""

from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from fengkong.settings import get_settings

MIN_PASSWORD_LENGTH = 10


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_cost_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=1)


def _current() -> PasswordHasher:
    settings = get_settings()
    return _hasher(settings.password_time_cost, settings.password_memory_cost_kib)


def hash_password(password: str) -> str:
    return str(_current().hash(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return bool(_current().verify(password_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=4)
def _decoy_hash(time_cost: int, memory_cost_kib: int) -> str:
    return str(_hasher(time_cost, memory_cost_kib).hash(secrets.token_hex(16)))


def spend_verification_time(password: str) -> None:
    """Verify against a decoy so a login for an unknown user takes as long as a wrong password,
    and response times do not reveal which usernames exist."""
    settings = get_settings()
    verify_password(
        _decoy_hash(settings.password_time_cost, settings.password_memory_cost_kib), password
    )


def needs_rehash(password_hash: str) -> bool:
    return bool(_current().check_needs_rehash(password_hash))
