"""Held-back audit entries: a long batch appends its entries to the chain when it ends, so it does
not hold the chain's lock while it works, and its entries still verify."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fengkong import recorders
from fengkong.audit.models import AuditEntry
from tests import factories
from tests.recorded import sealed_chain


def _entries(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def test_entries_of_the_block_are_appended_when_it_ends(session: Session) -> None:
    before = _entries(session)
    with recorders.audit_at_end(session):
        customer = factories.customer(name="宁波港口物流有限公司")
        session.flush()
        recorders.record_action(
            session, action="export", entity_type="customers", entity_id="*", details={"rows": 1}
        )
        customer.name = "宁波港口物流股份有限公司"
        assert _entries(session) == before
    assert _entries(session) == before + 3
    actions = session.scalars(
        select(AuditEntry.action).order_by(AuditEntry.id.desc()).limit(3)
    ).all()
    assert list(reversed(actions)) == ["create", "export", "update"]
    assert sealed_chain(session).intact


def test_a_block_that_fails_appends_nothing(session: Session) -> None:
    before = _entries(session)

    def failing_batch() -> None:
        with recorders.audit_at_end(session):
            recorders.record_action(
                session, action="export", entity_type="customers", entity_id="*"
            )
            raise RuntimeError("the batch failed")

    with pytest.raises(RuntimeError):
        failing_batch()
    recorders.record_action(session, action="export", entity_type="customers", entity_id="*")
    assert _entries(session) == before + 1
    assert sealed_chain(session).intact
