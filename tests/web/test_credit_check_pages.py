"""Credit holds in the UI: the queue with each hold's failing steps, the release (full, partial,
prepayment) and reject forms, and a check's page listing every step."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.credit_checks.models import CreditHold
from fengkong.credit_checks.status import DecisionReason, HoldStatus, ReleaseKind
from fengkong.kit.money import Money
from fengkong.orders.models import Order
from tests import factories
from tests.integration.credit_checks import conftest as credit_checks
from tests.integration.credit_checks.conftest import DAY, World, run_check
from tests.personas import Personas
from tests.web.conftest import SignedIn

world = credit_checks.world  # the fixture, shared with the integration tests


def _hold(session: Session, world: World, number: str = "SO-77") -> CreditHold:
    customer = factories.customer()
    factories.invoice(
        customer_id=customer.id,
        issue_date=DAY,
        due_date=DAY + timedelta(days=30),
        amount=Money.of("60000.00", "CNY"),
    )
    world.limit(customer.id, "100000.00")
    hold = run_check(session, customer.id, number, "50000.00").hold
    assert hold is not None
    return hold


def test_the_hold_queue_shows_why_each_order_is_held_in_chinese(
    signed_in: SignedIn, personas: Personas, session: Session, world: World
) -> None:
    hold = _hold(session, world)
    browser = signed_in(personas.alice_analyst)

    page = browser.page("/credit-holds")

    assert page.status_code == 200
    assert "订单 SO-77" in page.text
    assert "超出信用额度 100,000.00，超出 10,000.00" in page.text
    assert f'action="/credit-holds/{hold.id}/release"' in page.text
    assert "<script>" not in page.text


def test_an_analyst_releases_a_hold_partially_from_the_queue(
    signed_in: SignedIn, personas: Personas, session: Session, world: World
) -> None:
    hold = _hold(session, world)
    browser = signed_in(personas.alice_analyst)

    response = browser.post(
        f"/credit-holds/{hold.id}/release",
        {
            "kind": ReleaseKind.PARTIAL.value,
            "amount": "45,000.00",
            "reason_code": DecisionReason.STRATEGIC_CUSTOMER.value,
            "comment": "年度框架协议客户",
        },
    )

    assert (response.status_code, response.headers["location"]) == (303, "/credit-holds")
    session.refresh(hold)
    assert (hold.status, hold.approved_minor, hold.decided_by) == (
        HoldStatus.RELEASED,
        4_500_000,
        "alice_analyst",
    )
    assert (
        session.scalar(select(Order.amount_minor).where(Order.order_number == "SO-77")) == 4_500_000
    )
    released = browser.page("/credit-holds?status=released")
    assert "年度框架协议客户" in released.text


def test_a_release_that_does_not_add_up_is_flashed_and_changes_nothing(
    signed_in: SignedIn, personas: Personas, session: Session, world: World
) -> None:
    hold = _hold(session, world)
    browser = signed_in(personas.bob_manager)

    browser.post(
        f"/credit-holds/{hold.id}/release",
        {"kind": "partial", "amount": "60000", "reason_code": "strategic_customer"},
    )
    page = browser.page("/credit-holds")

    session.refresh(hold)
    assert hold.status is HoldStatus.OPEN
    assert "flash--error" in page.text


def test_a_manager_rejects_a_hold_and_sales_sees_the_queue_without_forms(
    signed_in: SignedIn, personas: Personas, session: Session, world: World
) -> None:
    hold = _hold(session, world)
    manager = signed_in(personas.bob_manager)
    manager.post(
        f"/credit-holds/{hold.id}/reject",
        {"reject_reason": "overdue_not_settled", "comment": "先结清逾期款"},
    )
    session.refresh(hold)
    other = _hold(session, world, "SO-78")
    sales = signed_in(personas.sam_sales)

    queue = sales.page("/credit-holds")
    refused = sales.post(f"/credit-holds/{other.id}/reject", {"reject_reason": "other"})

    assert (hold.status, hold.reason_code) == (
        HoldStatus.REJECTED,
        DecisionReason.OVERDUE_NOT_SETTLED,
    )
    assert "SO-78" in queue.text
    assert "/reject" not in queue.text
    assert refused.status_code == 403


def test_a_checks_page_lists_every_step_with_its_result(
    signed_in: SignedIn, personas: Personas, session: Session, world: World
) -> None:
    hold = _hold(session, world)
    browser = signed_in(personas.ada_auditor)

    page = browser.page(f"/credit-checks/{hold.credit_check_id}")

    assert page.status_code == 200
    for step in ("信用额度", "最早未清项", "逾期占比", "催收级别", "冻结"):
        assert step in page.text
    assert "含本订单的敞口 110,000.00 超出信用额度 100,000.00" in page.text


def test_a_risk_manager_simulates_a_draft_rule_set_from_the_ui(
    signed_in: SignedIn, personas: Personas, session: Session, world: World
) -> None:
    _hold(session, world)
    manager = signed_in(personas.bob_manager)
    strict = "name: strict\nclasses:\n  unrated:\n    - {step: max_order_value, max_amount: 1}\n"

    form = manager.page("/credit-checks/simulation")
    result = manager.post("/credit-checks/simulation", {"yaml": strict, "months": "12"})
    broken = manager.post("/credit-checks/simulation", {"yaml": "name: x", "months": "12"})
    analyst = signed_in(personas.alice_analyst).get("/credit-checks/simulation")

    assert form.status_code == 200
    assert "政策模拟" in form.text
    assert result.status_code == 200
    assert "草稿：strict" in result.text
    assert "无法运行模拟" in broken.text
    assert analyst.status_code == 403
