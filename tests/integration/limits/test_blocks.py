"""Credit blocks: set and released by hand, set and lifted by the block rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from fengkong.errors import PermissionDenied, ValidationFailed
from fengkong.limits import service
from fengkong.limits.status import BlockKind, BlockStatus, Decision, RequestKind
from fengkong.orders.status import OrderStatus
from fengkong.receivables.models import Invoice
from fengkong.receivables.status import InvoiceStatus
from fengkong.risk.models import CustomerRating
from tests import factories
from tests.integration.limits.conftest import TODAY, cny, graded_customer, rate
from tests.personas import Personas


def test_a_manual_block_is_set_and_released_with_reasons(
    session: Session, personas: Personas
) -> None:
    customer = factories.customer()
    block = service.set_block(
        session,
        personas.alice_analyst.actor,
        customer_id=customer.id,
        kind=BlockKind.STOP_SHIPPING,
        reason="客户涉诉",
    )
    views = service.active_blocks(session, customer.id)
    assert [(v.kind, v.source, v.reason) for v in views] == [
        (BlockKind.STOP_SHIPPING, "manual", "客户涉诉")
    ]
    with pytest.raises(ValidationFailed):
        service.release_block(session, personas.bob_manager.actor, block_id=block.id, reason="  ")
    service.release_block(session, personas.bob_manager.actor, block_id=block.id, reason="已和解")
    assert block.status is BlockStatus.RELEASED
    assert (block.released_by, block.release_reason) == ("bob_manager", "已和解")
    assert service.active_blocks(session, customer.id) == []
    with pytest.raises(service.BlockNotActive):
        service.release_block(session, personas.bob_manager.actor, block_id=block.id, reason="x")


def test_sales_and_auditors_cannot_set_blocks(session: Session, personas: Personas) -> None:
    customer = factories.customer()
    for persona in (personas.sam_sales, personas.ada_auditor):
        with pytest.raises(PermissionDenied):
            service.set_block(
                session,
                persona.actor,
                customer_id=customer.id,
                kind=BlockKind.CREDIT_BLOCK,
                reason="x",
            )


def _overdue(customer_id: int, days: int, amount: str) -> int:
    due = TODAY - timedelta(days=days)
    return factories.invoice(
        customer_id=customer_id,
        issue_date=due - timedelta(days=30),
        due_date=due,
        amount=cny(amount),
    ).id


def test_overdue_rule_blocks_at_sixty_days_and_lifts_when_paid(
    session: Session, personas: Personas
) -> None:
    customer = factories.customer()
    invoice_id = _overdue(customer.id, 60, "5000.00")
    run = service.apply_block_rules(
        session, personas.bob_manager.actor, today=TODAY, customer_ids=[customer.id]
    )
    assert len(run.set) == 1
    assert run.by_rule == {"overdue_60_days": 1}
    views = service.active_blocks(session, customer.id)
    assert [(v.kind, v.source) for v in views] == [(BlockKind.CREDIT_BLOCK, "rule:overdue_60_days")]
    assert "5,000.00" in views[0].reason

    again = service.apply_block_rules(
        session, personas.bob_manager.actor, today=TODAY, customer_ids=[customer.id]
    )
    assert (again.set, again.lifted, again.kept) == ((), (), 1)

    invoice = session.get(Invoice, invoice_id)
    assert invoice is not None
    invoice.outstanding = cny("0.00")
    invoice.status = InvoiceStatus.PAID
    session.flush()
    cleared = service.apply_block_rules(
        session, personas.bob_manager.actor, today=TODAY, customer_ids=[customer.id]
    )
    assert cleared.lifted == run.set
    assert service.active_blocks(session, customer.id) == []


def test_a_small_overdue_residue_within_tolerance_does_not_block(
    session: Session, personas: Personas
) -> None:
    customer = factories.customer()
    _overdue(customer.id, 120, "999.00")
    _overdue(customer.id, 10, "50000.00")
    run = service.apply_block_rules(
        session, personas.bob_manager.actor, today=TODAY, customer_ids=[customer.id]
    )
    # undisputed overdue 50,999 is above the 1,000 tolerance and the oldest item is 120 days:
    # the rule reads the customer's overdue total, so this customer IS blocked
    assert run.by_rule == {"overdue_60_days": 1}
    other = factories.customer()
    _overdue(other.id, 120, "999.00")
    quiet = service.apply_block_rules(
        session, personas.bob_manager.actor, today=TODAY, customer_ids=[other.id]
    )
    assert quiet.set == ()


def test_a_confirmed_rule_block_stays_after_its_condition_clears(
    session: Session, personas: Personas
) -> None:
    customer = factories.customer()
    rate(session, customer.id, grade="E")
    run = service.apply_block_rules(
        session, personas.bob_manager.actor, today=TODAY, customer_ids=[customer.id]
    )
    assert run.by_rule == {"grade_e": 1}
    block_id = run.set[0]
    service.confirm_block(session, personas.alice_analyst.actor, block_id=block_id)
    rating = session.get(CustomerRating, customer.id)
    assert rating is not None
    rating.grade = "C"  # rescored: the customer moved up
    session.flush()
    kept = service.apply_block_rules(
        session, personas.bob_manager.actor, today=TODAY, customer_ids=[customer.id]
    )
    assert kept.lifted == ()
    assert [v.block_id for v in service.active_blocks(session, customer.id)] == [block_id]
    assert service.active_blocks(session, customer.id)[0].confirmed


def test_a_released_rule_block_is_not_set_again_during_the_grace_period(
    session: Session, personas: Personas
) -> None:
    customer = factories.customer()
    rate(session, customer.id, grade="E")
    run = service.apply_block_rules(
        session, personas.bob_manager.actor, today=TODAY, customer_ids=[customer.id]
    )
    service.release_block(
        session, personas.bob_manager.actor, block_id=run.set[0], reason="担保到位", today=TODAY
    )
    later = service.apply_block_rules(
        session,
        personas.bob_manager.actor,
        today=TODAY + timedelta(days=30),
        customer_ids=[customer.id],
    )
    assert later.set == ()
    after_grace = service.apply_block_rules(
        session,
        personas.bob_manager.actor,
        today=TODAY + timedelta(days=31),
        customer_ids=[customer.id],
    )
    assert after_grace.by_rule == {"grade_e": 1}


def test_exposure_beyond_the_limit_and_its_tolerance_stops_shipping(
    session: Session, personas: Personas
) -> None:
    customer = graded_customer(session, "B")
    request = service.request_limit(
        session,
        personas.sam_sales.actor,
        customer_id=customer.id,
        kind=RequestKind.NEW,
        amount=cny("10000"),
        justification="x",
        today=TODAY,
    )
    service.decide_limit_request(
        session,
        personas.alice_analyst.actor,
        request_id=request.id,
        decision=Decision.APPROVE,
        today=TODAY,
    )
    factories.order(customer_id=customer.id, amount=cny("11000.00"), status=OrderStatus.OPEN)
    within = service.apply_block_rules(
        session, personas.bob_manager.actor, today=TODAY, customer_ids=[customer.id]
    )
    assert within.set == ()  # 11,000 = 10,000 + 10 %: not beyond the tolerance
    factories.order(customer_id=customer.id, amount=cny("0.01"), status=OrderStatus.OPEN)
    beyond = service.apply_block_rules(
        session, personas.bob_manager.actor, today=TODAY, customer_ids=[customer.id]
    )
    assert beyond.by_rule == {"limit_exceeded": 1}
    assert service.active_blocks(session, customer.id)[0].kind is BlockKind.STOP_SHIPPING
