from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.idempotency import service
from fengkong.idempotency.models import IdempotencyKey
from fengkong.kit.time import utcnow

FINGERPRINT = service.request_fingerprint(method="POST", path="/api/v1/orders", body=b"{}")


def _claim(session: Session, key: str, fingerprint: str = FINGERPRINT) -> object:
    return service.claim_key(
        session,
        actor_id=7,
        key=key,
        method="POST",
        path="/api/v1/orders",
        request_sha256=fingerprint,
    )


def _answered(session: Session, key: str) -> IdempotencyKey:
    row = _claim(session, key)
    assert isinstance(row, IdempotencyKey)
    service.store_response(session, row, service.StoredResponse(201, {"id": 1}, {"ETag": 'W/"v1"'}))
    return row


def test_a_stored_response_is_replayed_and_a_different_request_refused(session: Session) -> None:
    _answered(session, "k1")
    assert _claim(session, "k1") == service.StoredResponse(201, {"id": 1}, {"ETag": 'W/"v1"'})
    other = service.request_fingerprint(method="POST", path="/api/v1/orders", body=b'{"a":1}')
    with pytest.raises(service.IdempotencyKeyReused):
        _claim(session, "k1", other)


def test_a_key_expires_after_a_day_and_can_then_be_used_afresh(session: Session) -> None:
    old = _answered(session, "old")
    _answered(session, "recent")
    old.created_at = utcnow() - service.KEY_LIFETIME - timedelta(minutes=1)
    session.flush()

    reclaimed = _claim(session, "old", "another request")
    assert isinstance(reclaimed, IdempotencyKey)
    assert (reclaimed.id, reclaimed.status_code, reclaimed.request_sha256) == (
        old.id,
        None,
        "another request",
    )

    reclaimed.created_at = utcnow() - timedelta(hours=25)
    session.flush()
    assert service.purge_expired_keys(session) == 1
    assert session.scalar(select(IdempotencyKey.id).where(IdempotencyKey.id == old.id)) is None
    assert isinstance(_claim(session, "recent"), service.StoredResponse)


def test_the_fingerprint_ignores_json_layout_but_not_preconditions() -> None:
    def fingerprint(body: bytes, preconditions: str = "") -> str:
        return service.request_fingerprint(
            method="patch", path="/x", body=body, preconditions=preconditions
        )

    assert fingerprint(b'{"a": 1, "b": [2]}') == fingerprint(b'{"b":[2],"a":1}')
    assert fingerprint(b'{"a": 1}') != fingerprint(b'{"a": 1}', preconditions='W/"v2"')
    assert fingerprint(b"not json") != fingerprint(b"not  json")
