"""The customer page's payment behaviour: days past due month by month, on a hand-built ledger."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.kit.money import Money
from fengkong.receivables import service
from fengkong.receivables.status import InvoiceStatus
from fengkong.records import archive
from tests import factories

ACTOR = Actor.system("test")


def cny(amount: str) -> Money:
    return Money.of(amount, "CNY")


def test_each_month_weighs_payments_made_in_it_and_what_is_overdue_at_its_end(
    session: Session,
) -> None:
    customer = factories.customer()
    paid_late = factories.invoice(
        customer_id=customer.id,
        issue_date=date(2026, 1, 1),
        due_date=date(2026, 1, 31),
        amount=cny("1000.00"),
        outstanding=cny("0"),
        status=InvoiceStatus.PAID,
    )
    payment = factories.payment(
        customer_id=customer.id, paid_on=date(2026, 2, 10), amount=cny("1000.00")
    )
    factories.allocation(payment_id=payment.id, invoice_id=paid_late.id, amount_minor=1000_00)
    factories.invoice(
        customer_id=customer.id,
        issue_date=date(2026, 2, 1),
        due_date=date(2026, 3, 3),
        amount=cny("3000.00"),
    )
    # Neither a cancelled nor an archived invoice counts, however overdue.
    factories.invoice(
        customer_id=customer.id,
        issue_date=date(2025, 12, 1),
        due_date=date(2025, 12, 31),
        amount=cny("9000.00"),
        status=InvoiceStatus.CANCELLED,
    )
    archive(
        factories.invoice(
            customer_id=customer.id,
            issue_date=date(2025, 12, 1),
            due_date=date(2025, 12, 31),
            amount=cny("9000.00"),
        )
    )
    session.flush()
    months = service.payment_history(
        session, ACTOR, customer_id=customer.id, as_of=date(2026, 4, 20), months=4
    )
    assert [(m.month_end, m.weighted_dpd, m.max_dpd) for m in months] == [
        (date(2026, 1, 31), None, None),
        (date(2026, 2, 28), 10.0, 10),  # paid ten days late; the second invoice not yet due
        (date(2026, 3, 31), 28.0, 28),  # nothing paid; 3,000 open 28 days past due
        (date(2026, 4, 20), 48.0, 48),  # the last month runs to the as-of day
    ]


def test_amounts_weigh_the_average_but_not_the_worst(session: Session) -> None:
    customer = factories.customer()
    small = factories.invoice(
        customer_id=customer.id,
        issue_date=date(2026, 4, 1),
        due_date=date(2026, 4, 10),
        amount=cny("100.00"),
    )
    large = factories.invoice(
        customer_id=customer.id,
        issue_date=date(2026, 4, 1),
        due_date=date(2026, 4, 30),
        amount=cny("900.00"),
    )
    for invoice, paid_on in ((small, date(2026, 5, 10)), (large, date(2026, 5, 10))):
        payment = factories.payment(customer_id=customer.id, paid_on=paid_on, amount=invoice.amount)
        factories.allocation(
            payment_id=payment.id, invoice_id=invoice.id, amount_minor=invoice.amount_minor
        )
    (may,) = service.payment_history(
        session, ACTOR, customer_id=customer.id, as_of=date(2026, 5, 31), months=1
    )
    # 100 paid 30 days late and 900 paid 10 days late: (100×30 + 900×10) / 1,000 = 12 days.
    assert (may.weighted_dpd, may.max_dpd) == (12.0, 30)


def test_a_customer_without_invoices_has_months_with_nothing_observed(session: Session) -> None:
    customer = factories.customer()
    months = service.payment_history(
        session, ACTOR, customer_id=customer.id, as_of=date(2026, 12, 6)
    )
    assert len(months) == service.PAYMENT_HISTORY_MONTHS
    assert months[0].month_end == date(2025, 1, 31)
    assert months[-1].month_end == date(2026, 12, 6)
    assert all(m.weighted_dpd is None and m.max_dpd is None for m in months)
