"""Field encryption: AES-256-GCM per value, stored as ``fk1:<key id>:<base64(nonce|ciphertext)>``.

Each value gets a fresh random 96-bit nonce, so equal values encrypt differently (nothing can be
learnt by comparing rows); lookups use a blind index instead. The associated data binds a value to
its ``table.column``: a ciphertext copied into another column fails to decrypt. It does not bind
the row, because the primary key is not known before an insert. The key id in front lets old and
new keys live side by side during a rotation.
"""

from __future__ import annotations

import base64
import os
import re
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Dialect, String, Text
from sqlalchemy.types import TypeDecorator, TypeEngine

from fengkong.privacy.keys import Keyring, current_keyring

PREFIX = "fk1"
NONCE_BYTES = 12


class UndecryptableValue(ValueError):
    """A stored value is not ours, was tampered with, or its key is no longer in the keyring."""


def encrypt(plaintext: str, context: str, keyring: Keyring | None = None) -> str:
    ring = keyring or current_keyring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(ring.current_key).encrypt(nonce, plaintext.encode(), context.encode())
    return f"{PREFIX}:{ring.current_id}:{base64.b64encode(nonce + sealed).decode('ascii')}"


def key_id_of(stored: str) -> str:
    prefix, _, rest = stored.partition(":")
    key_id, separator, _ = rest.partition(":")
    if prefix != PREFIX or not separator:
        raise UndecryptableValue("not an encrypted value")
    return key_id


def decrypt(stored: str, context: str, keyring: Keyring | None = None) -> str:
    ring = keyring or current_keyring()
    key_id = key_id_of(stored)
    key = ring.keys.get(key_id)
    if key is None:
        raise UndecryptableValue(f"key {key_id!r} is not in the keyring")
    try:
        raw = base64.b64decode(stored.split(":", 2)[2], validate=True)
        opened = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
    except (InvalidTag, ValueError) as exc:
        raise UndecryptableValue(f"{context}: the value does not decrypt") from exc
    return opened.decode()


class EncryptedText(TypeDecorator[str]):
    """A text column stored encrypted; ``context`` is its ``table.column`` (the associated data).

    Every write that binds through the column's type is encrypted: ORM flushes, Core inserts and
    updates, and ``fengkong.kit.bulk``. Paths that bypass the type (COPY, raw SQL, INSERT … SELECT)
    must call ``encrypt`` themselves. Comparing such a column with a value in SQL never matches:
    use its blind index.
    """

    impl = Text
    cache_ok = True
    randomised = True
    """Equal values store differently: bulk writers convert each value, not each distinct one."""

    def __init__(self, context: str, *, sqlite_length: int | None = None) -> None:
        super().__init__()
        self.context = context
        self.sqlite_length = sqlite_length

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """``sqlite_length``: on SQLite the column stays the ``VARCHAR(n)`` it was, because
        widening it means recreating its table, and recreating ``customers`` would cascade-delete
        every row that references it. SQLite does not enforce the length."""
        if dialect.name == "sqlite" and self.sqlite_length is not None:
            return String(self.sqlite_length)
        return super().load_dialect_impl(dialect)

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        """A blank value is stored as NULL: there is nothing to protect, and SQL can still tell
        a missing value (the data-quality checks do) where it cannot read the ciphertext."""
        if value is None or not str(value).strip():
            return None
        return encrypt(str(value), self.context)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return decrypt(str(value), self.context)


_SPACES = re.compile(r"\s+")


def normalise(kind: str, value: str) -> str:
    """The form a blind index hashes, so that trivially different spellings still match."""
    text = _SPACES.sub(" ", value).strip()
    if kind == "id_number":
        return text.replace(" ", "").upper()
    if kind == "phone":
        digits = re.sub(r"\D", "", text)
        return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits
    if kind == "email":
        return text.lower()
    return text.casefold()


def blind_index(kind: str, value: str | None, keyring: Keyring | None = None) -> str | None:
    """The equality hash of a personal value of ``kind`` (None for no value)."""
    if value is None or not value.strip():
        return None
    return (keyring or current_keyring()).blind_index(kind, normalise(kind, value))
