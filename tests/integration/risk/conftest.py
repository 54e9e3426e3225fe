"""A customer with a little of everything, so scores have data to read."""

from __future__ import annotations

from datetime import date, timedelta

from fengkong.customers.models import Customer
from tests import factories

AS_OF = date(2026, 6, 30)


def scored_customer(*, late_days: int = 0) -> Customer:
    """A customer with a statement, a credit report, orders and a year of invoices paid
    ``late_days`` after their due dates."""
    customer = factories.customer()
    factories.financial_statement(customer_id=customer.id)
    factories.credit_report(customer_id=customer.id)
    for month in range(12):
        issued = date(2025, 6, 1) + timedelta(days=30 * month)
        factories.order(customer_id=customer.id, ordered_on=issued - timedelta(days=3))
        invoice = factories.invoice(customer_id=customer.id, issue_date=issued)
        paid_on = invoice.due_date + timedelta(days=late_days)
        if paid_on <= AS_OF:
            payment = factories.payment(customer_id=customer.id, paid_on=paid_on)
            factories.allocation(
                payment_id=payment.id, invoice_id=invoice.id, amount_minor=invoice.amount_minor
            )
    return customer
