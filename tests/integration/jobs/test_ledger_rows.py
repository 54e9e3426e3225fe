"""A stream job reads its customers' ledgers once (``fengkong.ledger_rows``) and scoring, the
monitoring facts and the exposure snapshots derive their rows from that read: each must come out
exactly as its own SELECTs give it, on a book with every filter's edge cases."""

from __future__ import annotations

import dataclasses
from datetime import date

import polars as pl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.customers.models import Customer
from fengkong.exposure import service as exposure_service
from fengkong.exposure.models import ExposureSnapshot
from fengkong.kit.money import Money
from fengkong.kit.time import utcnow
from fengkong.ledger_rows import LedgerRows, read_ledger_rows
from fengkong.legal_events.kinds import LegalEventType
from fengkong.monitoring import facts
from fengkong.orders.status import OrderStatus
from fengkong.receivables.status import InvoiceStatus
from fengkong.risk.ledgers import load_ledgers
from fengkong.risk.models import QualitativeAssessment, QualitativeQuestion
from fengkong.scoring.context import ContextTables
from fengkong.scoring.features import compute_features
from tests import factories

SYSTEM = Actor.system("test")
AS_OF = date(2026, 6, 30)
LATER = date(2026, 8, 1)


def _book(customer: Customer, *, other: Customer) -> None:
    """Every filter's edge: cancelled, archived, written-off, foreign-currency and later-dated
    records, part-paid invoices, a payment of ``customer`` allocated to ``other``'s invoice."""
    usd = Money.of("800.00", "USD")
    paid = factories.invoice(customer_id=customer.id, issue_date=date(2026, 1, 10))
    part = factories.invoice(
        customer_id=customer.id,
        issue_date=date(2026, 4, 2),
        outstanding=Money.of("600.00", "CNY"),
    )
    factories.invoice(customer_id=customer.id, issue_date=date(2026, 5, 20))
    factories.invoice(
        customer_id=customer.id, issue_date=date(2026, 6, 1), amount=usd, outstanding=usd
    )
    factories.invoice(customer_id=customer.id, issue_date=LATER)
    factories.invoice(customer_id=customer.id, status=InvoiceStatus.CANCELLED)
    factories.invoice(customer_id=customer.id, status=InvoiceStatus.WRITTEN_OFF)
    factories.invoice(customer_id=customer.id, archived_at=utcnow())
    factories.invoice(customer_id=customer.id, issue_date=date(2024, 1, 5))
    theirs = factories.invoice(customer_id=other.id, issue_date=date(2026, 3, 3))
    payment = factories.payment(
        customer_id=customer.id, paid_on=date(2026, 2, 5), amount=Money.of("1500.00", "CNY")
    )
    factories.allocation(payment_id=payment.id, invoice_id=paid.id, amount_minor=100_000)
    factories.allocation(payment_id=payment.id, invoice_id=theirs.id, amount_minor=20_000)
    late = factories.payment(customer_id=customer.id, paid_on=LATER)
    factories.allocation(payment_id=late.id, invoice_id=part.id, amount_minor=40_000)
    factories.payment(customer_id=customer.id, archived_at=utcnow())
    for status in OrderStatus:
        factories.order(customer_id=customer.id, ordered_on=date(2026, 6, 10), status=status)
    factories.order(customer_id=customer.id, ordered_on=LATER)
    factories.order(customer_id=customer.id, ordered_on=date(2026, 2, 1), amount=usd)
    factories.order(customer_id=customer.id, ordered_on=date(2025, 1, 1))
    factories.financial_statement(
        customer_id=customer.id, published_on=date(2025, 4, 30), period_end=date(2024, 12, 31)
    )
    factories.financial_statement(customer_id=customer.id, published_on=date(2026, 4, 30))
    factories.financial_statement(
        customer_id=customer.id, published_on=LATER, period_end=date(2026, 6, 30)
    )
    factories.financial_statement(
        customer_id=customer.id, archived_at=utcnow(), period_end=date(2025, 6, 30)
    )
    factories.credit_report(customer_id=customer.id, report_date=date(2026, 1, 1), rating="AA")
    factories.credit_report(customer_id=customer.id, report_date=date(2026, 5, 1), rating="BBB")
    factories.credit_report(customer_id=customer.id, report_date=LATER, rating="C")
    factories.legal_event(
        customer_id=customer.id,
        event_type=LegalEventType.DISHONEST_DEBTOR,
        occurred_on=date(2026, 5, 1),
        resolved_on=date(2026, 7, 15),
    )
    factories.legal_event(customer_id=customer.id, occurred_on=date(2026, 3, 1), amount=usd)
    factories.legal_event(customer_id=customer.id, occurred_on=LATER)


@pytest.fixture
def book(session: Session) -> tuple[list[int], LedgerRows]:
    """Two customers of a job (one archived), a related party outside it, and a customer not
    asked; the job's shared read."""
    customer = factories.customer(registered_capital=Money.of("5000000", "CNY"))
    archived = factories.customer(archived_at=utcnow())
    party = factories.customer()
    not_asked = factories.customer()
    factories.related_party(customer_id=customer.id, related_customer_id=party.id)
    for who, other in (
        (customer, party),
        (archived, customer),
        (party, customer),
        (not_asked, customer),
    ):
        _book(who, other=other)
    session.add(
        QualitativeAssessment(
            customer_id=customer.id,
            question=QualitativeQuestion.MARKET_REPUTATION,
            answer=4,
            evidence="trade press reports late deliveries",
            assessed_on=date(2026, 3, 1),
            assessed_by="alice",
        )
    )
    session.flush()
    ids = [customer.id, archived.id]
    return ids, read_ledger_rows(session, ids, as_of=AS_OF)


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns)


def test_the_scoring_ledgers_built_from_the_shared_read_match_the_ledgers_read(
    session: Session, book: tuple[list[int], LedgerRows]
) -> None:
    ids, rows = book
    shared = load_ledgers(session, as_of=AS_OF, customer_ids=ids, rows=rows)
    read = load_ledgers(session, as_of=AS_OF, customer_ids=ids)
    for name in (field.name for field in dataclasses.fields(read)):
        mine, theirs = getattr(shared, name), getattr(read, name)
        assert mine.schema == theirs.schema, name
        assert _sorted(mine).equals(_sorted(theirs)), name
        assert not theirs.is_empty() or name == "credit_limits", name
    context = ContextTables.default()
    assert compute_features(shared, AS_OF, context).equals(compute_features(read, AS_OF, context))


def test_the_shared_read_must_be_of_the_customers_and_the_day_scored(
    session: Session, book: tuple[list[int], LedgerRows]
) -> None:
    ids, rows = book
    with pytest.raises(ValueError, match="shared rows"):
        load_ledgers(session, as_of=AS_OF, customer_ids=ids[:1], rows=rows)
    with pytest.raises(ValueError, match="shared rows"):
        load_ledgers(session, as_of=LATER, customer_ids=ids, rows=rows)


def test_the_monitoring_facts_from_the_shared_read_match_the_facts_read(
    session: Session, book: tuple[list[int], LedgerRows]
) -> None:
    ids, rows = book
    profiles = facts.customer_profiles_of(session, ids, rows)
    assert profiles == facts.customer_profiles_of(session, ids)
    assert list(profiles) == ids[:1]  # the archived customer is not evaluated
    shared = facts.load_facts(session, ids[:1], as_of=AS_OF, profiles=profiles, shared=rows)
    read = facts.load_facts(session, ids[:1], as_of=AS_OF, profiles=profiles)
    assert shared == read
    (found,) = read.values()
    # the edges were read: a related party's, legal events, agency ratings
    assert found.related
    assert found.legal_events
    assert found.agency_ratings


def test_the_exposure_snapshots_from_the_shared_read_match_the_snapshots_read(
    session: Session, book: tuple[list[int], LedgerRows]
) -> None:
    ids, rows = book

    def snapshots() -> list[tuple[object, ...]]:
        columns = [
            column
            for column in ExposureSnapshot.__table__.columns
            if column.name not in ("id", "computed_at")
        ]
        return [tuple(row) for row in session.execute(select(*columns).order_by(columns[0]))]

    exposure_service.refresh_exposures(session, SYSTEM, customer_ids=ids, as_of=AS_OF)
    read = snapshots()
    exposure_service.refresh_exposures(session, SYSTEM, customer_ids=ids, as_of=AS_OF, rows=rows)
    assert snapshots() == read
    snapshot = session.get(ExposureSnapshot, ids[0])
    assert snapshot is not None
    assert snapshot.open_receivables_minor
    assert snapshot.open_orders_minor
    assert snapshot.unapplied_payments_minor
