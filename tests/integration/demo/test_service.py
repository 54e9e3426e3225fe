"""Loading the demo on SQLite and PostgreSQL: what lands in the tables, the outbox and the audit
log, and whether the hidden profiles are usable ground truth."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fengkong import recorders, tables
from fengkong.audit.models import AuditEntry
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Role
from fengkong.db import Database
from fengkong.demo import service as demo_service
from fengkong.demo.generator import SALES_BOOK_EVERY, Profile
from fengkong.errors import PermissionDenied
from fengkong.events.models import Event
from fengkong.receivables.models import Invoice, Payment, PaymentAllocation
from tests.factories import make_uscc

AS_OF = date(2026, 6, 30)
ADMIN = Actor.system("test")


def _count(session: Session, table_name: str) -> int:
    table = tables.metadata.tables[table_name]
    return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _load(session: Session, *, customers: int = 60, seed: int = 11) -> demo_service.DemoSummary:
    return demo_service.load_demo(session, ADMIN, customers=customers, seed=seed, as_of=AS_OF)


def _profiles(session: Session) -> dict[int, str]:
    rows = session.execute(select(tables.DemoProfile.customer_id, tables.DemoProfile.profile))
    return {customer_id: profile for customer_id, profile in rows}


def test_table_counts_match_the_summary(session: Session) -> None:
    summary = _load(session)
    assert summary.counts["customers"] == 60
    for table_name, count in summary.counts.items():
        assert _count(session, table_name) == count, table_name
    assert summary.counts["invoices"] > 60 * 20
    assert summary.counts["financial_statements"] > 60 * 10


def test_every_customer_has_exactly_one_hidden_profile(session: Session) -> None:
    _load(session)
    customer_ids = set(session.scalars(select(tables.Customer.id)))
    profiles = _profiles(session)
    assert set(profiles) == customer_ids
    assert set(profiles.values()) == {profile.value for profile in Profile}


def test_every_business_row_has_its_creation_event(session: Session) -> None:
    summary = _load(session)
    counted = session.execute(select(Event.entity_type, func.count()).group_by(Event.entity_type))
    by_entity = {entity_type: count for entity_type, count in counted}
    quiet = {"payment_allocations", "demo_profiles"}  # neither declares an outbox
    assert by_entity == {
        name: count for name, count in summary.counts.items() if name not in quiet and count
    }
    assert sum(by_entity.values()) == summary.events
    pairs = session.execute(select(Event.entity_type, Event.event_type).distinct()).all()
    assert len(pairs) == len(by_entity)  # one event type per table
    types = {entity_type: event_type for entity_type, event_type in pairs}
    assert types["invoices"] == "invoice_issued"
    assert types["payments"] == "payment_received"
    assert types["customers"] == "customer_created"
    assert types["financial_statements"] == "financial_statement_filed"


def test_events_carry_the_row_and_arrive_in_business_order(session: Session) -> None:
    _load(session)
    invoice = session.scalars(select(Invoice).order_by(Invoice.id.desc()).limit(1)).one()
    event = session.scalars(
        select(Event).where(Event.entity_type == "invoices", Event.entity_id == str(invoice.id))
    ).one()
    assert event.customer_id == invoice.customer_id
    assert event.payload["invoice_number"] == invoice.invoice_number
    assert event.payload["amount_minor"] == invoice.amount_minor
    assert event.payload["issue_date"] == invoice.issue_date.isoformat()
    assert event.payload["version"] == 1
    assert len(event.event_id) == 32
    occurred = list(session.scalars(select(Event.occurred_at).order_by(Event.id)))
    assert occurred == sorted(occurred)


def test_the_load_is_audited_once(session: Session) -> None:
    summary = _load(session)
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "demo_load")).all()
    assert len(entries) == 1
    assert entries[0].actor_username == "test"
    assert entries[0].after is not None
    assert entries[0].after["rows"]["invoices"] == summary.counts["invoices"]
    assert _count(session, "audit_log") == 1 + len(demo_service.DEMO_USERS)


def test_one_demo_user_per_role_signs_in_with_the_password_shown(session: Session) -> None:
    summary = _load(session)
    assert {user.role for user in summary.users} == set(Role)
    for user in summary.users:
        assert auth_service.authenticate(session, username=user.username, password=user.password)
    sales = auth_service.get_user(session, demo_service.OWNER_USERNAME)
    owners = Counter(session.scalars(select(tables.Customer.owner_id)))
    assert set(owners) == {sales.id, None}
    assert owners[sales.id] == -(-summary.counts["customers"] // SALES_BOOK_EVERY)


def test_sudden_defaults_carry_far_more_arrears_past_90_days_than_healthy_customers(
    session: Session,
) -> None:
    _load(session)
    profiles = _profiles(session)
    outstanding: dict[str, int] = defaultdict(int)
    past_90: dict[str, int] = defaultdict(int)
    rows = session.execute(
        select(Invoice.customer_id, Invoice.due_date, Invoice.outstanding_minor).where(
            Invoice.outstanding_minor > 0
        )
    )
    for customer_id, due_date, amount in rows:
        profile = profiles[customer_id]
        outstanding[profile] += amount
        if (AS_OF - due_date).days >= 90:
            past_90[profile] += amount
    defaulted = past_90[Profile.SUDDEN_DEFAULT] / outstanding[Profile.SUDDEN_DEFAULT]
    healthy = past_90[Profile.HEALTHY] / outstanding[Profile.HEALTHY]
    assert defaulted > 0.8
    assert healthy < 0.05


def test_deteriorating_customers_pay_later_in_the_last_six_months_than_in_their_first_year(
    session: Session,
) -> None:
    _load(session)
    profiles = _profiles(session)
    rows = session.execute(
        select(Invoice.customer_id, Invoice.due_date, Payment.paid_on)
        .join(PaymentAllocation, PaymentAllocation.invoice_id == Invoice.id)
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
    )
    first_year_end = date(AS_OF.year - 2, AS_OF.month, AS_OF.day)
    recent_start = AS_OF - timedelta(days=182)
    early: list[int] = []
    recent: list[int] = []
    for customer_id, due_date, paid_on in rows:
        if profiles[customer_id] != Profile.SLOWLY_DETERIORATING:
            continue
        days_past_due = (paid_on - due_date).days
        if paid_on < first_year_end:
            early.append(days_past_due)
        elif paid_on >= recent_start:
            recent.append(days_past_due)
    assert early
    assert recent
    assert sum(recent) / len(recent) > 2 * sum(early) / len(early) + 15


def test_is_empty_until_the_demo_is_loaded(session: Session) -> None:
    assert demo_service.is_empty(session)
    _load(session, customers=5)
    assert not demo_service.is_empty(session)


def test_loading_twice_with_another_seed_appends_without_clashes(session: Session) -> None:
    first = _load(session, customers=20, seed=1)
    second = _load(session, customers=20, seed=2)
    assert len(first.users) == len(Role)
    assert second.users == ()  # the demo users exist already
    for table_name in ("customers", "invoices", "payments", "demo_profiles"):
        assert _count(session, table_name) == first.counts[table_name] + second.counts[table_name]
    seeds = list(session.scalars(select(tables.DemoProfile.seed).distinct()))
    assert sorted(seeds) == [1, 2]
    assert len(set(session.scalars(select(Event.event_id)))) == first.events + second.events


def test_rows_created_after_the_load_get_fresh_ids(session: Session) -> None:
    _load(session, customers=10)
    highest = session.scalar(select(func.max(tables.Customer.id)))
    assert highest is not None
    customer = tables.Customer(uscc=make_uscc(9_000_001), name="后来客户有限公司")
    session.add(customer)
    session.flush()
    assert customer.id > highest


def test_a_failed_load_leaves_nothing_behind(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the outbox is unavailable")

    monkeypatch.setattr(recorders, "record_bulk_load", fail)
    with (
        pytest.raises(RuntimeError, match="outbox"),
        database.session_scope(actor=ADMIN) as session,
    ):
        _load(session, customers=5)
    with database.session_scope(actor=ADMIN) as session:
        for table_name in ("customers", "invoices", "users", "events", "audit_log"):
            assert _count(session, table_name) == 0, table_name


def test_only_administrators_may_load_the_demo(session: Session) -> None:
    analyst = Actor(user_id=None, username="alice", role=Role.CREDIT_ANALYST)
    with pytest.raises(PermissionDenied):
        demo_service.load_demo(session, analyst, customers=5, seed=1, as_of=AS_OF)
