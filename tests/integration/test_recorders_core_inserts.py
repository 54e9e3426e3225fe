"""Rows inserted with Core (``recorders.insert_created``) and recorded with ``record_created``
leave the same audit entries, events and provenance as rows written by an ORM flush."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, null, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from fengkong import recorders
from fengkong.audit.models import AuditEntry
from fengkong.auth.actor import Actor
from fengkong.auth.models import User
from fengkong.auth.roles import Role
from fengkong.credit_reports.models import CreditReport
from fengkong.kit.amounts import PositiveMoneyIn
from fengkong.kit.provenance import DataSource, Provenance
from fengkong.orders import service as orders_service
from fengkong.orders.models import Order
from fengkong.orders.schemas import OrderCreate, OrderUpdate
from tests import factories
from tests.recorded import audit_entries_of, events_of, sealed_chain
from tests.sql_statements import statements_sent


def _order_data(customer_id: int, number: str) -> OrderCreate:
    return OrderCreate(
        customer_id=customer_id,
        order_number=number,
        ordered_on=date(2026, 3, 2),
        requested_delivery_on=date(2026, 4, 1),
        amount=PositiveMoneyIn(amount=Decimal("12345.67"), currency="CNY"),
    )


def _without(values: dict[str, Any] | None, *keys: str) -> dict[str, Any]:
    assert values is not None
    return {key: value for key, value in values.items() if key not in keys}


def test_a_core_inserted_order_is_recorded_as_a_flushed_one(session: Session) -> None:
    session.info["provenance"] = Provenance.of(DataSource.CONNECTOR, "SAP-7")
    customer = factories.customer()
    flushed = orders_service.create_order(
        session, recorders.actor_of(session), data=_order_data(customer.id, "SO-ORM")
    )
    inserted = orders_service.insert_order(session, data=_order_data(customer.id, "SO-CORE"))
    recorders.record_created(session, [(Order, inserted)])

    (orm_entry,) = audit_entries_of(session, "orders", flushed.id)
    (core_entry,) = audit_entries_of(session, "orders", inserted["id"])
    assert (core_entry.action, core_entry.before) == ("create", None)
    assert core_entry.actor_username == orm_entry.actor_username
    assert _without(core_entry.after, "id", "order_number") == _without(
        orm_entry.after, "id", "order_number"
    )
    assert core_entry.after is not None
    assert core_entry.after["id"] == inserted["id"]
    (orm_event,) = events_of(session, "orders", flushed.id)
    (core_event,) = events_of(session, "orders", inserted["id"])
    assert (core_event.event_type, core_event.customer_id) == ("order_placed", customer.id)
    assert _without(core_event.payload, "id", "order_number") == _without(
        orm_event.payload, "id", "order_number"
    )
    stored = session.get(Order, inserted["id"])
    assert stored is not None
    assert (stored.source, stored.source_ref, stored.version) == (DataSource.CONNECTOR, "SAP-7", 1)
    assert sealed_chain(session).intact


def test_redacted_columns_stay_out_of_the_audit_log(session: Session) -> None:
    user = recorders.insert_created(
        session,
        User,
        {"username": "core-inserted", "password_hash": "argon2-hash", "role": Role.CREDIT_ANALYST},
    )
    recorders.record_created(session, [(User, user)])

    (entry,) = audit_entries_of(session, "users", user["id"])
    assert entry.after is not None
    assert entry.after["password_hash"] == "***"
    assert entry.after["display_name"] == ""
    assert events_of(session, "users", user["id"]) == []


def test_rows_recorded_together_are_appended_in_order_in_one_chain(session: Session) -> None:
    customer = factories.customer()
    rows = [
        orders_service.insert_order(session, data=_order_data(customer.id, f"SO-{n}"))
        for n in range(3)
    ]
    recorders.record_created(session, [(Order, row) for row in rows])
    assert sealed_chain(session).intact

    entries = [audit_entries_of(session, "orders", row["id"])[0] for row in rows]
    assert [entry.id for entry in entries] == sorted(entry.id for entry in entries)
    assert [entry.prev_hash for entry in entries[1:]] == [
        entry.entry_hash for entry in entries[:-1]
    ]


def test_held_back_entries_are_appended_when_the_block_ends(session: Session) -> None:
    customer = factories.customer()
    with recorders.audit_at_end(session):
        row = orders_service.insert_order(session, data=_order_data(customer.id, "SO-LATER"))
        recorders.record_created(session, [(Order, row)])
        assert audit_entries_of(session, "orders", row["id"]) == []
        assert len(events_of(session, "orders", row["id"])) == 1
    assert len(audit_entries_of(session, "orders", row["id"])) == 1
    assert sealed_chain(session).intact


def test_an_attached_row_is_persistent_unchanged_and_audited_when_changed(
    session: Session,
) -> None:
    customer = factories.customer()
    row = orders_service.insert_order(session, data=_order_data(customer.id, "SO-ATTACHED"))
    recorders.record_created(session, [(Order, row)])
    order: Order = recorders.attach_created(session, Order, row)

    assert session.get(Order, row["id"]) is order
    assert order not in session.dirty
    assert order not in session.new
    assert order.amount.minor_units == 1234567
    orders_service.update_order(
        session,
        recorders.actor_of(session),
        order_id=order.id,
        data=OrderUpdate(order_number="SO-RENUMBERED"),
    )
    update = audit_entries_of(session, "orders", row["id"])[-1]
    assert (update.before, update.after) == (
        {"order_number": "SO-ATTACHED"},
        {"order_number": "SO-RENUMBERED"},
    )
    assert order.version == 2


def _user_values(name: str) -> dict[str, Any]:
    return {"username": name, "password_hash": "argon2-hash", "role": Role.CREDIT_ANALYST}


def test_rows_inserted_together_get_their_own_keys_in_order_and_are_recorded(
    session: Session,
) -> None:
    names = [f"many-{n}" for n in range(5)]
    rows = recorders.insert_many_created(session, User, [_user_values(name) for name in names])
    recorders.record_created(session, [(User, row) for row in rows])

    keys = [row["id"] for row in rows]
    assert keys == sorted(set(keys))
    for row, name in zip(rows, names, strict=True):
        stored = session.get(User, row["id"])
        assert stored is not None
        assert (stored.username, stored.version, stored.display_name) == (name, 1, "")
        assert (row["version"], row["display_name"]) == (1, "")
        (entry,) = audit_entries_of(session, "users", row["id"])
        assert entry.after is not None
        assert (entry.after["username"], entry.after["password_hash"]) == (name, "***")
    assert sealed_chain(session).intact


def test_rows_inserted_together_are_one_short_statement_on_postgresql(session: Session) -> None:
    sent = statements_sent(
        session,
        lambda: recorders.insert_many_created(
            session, User, [_user_values(f"short-{n}") for n in range(12)]
        ),
    )
    if session.get_bind().dialect.name != "postgresql":
        assert all("INSERT INTO users" in sql for sql in sent)
        return
    keys, inserts = sent
    assert "nextval" in keys
    assert inserts.startswith("INSERT INTO users")
    assert "RETURNING" not in inserts
    assert "json_to_recordset" in inserts
    assert inserts.count("%(") == 1  # the rows, one JSON parameter


def _report(customer_id: int, day: int, score: float, agency: str = "中诚信") -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "agency": f"{agency} {day}",
        "rating": "AA-",
        "score": score,
        "report_date": date(2026, 3, day),
        "valid_until": None,
        "summary": 'said "no"; C:\\temp\\ 二\u2028 <b>',
        "verified": bool(day % 2),
    }


def test_rows_inserted_together_store_what_a_flush_stores(session: Session) -> None:
    customer = factories.customer()
    inserted = recorders.insert_many_created(
        session, CreditReport, [_report(customer.id, day, 60.25 + day) for day in (1, 2, 3)]
    )
    flushed = [
        CreditReport(**_report(customer.id, day, 60.25 + day, agency="大公")) for day in (1, 2, 3)
    ]
    session.add_all(flushed)
    session.flush()
    session.expire_all()

    compared = [
        column.key
        for column in CreditReport.__table__.columns
        if column.key not in {"id", "agency", "created_at", "updated_at", "sourced_at"}
    ]
    for row, orm in zip(inserted, flushed, strict=True):
        stored = session.get(CreditReport, row["id"])
        assert stored is not None
        assert {key: getattr(stored, key) for key in compared} == {
            key: getattr(orm, key) for key in compared
        }
        assert (stored.created_at, stored.sourced_at) == (row["created_at"], row["sourced_at"])


def _reports_inserted(
    session: Session, scores: list[float], *, large_json: bool = False
) -> tuple[list[str], list[float | None]]:
    """The statements that inserted credit reports with ``scores``, and the scores stored."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has one way (and stores NaN as NULL)")
    customer = factories.customer()
    reports = [_report(customer.id, day, score) for day, score in enumerate(scores, start=1)]
    sent = statements_sent(
        session,
        lambda: recorders.insert_many_created(
            session, CreditReport, reports, large_json=large_json
        ),
    )
    stored = session.scalars(
        select(CreditReport.score)
        .where(CreditReport.customer_id == customer.id)
        .order_by(CreditReport.id)
    ).all()
    return sent, list(stored)


def test_a_value_json_cannot_carry_is_inserted_the_other_way(session: Session) -> None:
    sent, (first, second) = _reports_inserted(session, [70.0, float("nan")])
    assert first == 70.0
    assert second is not None
    assert math.isnan(second)
    assert not any("json_to_recordset" in sql for sql in sent)


def test_rows_of_large_json_documents_are_bound_as_parameters(session: Session) -> None:
    """json_to_recordset would parse a large nested document and write it out again."""
    sent, stored = _reports_inserted(session, [70.0], large_json=True)
    assert stored == [70.0]
    assert not any("json_to_recordset" in sql for sql in sent)


def test_inserting_no_rows_sends_nothing(session: Session) -> None:
    assert statements_sent(session, lambda: recorders.insert_many_created(session, User, [])) == []


def test_entries_and_events_written_together_keep_their_order_and_exact_values(
    session: Session,
) -> None:
    customer = factories.customer()
    moment = datetime(2026, 12, 6, 19, 30, 1, 123456, tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        rows = [
            orders_service.insert_order(session, data=_order_data(customer.id, f"SO-ORD-{n}"))
            for n in range(12)
        ]
        recorders.record_created(session, [(Order, row) for row in rows])

    entries = [audit_entries_of(session, "orders", row["id"])[0] for row in rows]
    events = [events_of(session, "orders", row["id"])[0] for row in rows]
    assert [entry.id for entry in entries] == sorted(entry.id for entry in entries)
    assert [event.id for event in events] == sorted(event.id for event in events)
    for row, entry, event in zip(rows, entries, events, strict=True):
        assert (entry.action, entry.before, entry.occurred_at) == ("create", None, moment)
        assert entry.after is not None
        assert (entry.after["id"], entry.after["order_number"]) == (row["id"], row["order_number"])
        assert (event.occurred_at, event.recorded_at) == (moment, moment)
        assert (event.event_type, event.customer_id) == ("order_placed", customer.id)
        assert event.payload == entry.after
    # ``before`` is stored as JSON null, as SQLAlchemy stores ``None`` in every other path.
    assert (
        session.scalar(
            select(func.count())
            .where(AuditEntry.id.in_([entry.id for entry in entries]))
            .where(AuditEntry.before.is_(null()))
        )
        == 0
    )
    assert sealed_chain(session).intact


def test_entries_and_events_are_one_statement_on_postgresql(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite appends entries after reading the chain's tail")
    customer = factories.customer()
    rows = [
        orders_service.insert_order(session, data=_order_data(customer.id, f"SO-ONE-{n}"))
        for n in range(3)
    ]
    sent = statements_sent(
        session, lambda: recorders.record_created(session, [(Order, row) for row in rows])
    )
    (statement,) = sent
    assert "INSERT INTO audit_log" in statement
    assert "INSERT INTO events" in statement


def test_a_value_too_long_for_the_audit_log_is_refused_not_cut(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite does not enforce a column's length")
    customer = factories.customer()
    row = orders_service.insert_order(session, data=_order_data(customer.id, "SO-LONG"))
    session.info["actor"] = Actor.system("x" * 65)

    with pytest.raises(DBAPIError, match="too long"):
        recorders.record_created(session, [(Order, row)])
