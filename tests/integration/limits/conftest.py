"""Customers with a grade and a statement, set directly, for the limits tests."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.contracts.status import ContractStatus
from fengkong.customers.models import Customer
from fengkong.kit.money import Money
from tests import factories

TODAY = date(2026, 6, 30)
SYSTEM = Actor.system("test")


def cny(amount: str) -> Money:
    return Money.of(amount, "CNY")


def rate(session: Session, customer_id: int, *, grade: str, pd: float = 0.01) -> None:
    factories.rate_customer(session, customer_id, grade=grade, pd=pd, as_of=TODAY)


def graded_customer(session: Session, grade: str = "B") -> Customer:
    """A customer of ``grade`` with the factories' statement (equity 4,500,000, revenue
    12,000,000) and a 60-day contract in force: B recommends 680,000 (675,000 rounded)."""
    customer = factories.customer()
    factories.financial_statement(customer_id=customer.id)
    factories.contract(customer_id=customer.id, status=ContractStatus.ACTIVE, payment_terms_days=60)
    rate(session, customer.id, grade=grade)
    return customer
