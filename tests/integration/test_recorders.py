"""Every ORM write leaves an audit entry and (for business tables) an outbox event, atomically."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fengkong.audit.models import AuditEntry
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Role
from fengkong.customers.models import Customer
from fengkong.events.models import Event
from fengkong.kit.money import Money
from fengkong.kit.provenance import DataSource, Provenance
from fengkong.recorders import MissingActor
from tests import factories
from tests.recorded import audit_entries_of, events_of


def test_creating_a_customer_is_audited_and_announced(session: Session) -> None:
    session.info["actor"] = Actor(user_id=None, username="alice", role=Role.CREDIT_ANALYST)
    customer = factories.customer(name="杭州甲乙贸易有限公司")

    (entry,) = audit_entries_of(session, "customers", customer.id)
    assert (entry.action, entry.actor_username, entry.before) == ("create", "alice", None)
    assert entry.after is not None
    assert entry.after["name"] == "杭州甲乙贸易有限公司"
    (event,) = events_of(session, "customers", customer.id)
    assert event.event_type == "customer_created"
    assert event.customer_id == customer.id
    assert event.payload["uscc"] == customer.uscc


def test_an_update_records_only_what_changed_before_and_after(session: Session) -> None:
    customer = factories.customer(name="旧名称有限公司")
    customer.name = "新名称有限公司"
    session.flush()

    update = audit_entries_of(session, "customers", customer.id)[-1]
    assert update.action == "update"
    assert update.before == {"name": "旧名称有限公司"}
    assert update.after == {"name": "新名称有限公司"}
    event = events_of(session, "customers", customer.id)[-1]
    assert event.event_type == "customer_updated"
    assert event.payload == {"name": "新名称有限公司", "id": customer.id}


def test_a_delete_keeps_what_was_deleted(session: Session) -> None:
    invoice = factories.invoice()
    invoice_id = invoice.id
    session.delete(invoice)
    session.flush()
    deletion = audit_entries_of(session, "invoices", invoice_id)[-1]
    assert deletion.action == "delete"
    assert deletion.before is not None
    assert deletion.before["invoice_number"] == invoice.invoice_number
    assert deletion.after is None


def test_invoices_and_payments_emit_the_event_types_monitoring_consumes(session: Session) -> None:
    invoice = factories.invoice()
    payment = factories.payment(customer_id=invoice.customer_id)
    assert [e.event_type for e in events_of(session, "invoices", invoice.id)] == ["invoice_issued"]
    assert [e.event_type for e in events_of(session, "payments", payment.id)] == [
        "payment_received"
    ]


def test_password_hashes_never_reach_the_audit_log_and_users_emit_no_events(
    session: Session,
) -> None:
    user, _ = auth_service.create_user(
        session, Actor.system(), username="carol", role=Role.SALES, password="a-long-password"
    )
    (entry,) = audit_entries_of(session, "users", user.id)
    assert entry.after is not None
    assert entry.after["password_hash"] == "***"
    assert events_of(session, "users", user.id) == []


def test_a_write_without_an_actor_is_refused(session: Session) -> None:
    session.info["actor"] = None
    session.add(Customer(uscc=factories.make_uscc(999), name="无主公司"))
    with pytest.raises(MissingActor):
        session.flush()


def test_a_rolled_back_write_leaves_no_audit_entry_or_event(session: Session) -> None:
    audit_before = len(list(session.scalars(select(AuditEntry.id))))
    events_before = len(list(session.scalars(select(Event.id))))
    savepoint = session.begin_nested()
    factories.customer()
    savepoint.rollback()
    assert len(list(session.scalars(select(AuditEntry.id)))) == audit_before
    assert len(list(session.scalars(select(Event.id)))) == events_before


def test_money_and_timestamps_survive_the_round_trip_exactly(session: Session) -> None:
    customer = factories.customer(registered_capital=Money.of("123456789012.34", "CNY"))
    session.expire_all()
    reloaded = session.get(Customer, customer.id)
    assert reloaded is not None
    assert reloaded.registered_capital == Money.of("123456789012.34", "CNY")
    assert reloaded.created_at.tzinfo is not None
    assert reloaded.created_at.utcoffset() == UTC.utcoffset(None)
    assert abs((datetime.now(UTC) - reloaded.created_at).total_seconds()) < 60


def test_naive_datetimes_are_refused(session: Session) -> None:
    customer = factories.customer()
    customer.created_at = datetime(2026, 1, 1)  # noqa: DTZ001 - the point of the test
    with pytest.raises(Exception, match="naive datetime"):
        session.flush()


def test_the_database_refuses_an_outstanding_larger_than_the_invoice(session: Session) -> None:
    invoice = factories.invoice(amount=Money.of("100.00", "CNY"))
    invoice.outstanding_minor = 10001
    with pytest.raises(IntegrityError):
        session.flush()


def test_each_write_is_stamped_with_where_it_came_from(session: Session) -> None:
    session.info["provenance"] = Provenance.of(DataSource.IMPORT, "import 17")
    customer = factories.customer()
    assert (customer.source, customer.source_ref) == (DataSource.IMPORT, "import 17")
    first_stamp = customer.sourced_at

    session.info["provenance"] = Provenance.of(DataSource.UI, "alice")
    customer.name = "改名后的公司"
    session.flush()
    assert (customer.source, customer.source_ref) == (DataSource.UI, "alice")
    assert customer.sourced_at >= first_stamp


def test_without_a_declared_provenance_a_system_actor_counts_as_the_command_line(
    session: Session,
) -> None:
    session.info.pop("provenance", None)
    customer = factories.customer()
    assert (customer.source, customer.source_ref) == (DataSource.CLI, "test")
