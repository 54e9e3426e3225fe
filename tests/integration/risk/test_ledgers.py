"""Loading ledgers from the database: point in time, cancelled and archived records, units."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from sqlalchemy.orm import Session

from fengkong.kit.money import Money
from fengkong.kit.time import utcnow
from fengkong.receivables.status import InvoiceStatus
from fengkong.risk import ledgers as ledgers_module
from fengkong.risk.ledgers import load_ledgers
from fengkong.risk.models import QualitativeAssessment, QualitativeQuestion
from tests import factories

AS_OF = date(2026, 3, 31)


def test_records_dated_after_as_of_are_left_out(session: Session) -> None:
    customer = factories.customer()
    known = factories.invoice(customer_id=customer.id, issue_date=date(2026, 1, 10))
    factories.invoice(customer_id=customer.id, issue_date=date(2026, 4, 2))
    early = factories.payment(customer_id=customer.id, paid_on=date(2026, 2, 1))
    late = factories.payment(customer_id=customer.id, paid_on=date(2026, 4, 5))
    factories.allocation(payment_id=early.id, invoice_id=known.id, amount_minor=40_000)
    factories.allocation(payment_id=late.id, invoice_id=known.id, amount_minor=60_000)
    factories.financial_statement(customer_id=customer.id, published_on=date(2026, 3, 30))
    factories.financial_statement(
        customer_id=customer.id,
        period_end=date(2026, 3, 31),
        period_months=3,
        published_on=date(2026, 4, 20),
    )
    factories.order(customer_id=customer.id, ordered_on=date(2026, 4, 1))
    factories.credit_report(customer_id=customer.id, report_date=date(2026, 4, 1))
    factories.legal_event(
        customer_id=customer.id, occurred_on=date(2026, 2, 1), resolved_on=date(2026, 5, 1)
    )
    factories.legal_event(customer_id=customer.id, occurred_on=date(2026, 4, 1))

    ledgers = load_ledgers(session, as_of=AS_OF, customer_ids=[customer.id])

    assert ledgers.invoices["invoice_id"].to_list() == [known.id]
    assert ledgers.allocations["paid_on"].to_list() == [date(2026, 2, 1)]
    assert ledgers.allocations["amount"].to_list() == [400.0]
    assert ledgers.statements["published_on"].to_list() == [date(2026, 3, 30)]
    assert ledgers.orders.is_empty()
    assert ledgers.credit_reports.is_empty()
    assert ledgers.legal_events["occurred_on"].to_list() == [date(2026, 2, 1)]
    assert ledgers.legal_events["resolved_on"].to_list() == [None]  # resolved only later


def test_cancelled_and_archived_records_are_left_out(session: Session) -> None:
    customer = factories.customer()
    kept = factories.invoice(customer_id=customer.id)
    factories.invoice(customer_id=customer.id, status=InvoiceStatus.CANCELLED)
    factories.invoice(customer_id=customer.id, archived_at=utcnow())
    factories.financial_statement(customer_id=customer.id, archived_at=utcnow())

    ledgers = load_ledgers(session, as_of=AS_OF, customer_ids=[customer.id])

    assert ledgers.invoices["invoice_id"].to_list() == [kept.id]
    assert ledgers.statements.is_empty()


def test_amounts_are_major_units_and_only_cny_capital_is_kept(session: Session) -> None:
    in_yuan = factories.customer(registered_capital=Money.of("5000000", "CNY"))
    in_dollars = factories.customer(registered_capital=Money.of("800000", "USD"))
    factories.invoice(customer_id=in_yuan.id, amount=Money.of("1234.56", "CNY"))
    factories.order(customer_id=in_yuan.id, ordered_on=date(2025, 11, 3))

    ledgers = load_ledgers(session, as_of=AS_OF, customer_ids=[in_yuan.id, in_dollars.id])

    capital = dict(ledgers.customers.select("customer_id", "registered_capital").iter_rows())
    assert capital == {in_yuan.id: 5_000_000.0, in_dollars.id: None}
    assert ledgers.invoices["amount"].to_list() == [1234.56]
    first_trade = dict(ledgers.customers.select("customer_id", "first_trade_on").iter_rows())
    assert first_trade == {in_yuan.id: date(2025, 11, 3), in_dollars.id: None}


def test_all_customers_leaves_out_archived_ones_and_reads_qualitative_answers(
    session: Session,
) -> None:
    active = factories.customer()
    factories.customer(archived_at=utcnow())
    session.add(
        QualitativeAssessment(
            customer_id=active.id,
            question=QualitativeQuestion.MARKET_REPUTATION,
            answer=4,
            evidence="trade press reports late deliveries",
            assessed_on=date(2026, 3, 1),
            assessed_by="alice",
        )
    )
    session.flush()

    ledgers = load_ledgers(session, as_of=AS_OF)

    assert ledgers.customers["customer_id"].to_list() == [active.id]
    assert ledgers.qualitative.select("question", "answer").rows() == [("market_reputation", 4)]
    ledgers.validate()


def test_a_few_customers_read_by_plain_select_match_the_bulk_read(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The event consumer's jobs read a few customers by cached SELECTs, not by ``COPY`` (or
    literal SQL on SQLite), and skip the semi-joins a listed read makes pointless: every ledger
    must come out as a listed bulk read and a read of everyone give it — values, types, order."""
    customer = factories.customer(registered_capital=Money.of("5000000", "CNY"))
    other = factories.customer(registered_capital=Money.of("800000", "USD"), archived_at=utcnow())
    not_asked = factories.customer()
    for who in (customer, other, not_asked):
        invoice = factories.invoice(customer_id=who.id, issue_date=date(2026, 1, 10))
        payment = factories.payment(customer_id=who.id, paid_on=date(2026, 2, 1))
        factories.allocation(payment_id=payment.id, invoice_id=invoice.id, amount_minor=40_000)
        factories.financial_statement(customer_id=who.id, published_on=date(2026, 3, 30))
        factories.order(customer_id=who.id, ordered_on=date(2026, 3, 1))
        factories.credit_report(customer_id=who.id, report_date=date(2026, 3, 1))
        factories.legal_event(
            customer_id=who.id, occurred_on=date(2026, 2, 1), resolved_on=date(2026, 3, 1)
        )
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
    wanted = [customer.id, other.id]

    few = load_ledgers(session, as_of=AS_OF, customer_ids=wanted)
    monkeypatch.setattr(ledgers_module, "FEW_CUSTOMERS", 0)
    listed = load_ledgers(session, as_of=AS_OF, customer_ids=wanted)
    monkeypatch.setattr(ledgers_module, "MAX_LISTED_CUSTOMERS", 0)
    everyone = load_ledgers(session, as_of=AS_OF, customer_ids=wanted)

    assert few.customers["customer_id"].to_list() == wanted
    for name in (field.name for field in dataclasses.fields(few)):
        assert not getattr(few, name).is_empty() or name == "credit_limits", name
        for bulk in (listed, everyone):
            assert getattr(few, name).equals(getattr(bulk, name)), name
            assert getattr(few, name).schema == getattr(bulk, name).schema, name
