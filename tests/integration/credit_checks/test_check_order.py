"""The order credit check on hand-built ledgers (SQLite and PostgreSQL): decisions, exposure
before and after, idempotency by order number, re-checks, and the fairness rules. Amounts in
yuan; the shipped rule set decides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fengkong.credit_checks import service
from fengkong.credit_checks.models import CreditCheck, CreditHold
from fengkong.credit_checks.rules import BlockFact
from fengkong.credit_checks.service import CheckRequest, OrderOfAnotherCustomer
from fengkong.credit_checks.status import Decision, HoldStatus, Stage
from fengkong.exposure import service as exposure_service
from fengkong.exposure.models import InvoiceDispute
from fengkong.exposure.status import DisputeStatus
from fengkong.kit.money import Money
from fengkong.orders.models import Order
from fengkong.orders.status import OrderStatus
from fengkong.receivables.models import Invoice
from tests import factories
from tests.integration.credit_checks.conftest import DAY, ERP, World, run_check

NOT_DUE = DAY + timedelta(days=20)


def _customer_owing(yuan: str, *, due=NOT_DUE) -> int:  # type: ignore[no-untyped-def]
    customer = factories.customer()
    factories.invoice(
        customer_id=customer.id,
        issue_date=due - timedelta(days=30),
        due_date=due,
        amount=Money.of(yuan, "CNY"),
    )
    return customer.id


def _order(session: Session, number: str) -> Order:
    return session.scalars(select(Order).where(Order.order_number == number)).one()


def _checks(session: Session, number: str) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(CreditCheck).where(CreditCheck.order_number == number)
        )
        or 0
    )


def test_an_order_within_the_limit_is_approved_and_counts_in_exposure_at_once(
    session: Session, world: World
) -> None:
    customer_id = _customer_owing("60000.00")
    world.limit(customer_id, "100000.00")

    answer = run_check(session, customer_id, "SO-1", "30000.00")

    check = answer.check
    assert (check.decision, answer.replayed, answer.hold) == (Decision.APPROVE, False, None)
    assert check.exposure_before_minor == 6_000_000
    assert check.exposure_after_minor == 9_000_000
    assert (check.limit_minor, check.available_credit_minor) == (10_000_000, 4_000_000)
    order = _order(session, "SO-1")
    assert (order.amount_minor, order.status, order.ordered_on) == (
        3_000_000,
        OrderStatus.OPEN,
        DAY,
    )
    assert check.order_id == order.id
    assert (
        exposure_service.credit_exposure_fast(session, customer_id, as_of=DAY).open_orders
        == 3_000_000
    )
    # The next order sees the first one: 60,000 + 30,000 + 15,000 > 100,000.
    second = run_check(session, customer_id, "SO-2", "15000.00").check
    assert (second.decision, second.exposure_before_minor) == (Decision.HOLD, 9_000_000)


def test_the_same_order_asked_twice_gets_the_stored_answer_and_no_new_row(
    session: Session, world: World
) -> None:
    customer_id = _customer_owing("60000.00")
    world.limit(customer_id, "100000.00")
    first = run_check(session, customer_id, "SO-1", "30000.00")

    again = run_check(session, customer_id, "SO-1", "30000.00")

    assert again.replayed
    assert again.check.id == first.check.id
    assert _checks(session, "SO-1") == 1
    assert _order(session, "SO-1").amount_minor == 3_000_000


def test_a_changed_amount_is_checked_again_counting_the_order_once(
    session: Session, world: World
) -> None:
    customer_id = _customer_owing("60000.00")
    world.limit(customer_id, "100000.00")
    run_check(session, customer_id, "SO-1", "30000.00")

    raised = run_check(session, customer_id, "SO-1", "35000.00")
    too_much = run_check(session, customer_id, "SO-1", "45000.00")

    assert not raised.replayed
    assert (raised.check.decision, raised.check.exposure_before_minor) == (
        Decision.APPROVE,
        6_000_000,
    )
    assert too_much.check.decision is Decision.HOLD
    assert too_much.check.exposure_after_minor == 10_500_000
    assert _checks(session, "SO-1") == 3
    # The held increase does not count; the approved 35,000 still does.
    assert _order(session, "SO-1").amount_minor == 3_500_000


def test_an_approved_order_reduced_in_value_keeps_its_approval_without_a_new_evaluation(
    session: Session, world: World
) -> None:
    customer_id = _customer_owing("60000.00")
    world.limit(customer_id, "100000.00")
    run_check(session, customer_id, "SO-1", "30000.00")
    world.limit(customer_id, "1000.00")  # the limit was cut since

    reduced = run_check(session, customer_id, "SO-1", "20000.00").check

    assert reduced.decision is Decision.APPROVE
    assert [reason["code"] for reason in reduced.reasons] == ["order_value_reduced"]
    assert _order(session, "SO-1").amount_minor == 2_000_000


def test_an_order_beyond_the_limit_is_held_with_the_excess_and_a_release_task(
    session: Session, world: World
) -> None:
    customer_id = _customer_owing("60000.00")
    world.limit(customer_id, "100000.00")

    answer = run_check(session, customer_id, "SO-1", "50000.00")

    assert answer.check.decision is Decision.HOLD
    blocking = [r for r in answer.check.reasons if r["outcome"] == "block"]
    assert [(r["step"], r["code"], r["values"]["excess"]) for r in blocking] == [
        ("static_limit", "limit_exceeded", 1_000_000)
    ]
    assert answer.hold is not None
    assert (answer.hold.status, answer.hold.amount_minor, answer.hold.requested_by) == (
        HoldStatus.OPEN,
        5_000_000,
        "erp",
    )
    assert session.scalar(select(func.count()).select_from(Order)) == 0


def test_a_payment_received_but_not_applied_reduces_exposure(
    session: Session, world: World
) -> None:
    customer_id = _customer_owing("60000.00")
    factories.payment(customer_id=customer_id, paid_on=DAY, amount=Money.of("20000.00", "CNY"))
    world.limit(customer_id, "100000.00")

    check = run_check(session, customer_id, "SO-1", "50000.00").check

    assert (check.exposure_before_minor, check.decision) == (4_000_000, Decision.APPROVE)


def test_a_disputed_invoice_counts_in_exposure_but_not_in_the_overdue_rules(
    session: Session, world: World
) -> None:
    customer_id = _customer_owing("10000.00", due=DAY - timedelta(days=45))
    world.limit(customer_id, "100000.00")
    world.classes[customer_id] = "high"  # oldest open item: at most 30 days past due
    held = run_check(session, customer_id, "SO-1", "1000.00").check
    invoice_id = session.scalars(select(Invoice.id).where(Invoice.customer_id == customer_id)).one()
    session.add(
        InvoiceDispute(
            invoice_id=invoice_id,
            customer_id=customer_id,
            amount=Money.of("10000.00", "CNY"),
            reason="wrong quantity delivered",
            status=DisputeStatus.OPEN,
            opened_on=DAY,
            opened_by="test",
        )
    )
    session.flush()

    approved = run_check(session, customer_id, "SO-2", "1000.00").check

    assert held.decision is Decision.HOLD
    assert {r["code"] for r in held.reasons if r["outcome"] == "block"} == {
        "open_item_too_old",
        "overdue_share_too_high",
    }
    assert approved.decision is Decision.APPROVE
    assert approved.exposure_before_minor == 1_000_000


def test_a_tiny_overdue_residue_does_not_hold_an_order(session: Session, world: World) -> None:
    customer_id = _customer_owing("300.00", due=DAY - timedelta(days=90))
    factories.invoice(
        customer_id=customer_id,
        issue_date=DAY,
        due_date=NOT_DUE,
        amount=Money.of("50000.00", "CNY"),
    )
    world.limit(customer_id, "100000.00")
    world.classes[customer_id] = "high"

    check = run_check(session, customer_id, "SO-1", "1000.00").check

    assert check.decision is Decision.APPROVE
    assert check.facts["oldest_days_past_due"] == 90


def test_a_promise_to_pay_softens_the_overdue_rules(session: Session, world: World) -> None:
    customer_id = _customer_owing("10000.00", due=DAY - timedelta(days=40))
    world.limit(customer_id, "100000.00")
    world.classes[customer_id] = "high"
    before = run_check(session, customer_id, "SO-1", "1000.00").check
    world.promises[customer_id] = Money.of("9800.00", "CNY").minor_units

    after = run_check(session, customer_id, "SO-2", "1000.00").check

    assert before.decision is Decision.HOLD
    assert after.decision is Decision.APPROVE  # 200 left overdue, below the 500 minimum
    assert after.facts["promised"] == 980_000


def test_a_blocked_customer_is_held_and_stop_shipping_only_from_delivery_on(
    session: Session, world: World
) -> None:
    customer_id = _customer_owing("1000.00")
    world.limit(customer_id, "100000.00")
    world.blocks[customer_id] = (BlockFact("stop_shipping", "60+ days past due", "rule:dpd60"),)

    order = run_check(session, customer_id, "SO-1", "1000.00").check
    delivery = run_check(session, customer_id, "SO-1", "1000.00", stage=Stage.DELIVERY).check
    world.blocks[customer_id] = (BlockFact("credit_block", "fraud suspicion", "manual"),)
    blocked = run_check(session, customer_id, "SO-2", "1000.00").check

    assert order.decision is Decision.APPROVE
    assert delivery.decision is Decision.HOLD
    assert blocked.decision is Decision.HOLD
    assert blocked.reasons[0]["values"]["blocks"][0]["reason"] == "fraud suspicion"


def test_a_stage_the_rules_do_not_check_is_approved_and_still_counted(
    session: Session, world: World
) -> None:
    customer_id = _customer_owing("1000.00")

    check = run_check(session, customer_id, "Q-1", "999999.00", stage=Stage.QUOTATION).check

    assert check.decision is Decision.APPROVE
    assert [r["code"] for r in check.reasons] == ["stage_not_checked"]


def test_a_recheck_supersedes_the_orders_open_hold(session: Session, world: World) -> None:
    customer_id = _customer_owing("60000.00")
    world.limit(customer_id, "100000.00")
    held = run_check(session, customer_id, "SO-1", "50000.00")

    run_check(session, customer_id, "SO-1", "40000.00")

    assert held.hold is not None
    assert session.get(CreditHold, held.hold.id).status is HoldStatus.SUPERSEDED  # type: ignore[union-attr]
    assert _order(session, "SO-1").amount_minor == 4_000_000


def test_an_order_number_of_another_customer_is_refused(session: Session, world: World) -> None:
    first = _customer_owing("1000.00")
    second = _customer_owing("1000.00")
    world.limit(first, "100000.00")
    run_check(session, first, "SO-1", "1000.00")

    with pytest.raises(OrderOfAnotherCustomer):
        run_check(session, second, "SO-1", "1000.00")


def test_an_archived_customer_named_by_id_or_uscc_is_rejected_and_nothing_is_booked(
    session: Session, world: World
) -> None:
    customer = factories.customer()
    world.limit(customer.id, "100000.00")
    customer.archived_at = datetime.now(UTC)
    session.flush()

    by_id = run_check(session, customer.id, "SO-ARCH-1", "100.00").check
    by_uscc = service.check_order(
        session,
        ERP,
        request=CheckRequest(
            order_number="SO-ARCH-2",
            amount=Money.of("100.00", "CNY"),
            customer_uscc=customer.uscc,
        ),
        today=DAY,
    ).check

    for check in (by_id, by_uscc):
        assert (check.decision, check.customer_id) == (Decision.REJECT, customer.id)
        assert [reason["code"] for reason in check.reasons] == ["customer_archived"]
    assert session.scalar(select(func.count()).where(Order.customer_id == customer.id)) == 0
