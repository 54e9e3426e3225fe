"""The keys that protect personal data, read from settings.

``FENGKONG_DATA_KEYS`` lists every key that may still have encrypted something
(``id:base64,id:base64``); ``FENGKONG_DATA_KEY_ID`` names the one that encrypts new data; the
blind-index key (``FENGKONG_BLIND_INDEX_KEY``) makes the equality hashes used for lookups. Without
them a development keyring is derived from ``FENGKONG_SECRET_KEY`` so ``make run`` works, and a
warning says so: a deployment must set all three.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from fengkong.settings import Settings, get_settings

KEY_BYTES = 32
_KEY_ID = re.compile(r"[A-Za-z0-9-]{1,32}")
DEV_KEY_ID = "dev"
_log = logging.getLogger(__name__)


class KeyringError(ValueError):
    """The configured keys are unusable (malformed, wrong length, current key missing)."""


@dataclass(frozen=True, slots=True)
class Keyring:
    keys: Mapping[str, bytes]
    current_id: str
    blind_index_key: bytes
    derived: bool = False
    """True when the keys were derived from the secret key (development only)."""

    def __post_init__(self) -> None:
        if self.current_id not in self.keys:
            raise KeyringError(f"the current data key {self.current_id!r} is not in the keyring")
        for key_id, key in self.keys.items():
            if not _KEY_ID.fullmatch(key_id) or len(key) != KEY_BYTES:
                raise KeyringError(
                    f"data key {key_id!r}: an id of 1-32 letters, digits or '-' and {KEY_BYTES} "
                    "bytes of key"
                )
        if len(self.blind_index_key) < KEY_BYTES:
            raise KeyringError(f"the blind-index key must be at least {KEY_BYTES} bytes")

    @property
    def current_key(self) -> bytes:
        return self.keys[self.current_id]

    def blind_index(self, kind: str, normalised: str) -> str:
        """HMAC-SHA256 of ``kind:value``, hex: equal values of a kind hash alike, nothing else."""
        message = f"{kind}:{normalised}".encode()
        return hmac.new(self.blind_index_key, message, hashlib.sha256).hexdigest()


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose).derive(secret)


def parse_keys(text: str) -> dict[str, bytes]:
    """``id:base64,id:base64`` → ``{id: key}``."""
    keys: dict[str, bytes] = {}
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        key_id, separator, encoded = entry.partition(":")
        if not separator:
            raise KeyringError("each data key is written id:base64")
        try:
            keys[key_id.strip()] = base64.b64decode(encoded.strip(), validate=True)
        except binascii.Error as exc:
            raise KeyringError(f"data key {key_id.strip()!r} is not valid base64") from exc
    return keys


def keyring_from_settings(settings: Settings) -> Keyring:
    secret = settings.secret_key.get_secret_value().encode()
    configured = parse_keys(settings.data_keys.get_secret_value())
    blind = settings.blind_index_key.get_secret_value()
    derived = not configured or not blind
    keys = configured or {DEV_KEY_ID: _derive(secret, b"fengkong data key (development)")}
    current_id = settings.data_key_id or (DEV_KEY_ID if not configured else next(iter(keys)))
    if blind:
        try:
            blind_key = base64.b64decode(blind, validate=True)
        except binascii.Error as exc:
            raise KeyringError("FENGKONG_BLIND_INDEX_KEY is not valid base64") from exc
    else:
        blind_key = _derive(secret, b"fengkong blind index (development)")
    if derived:
        _log.warning(
            "personal data keys derived from FENGKONG_SECRET_KEY: set FENGKONG_DATA_KEYS, "
            "FENGKONG_DATA_KEY_ID and FENGKONG_BLIND_INDEX_KEY in production"
        )
    return Keyring(keys=keys, current_id=current_id, blind_index_key=blind_key, derived=derived)


@lru_cache(maxsize=1)
def _configured() -> Keyring:
    return keyring_from_settings(get_settings())


_active: ContextVar[Keyring | None] = ContextVar("fengkong_keyring", default=None)


def current_keyring() -> Keyring:
    """The keyring in use: the one set by ``using`` (rotation, tests), else the configured one."""
    return _active.get() or _configured()


@contextmanager
def using(keyring: Keyring) -> Iterator[Keyring]:
    """Encrypt and decrypt with ``keyring`` inside the block."""
    token = _active.set(keyring)
    try:
        yield keyring
    finally:
        _active.reset(token)


def reload() -> None:
    """Forget the cached configured keyring (after settings change)."""
    _configured.cache_clear()
