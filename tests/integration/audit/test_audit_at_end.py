"""Held-back audit entries: a long batch appends its entries to the chain when it ends, so it does
not hold the chain's lock while it works, and its entries still verify."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from fengkong import recorders
from fengkong.audit.models import AuditEntry
from fengkong.auth.actor import Actor
from fengkong.orders.models import Order
from tests import factories
from tests.recorded import audit_entries_of, events_of, sealed_chain
from tests.sql_statements import statements_sent


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


def _postgresql_only(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite appends entries after reading the chain's tail")


def test_many_held_back_entries_are_one_statement_with_their_exact_values(
    session: Session,
) -> None:
    _postgresql_only(session)
    moment = datetime(2026, 12, 6, 23, 5, 7, 654321, tzinfo=UTC)
    block = recorders.audit_at_end(session)
    with time_machine.travel(moment, tick=False):
        block.__enter__()
        customers = [factories.customer(name=f"温州眼镜批发{n}号有限公司") for n in range(30)]
        session.flush()
        for customer in customers:
            customer.name += "（更名）"
        session.flush()
    sent = statements_sent(session, lambda: block.__exit__(None, None, None))

    (appended,) = sent
    assert "INSERT INTO audit_log" in appended
    assert "json_to_recordset" in appended
    for customer in customers:
        created, renamed = audit_entries_of(session, "customers", customer.id)
        assert created.id < renamed.id
        assert (created.action, created.before, created.occurred_at) == ("create", None, moment)
        assert created.after is not None
        assert created.after["id"] == customer.id
        assert (renamed.action, renamed.occurred_at) == ("update", moment)
        assert renamed.before == {"name": customer.name.removesuffix("（更名）")}
        assert renamed.after == {"name": customer.name}
    assert sealed_chain(session).intact


def test_events_written_while_entries_are_held_back_are_one_statement(
    session: Session,
) -> None:
    _postgresql_only(session)
    customer = factories.customer()
    with recorders.audit_at_end(session):
        orders: list[Order] = []
        sent = statements_sent(
            session, lambda: orders.extend(factories.order(customer_id=customer.id) for _ in "ab")
        )
        inserted_events = [statement for statement in sent if "INSERT INTO events" in statement]
        assert len(inserted_events) == 2
        assert all("json_to_recordset" in statement for statement in inserted_events)
        assert [s for s in sent if "audit_log" in s and "INSERT INTO events" not in s] == []
        assert [len(events_of(session, "orders", order.id)) for order in orders] == [1, 1]
        assert audit_entries_of(session, "orders", orders[0].id) == []
    assert [len(audit_entries_of(session, "orders", order.id)) for order in orders] == [1, 1]
    assert sealed_chain(session).intact


def test_a_held_back_value_too_long_for_the_audit_log_is_refused_not_cut(
    session: Session,
) -> None:
    _postgresql_only(session)
    session.info["actor"] = Actor.system("x" * 65)

    with pytest.raises(DBAPIError, match="too long"), recorders.audit_at_end(session):
        recorders.record_action(session, action="export", entity_type="customers", entity_id="*")
