from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.kit.keyset import InvalidCursor
from fengkong.kit.money import Money
from fengkong.receivables import service
from fengkong.receivables.schemas import (
    InvoiceUpdate,
    PaymentAllocations,
    PaymentCreate,
)
from fengkong.receivables.status import InvoiceStatus
from tests import factories

ACTOR = Actor.system("test")


def _allocation(invoice_id: int, amount: str) -> dict[str, object]:
    return {"invoice_id": invoice_id, "amount": {"amount": amount, "currency": "CNY"}}


def test_partial_payments_settle_an_invoice_step_by_step(session: Session) -> None:
    invoice = factories.invoice(amount=Money.of("1000", "CNY"))
    payment = service.record_payment(
        session,
        ACTOR,
        data=PaymentCreate.model_validate(
            {
                "customer_id": invoice.customer_id,
                "payment_reference": "WIRE-1",
                "paid_on": "2026-02-01",
                "amount": {"amount": "1000.00", "currency": "CNY"},
                "allocations": [_allocation(invoice.id, "600.00")],
            }
        ),
    )
    assert (invoice.outstanding, invoice.status) == (Money.of("400", "CNY"), InvoiceStatus.OPEN)

    with pytest.raises(service.DuplicateAllocation):
        service.allocate_payment(
            session,
            ACTOR,
            payment_id=payment.id,
            data=PaymentAllocations.model_validate(
                {"allocations": [_allocation(invoice.id, "400.00")]}
            ),
        )
    lines = service.allocations_of(session, payment_ids=[payment.id])[payment.id]
    assert service.unapplied(payment, lines) == Money.of("400", "CNY")

    service.update_invoice(
        session,
        ACTOR,
        invoice_id=invoice.id,
        data=InvoiceUpdate.model_validate({"amount": {"amount": "600", "currency": "CNY"}}),
    )
    assert (invoice.outstanding, invoice.status) == (Money.of("0", "CNY"), InvoiceStatus.PAID)


def test_a_cursor_only_continues_the_sort_it_was_issued_for(session: Session) -> None:
    customer = factories.customer()
    for day in (1, 2, 3):
        factories.invoice(customer_id=customer.id, due_date=date(2026, 3, day))
    criteria = service.InvoiceFilter(customer_id=customer.id)
    first = service.list_invoices(session, ACTOR, criteria=criteria, page_size=2)
    assert first.next_cursor is not None
    rest = service.list_invoices(
        session, ACTOR, criteria=criteria, page_size=2, after=first.next_cursor
    )
    assert [invoice.due_date.day for invoice in [*first.items, *rest.items]] == [1, 2, 3]
    with pytest.raises(InvalidCursor):
        service.list_invoices(
            session,
            ACTOR,
            criteria=criteria,
            sort=service.InvoiceSort.INVOICE_NUMBER,
            after=first.next_cursor,
        )
