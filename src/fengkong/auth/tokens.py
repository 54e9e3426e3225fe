"""Opaque bearer tokens. They are 256-bit random, so a plain SHA-256 is the right stored form:
a slow password hash would only slow every API call without adding safety."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "fk_"  # noqa: S105 - a public marker that makes leaked tokens easy to scan for


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def display_prefix(token: str) -> str:
    return token[: len(TOKEN_PREFIX) + 6]
