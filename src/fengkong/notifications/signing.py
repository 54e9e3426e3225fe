"""Standard Webhooks signatures (https://www.standardwebhooks.com). Pure; no I/O.

The signed content is ``{webhook-id}.{webhook-timestamp}.{body}``; the signature header is
``v1,<base64 HMAC-SHA256>``, keyed with the base64-decoded part of a ``whsec_…`` secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _key(secret: str) -> bytes:
    encoded = secret.removeprefix(SECRET_PREFIX)
    return base64.b64decode(encoded)


def sign(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for one message."""
    content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(secret: str, *, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id=message_id, timestamp=timestamp, body=body),
        "content-type": "application/json",
    }


def verify(
    secret: str,
    *,
    message_id: str,
    timestamp: int,
    body: bytes,
    signature_header: str,
    now: int,
    tolerance_seconds: int = 300,
) -> bool:
    """What a receiver does: any ``v1`` signature in the header matches, and the timestamp is
    within the tolerance (replay protection)."""
    if abs(now - timestamp) > tolerance_seconds:
        return False
    expected = sign(secret, message_id=message_id, timestamp=timestamp, body=body)
    return any(
        hmac.compare_digest(expected, candidate)
        for candidate in signature_header.split(" ")
        if candidate.startswith("v1,")
    )
