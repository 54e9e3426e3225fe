"""Customers with a grade and a statement, set directly, for the limits tests."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.contracts.status import ContractStatus
from fengkong.customers.models import Customer
from fengkong.kit.money import Money
from fengkong.risk import configs
from fengkong.risk.models import CustomerRating, RiskScore, ScoreTrigger
from tests import factories

TODAY = date(2026, 6, 30)
SYSTEM = Actor.system("test")


def cny(amount: str) -> Money:
    return Money.of(amount, "CNY")


def rate(session: Session, customer_id: int, *, grade: str, pd: float = 0.01) -> None:
    """Give the customer a current rating without scoring it."""
    active = configs.ensure_active(session, SYSTEM)
    score = RiskScore(
        customer_id=customer_id,
        as_of=TODAY,
        score=500.0,
        grade=grade,
        risk_level="medium",
        pd=pd,
        scorecard_version_id=active.scorecard_row.id,
        grade_scale_version_id=active.scale_row.id,
        inputs_hash="0" * 64,
        factors=[],
        reasons=[],
        trigger=ScoreTrigger.MANUAL,
        computed_by="test",
    )
    session.add(score)
    session.flush()
    session.add(
        CustomerRating(
            customer_id=customer_id,
            risk_score_id=score.id,
            score=500.0,
            grade=grade,
            pd=pd,
            as_of=TODAY,
        )
    )
    session.flush()


def graded_customer(session: Session, grade: str = "B") -> Customer:
    """A customer of ``grade`` with the factories' statement (equity 4,500,000, revenue
    12,000,000) and a 60-day contract in force: B recommends 680,000 (675,000 rounded)."""
    customer = factories.customer()
    factories.financial_statement(customer_id=customer.id)
    factories.contract(customer_id=customer.id, status=ContractStatus.ACTIVE, payment_terms_days=60)
    rate(session, customer.id, grade=grade)
    return customer
