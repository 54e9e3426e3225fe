"""Idempotency keys: the bookkeeping behind ``Idempotency-Key``, free of HTTP.

A write claims its key by inserting the key row in its own transaction, before doing anything
else. A concurrent retry's insert then waits on the unique index until the first transaction
ends: if it committed, the retry finds the stored response and replays it; if it rolled back, the
retry's insert succeeds and the retry does the work. Only successful responses are ever stored,
since a failed request rolls its key row back with everything else, so retrying it runs it again.

Keys are kept for ``KEY_LIFETIME``; after that a key is free again (``purge_expired_keys`` deletes
old rows, and a still-present expired row is reclaimed by the next request using its key).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fengkong.errors import Conflict, DomainError
from fengkong.idempotency.models import IdempotencyKey
from fengkong.kit.time import utcnow
from fengkong.records import field_error

KEY_LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(DomainError):
    """The key was already used for a different request. 422, as the IETF draft on the
    ``Idempotency-Key`` header recommends: retrying cannot help, the client must pick a new key."""

    status_code = 422
    code = "idempotency_key_reused"


class IdempotencyKeyInProgress(Conflict):
    """The key's first request committed without a stored response, so there is nothing to
    replay and running it again could write twice."""

    code = "idempotency_key_in_progress"


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def request_fingerprint(*, method: str, path: str, body: bytes, preconditions: str = "") -> str:
    """SHA-256 over what makes two requests "the same": method, path, preconditions (If-Match)
    and the body. JSON bodies are compared by content, not by spacing or key order."""
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except (UnicodeDecodeError, json.JSONDecodeError):
        canonical = body
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), preconditions.encode(), canonical):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _replay(row: IdempotencyKey, *, method: str, path: str, request_sha256: str) -> StoredResponse:
    if (row.method, row.path, row.request_sha256) != (method, path, request_sha256):
        raise IdempotencyKeyReused(
            f"Idempotency-Key {row.key!r} was used for another request ({row.method} {row.path}); "
            "use a new key for a new request",
            details=[field_error("Idempotency-Key", row.key, "already used for another request")],
        )
    if row.status_code is None:
        raise IdempotencyKeyInProgress(
            f"the request with Idempotency-Key {row.key!r} left no response to replay",
            details=[field_error("Idempotency-Key", row.key, "no stored response")],
        )
    return StoredResponse(row.status_code, row.response_body, dict(row.response_headers))


def _find(session: Session, actor_id: int, key: str) -> IdempotencyKey | None:
    statement = (
        select(IdempotencyKey)
        .where(IdempotencyKey.actor_id == actor_id, IdempotencyKey.key == key)
        .execution_options(populate_existing=True)
    )
    return session.scalars(statement).one_or_none()


def _reclaim(
    session: Session, row: IdempotencyKey, *, now: datetime, fingerprint: dict[str, Any]
) -> bool:
    """Take over an expired key row; ``False`` if another request renewed it meanwhile."""
    result = session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == row.id, IdempotencyKey.created_at < now - KEY_LIFETIME)
        .values(
            **fingerprint,
            status_code=None,
            response_body=JSON.NULL,
            response_headers={},
            created_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def claim_key(
    session: Session,
    *,
    actor_id: int,
    key: str,
    method: str,
    path: str,
    request_sha256: str,
) -> IdempotencyKey | StoredResponse:
    """Claim ``key`` for this request, or return the response to replay.

    Returns the claimed row (hand it to ``store_response`` once the write has succeeded) or the
    stored response of the key's first request. Raises ``IdempotencyKeyReused`` if the key was
    used for a different request.
    """
    now = utcnow()
    fingerprint = {"method": method, "path": path, "request_sha256": request_sha256}
    existing = _find(session, actor_id, key)
    if existing is not None and existing.created_at < now - KEY_LIFETIME:
        if _reclaim(session, existing, now=now, fingerprint=fingerprint):
            session.refresh(existing)
            return existing
        existing = _find(session, actor_id, key)
    if existing is not None:
        return _replay(existing, method=method, path=path, request_sha256=request_sha256)
    row = IdempotencyKey(
        actor_id=actor_id,
        key=key,
        created_at=now,
        response_body=JSON.NULL,  # JSON null, not SQL NULL: the column is NOT NULL
        response_headers={},
        **fingerprint,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # A concurrent request with this key committed first (we waited for it on the index).
        winner = _find(session, actor_id, key)
        if winner is None:
            raise
        return _replay(winner, method=method, path=path, request_sha256=request_sha256)
    return row


def store_response(session: Session, row: IdempotencyKey, response: StoredResponse) -> None:
    """Keep the response a claimed key's request produced, in that request's transaction."""
    row.status_code = response.status_code
    row.response_body = response.body
    row.response_headers = dict(response.headers)
    session.flush()


def purge_expired_keys(session: Session, *, now: datetime | None = None) -> int:
    """Delete keys older than ``KEY_LIFETIME``; returns how many. Run it daily (any job runner)."""
    cutoff = (now or utcnow()) - KEY_LIFETIME
    result = session.execute(
        delete(IdempotencyKey)
        .where(IdempotencyKey.created_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))
