from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.collections import service
from fengkong.collections.models import PromiseToPay
from fengkong.collections.schemas import PromiseCreate
from fengkong.collections.status import PromiseStatus
from fengkong.errors import ValidationFailed
from fengkong.kit.amounts import PositiveMoneyIn
from fengkong.kit.money import Money
from tests import factories
from tests.integration.collections.conftest import TODAY, overdue_invoice
from tests.personas import Personas

SYSTEM = Actor.system("test")
PROMISED_ON = date(2026, 6, 20)
DUE_ON = date(2026, 6, 25)  # judged after 2026-06-28 (3 grace days)


def promise(
    session: Session, customer_id: int, amount: str, *, invoice_id: int | None = None
) -> PromiseToPay:
    return service.record_promise(
        session,
        SYSTEM,
        customer_id=customer_id,
        data=PromiseCreate(
            invoice_id=invoice_id,
            amount=PositiveMoneyIn(amount=amount, currency="CNY"),
            promised_on=PROMISED_ON,
            due_on=DUE_ON,
        ),
    )


def pay(customer_id: int, amount: str, on: date, invoice_id: int | None = None) -> None:
    payment = factories.payment(customer_id=customer_id, paid_on=on, amount=Money.of(amount, "CNY"))
    if invoice_id is not None:
        factories.allocation(
            payment_id=payment.id,
            invoice_id=invoice_id,
            amount_minor=Money.of(amount, "CNY").minor_units,
        )


def test_a_promise_paid_in_full_by_its_due_date_is_kept(session: Session) -> None:
    customer = factories.customer()
    invoice = overdue_invoice(customer.id, 20, "5000.00")
    kept = promise(session, customer.id, "3000.00", invoice_id=invoice.id)
    pay(customer.id, "1000.00", date(2026, 6, 21), invoice.id)
    pay(customer.id, "2000.00", date(2026, 6, 27), invoice.id)  # within the grace days
    review = service.review_promises(session, SYSTEM, today=TODAY)
    assert review.kept == (kept.id,)
    assert kept.status is PromiseStatus.KEPT
    assert kept.paid_minor == 300_000
    assert kept.resolved_on == TODAY


def test_a_promise_short_of_payment_after_the_grace_days_is_broken(session: Session) -> None:
    customer = factories.customer()
    invoice = overdue_invoice(customer.id, 20, "5000.00")
    broken = promise(session, customer.id, "3000.00", invoice_id=invoice.id)
    pay(customer.id, "500.00", date(2026, 6, 19), invoice.id)  # before the promise: not counted
    pay(customer.id, "2999.99", date(2026, 6, 24), invoice.id)
    pay(customer.id, "100.00", date(2026, 6, 29), invoice.id)  # after the grace days
    assert service.review_promises(session, SYSTEM, today=date(2026, 6, 28)).broken == ()
    review = service.review_promises(session, SYSTEM, today=TODAY)
    assert review.broken == (broken.id,)
    assert broken.status is PromiseStatus.BROKEN
    assert broken.paid_minor == 299_999


def test_a_customer_promise_counts_every_payment_of_the_customer(session: Session) -> None:
    customer = factories.customer()
    overdue_invoice(customer.id, 20, "5000.00")
    kept = promise(session, customer.id, "1500.00")
    pay(customer.id, "1500.00", date(2026, 6, 22))  # unapplied cash counts too
    assert service.review_promises(session, SYSTEM, today=date(2026, 6, 23)).kept == (kept.id,)


def test_promised_amount_sums_open_promises_due_from_the_date_on(session: Session) -> None:
    customer = factories.customer()
    first = promise(session, customer.id, "1000.00")
    promise(session, customer.id, "250.50")
    assert service.promised_amount(session, customer.id, on=DUE_ON) == 125_050
    assert service.promised_amount(session, customer.id, on=DUE_ON + timedelta(days=1)) == 0
    service.cancel_promise(session, SYSTEM, promise_id=first.id, reason="客户改期")
    assert service.promised_amount(session, customer.id, on=DUE_ON) == 25_050


def test_a_promise_for_another_customers_invoice_is_refused(session: Session) -> None:
    customer, other = factories.customer(), factories.customer()
    invoice = overdue_invoice(other.id, 5)
    with pytest.raises(ValidationFailed) as raised:
        promise(session, customer.id, "100.00", invoice_id=invoice.id)
    assert raised.value.details[0]["field"] == "invoice_id"


def test_a_promise_due_before_it_is_made_is_refused(session: Session) -> None:
    customer = factories.customer()
    with pytest.raises(ValidationFailed) as raised:
        service.record_promise(
            session,
            SYSTEM,
            customer_id=customer.id,
            data=PromiseCreate(
                amount=PositiveMoneyIn(amount="1", currency="CNY"),
                promised_on=DUE_ON,
                due_on=PROMISED_ON,
            ),
        )
    assert raised.value.details[0]["field"] == "due_on"


def test_sales_may_record_a_promise(session: Session, personas: Personas) -> None:
    customer = factories.customer()
    recorded = service.record_promise(
        session,
        personas.sam_sales.actor,
        customer_id=customer.id,
        data=PromiseCreate(
            amount=PositiveMoneyIn(amount="1", currency="CNY"),
            due_on=DUE_ON,
            promised_on=PROMISED_ON,
        ),
    )
    assert recorded.recorded_by == "sam_sales"
