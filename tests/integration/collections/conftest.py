"""Hand-made ledgers for the collections tests: a run date and invoices so many days past due."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from fengkong.kit.money import Money
from fengkong.receivables.models import Invoice
from tests import factories

TODAY = date(2026, 6, 30)


def overdue_invoice(
    customer_id: int, days_past_due: int, amount: str = "1000.00", **extra: object
) -> Invoice:
    """An open invoice of ``customer_id`` due ``days_past_due`` days before ``TODAY``."""
    due = TODAY - timedelta(days=days_past_due)
    money = Money.of(amount, str(extra.pop("currency", "CNY")))
    return factories.invoice(
        customer_id=customer_id,
        issue_date=due - timedelta(days=30),
        due_date=due,
        amount=money,
        outstanding=extra.pop("outstanding", money),
        **extra,
    )


def rate(session: Session, customer_id: int, *, grade: str, pd: float) -> None:
    factories.rate_customer(session, customer_id, grade=grade, pd=pd, as_of=TODAY)
