"""The check with the real facts of the other areas: the limit in force and blocks from
``limits``, promises to pay from ``collections``, the risk class from the limit policy."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from fengkong.collections.models import PromiseToPay
from fengkong.collections.status import PromiseStatus
from fengkong.credit_checks.status import Decision
from fengkong.kit.money import Money
from fengkong.limits.models import CreditBlock, CreditLimit
from fengkong.limits.status import BlockKind, BlockSource, BlockStatus, LimitKind, LimitStatus
from tests import factories
from tests.integration.credit_checks.conftest import DAY, run_check


def _unrated_customer(session: Session, *, owed: str, due: date) -> int:
    customer = factories.customer()
    factories.invoice(
        customer_id=customer.id,
        issue_date=due - timedelta(days=30),
        due_date=due,
        amount=Money.of(owed, "CNY"),
    )
    session.add(
        CreditLimit(
            customer_id=customer.id,
            kind=LimitKind.PERMANENT,
            amount=Money.of("100000.00", "CNY"),
            valid_from=date(2026, 1, 1),
            status=LimitStatus.ACTIVE,
            granted_by="test",
        )
    )
    session.flush()
    return customer.id


def test_the_limit_in_force_and_the_risk_class_come_from_the_limits_area(session: Session) -> None:
    customer_id = _unrated_customer(session, owed="60000.00", due=DAY + timedelta(days=10))

    approved = run_check(session, customer_id, "SO-1", "30000.00").check
    held = run_check(session, customer_id, "SO-2", "30000.00").check

    assert (approved.decision, approved.risk_class, approved.limit_minor) == (
        Decision.APPROVE,
        "unrated",
        10_000_000,
    )
    assert (held.decision, held.exposure_before_minor) == (Decision.HOLD, 9_000_000)


def test_a_promise_to_pay_recorded_in_collections_softens_the_overdue_rules(
    session: Session,
) -> None:
    customer_id = _unrated_customer(session, owed="10000.00", due=DAY - timedelta(days=40))
    before = run_check(session, customer_id, "SO-1", "1000.00").check
    session.add(
        PromiseToPay(
            customer_id=customer_id,
            amount=Money.of("9800.00", "CNY"),
            promised_on=DAY,
            due_on=DAY + timedelta(days=7),
            status=PromiseStatus.OPEN,
            recorded_by="test",
        )
    )
    session.flush()

    after = run_check(session, customer_id, "SO-2", "1000.00").check

    assert before.decision is Decision.HOLD
    assert (after.decision, after.facts["promised"]) == (Decision.APPROVE, 980_000)


def test_a_manual_credit_block_in_the_limits_area_holds_the_order_for_release(
    session: Session,
) -> None:
    customer_id = _unrated_customer(session, owed="1000.00", due=DAY + timedelta(days=10))
    session.add(
        CreditBlock(
            customer_id=customer_id,
            kind=BlockKind.CREDIT_BLOCK,
            reason="公司涉嫌欺诈",
            source=BlockSource.MANUAL,
            status=BlockStatus.ACTIVE,
            set_by="test",
        )
    )
    session.flush()

    check = run_check(session, customer_id, "SO-1", "1000.00").check

    assert check.decision is Decision.HOLD
    assert check.reasons[0]["values"]["blocks"] == [
        {"kind": "credit_block", "reason": "公司涉嫌欺诈", "source": "manual"}
    ]
