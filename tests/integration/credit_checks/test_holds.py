"""Holds become documented credit decisions: released fully, partially or on prepayment terms,
or rejected, with reason code, comment, who and when; never by whoever asked for the check."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.credit_checks import service
from fengkong.credit_checks.models import CreditHold
from fengkong.credit_checks.service import HoldAlreadyDecided, InvalidRelease, RequesterCannotDecide
from fengkong.credit_checks.status import DecisionReason, HoldStatus, ReleaseKind
from fengkong.customers import service as customers_service
from fengkong.customers.service import CustomerArchived
from fengkong.errors import PermissionDenied
from fengkong.kit.money import Money
from fengkong.orders.models import Order
from tests import factories
from tests.integration.credit_checks.conftest import DAY, ERP, MANAGER, World, run_check


def _held(session: Session, world: World) -> CreditHold:
    """¥60,000 owed against a ¥100,000 limit, and an order of ¥50,000: held."""
    customer = factories.customer()
    factories.invoice(
        customer_id=customer.id, issue_date=DAY, due_date=DAY, amount=Money.of("60000.00", "CNY")
    )
    world.limit(customer.id, "100000.00")
    hold = run_check(session, customer.id, "SO-9", "50000.00").hold
    assert hold is not None
    return hold


def _order_amount(session: Session) -> int | None:
    return session.scalar(select(Order.amount_minor).where(Order.order_number == "SO-9"))


def test_a_full_release_counts_the_order_and_documents_the_decision(
    session: Session, world: World
) -> None:
    hold = _held(session, world)

    released = service.release_hold(
        session,
        MANAGER,
        hold_id=hold.id,
        kind=ReleaseKind.FULL,
        reason=DecisionReason.COLLATERAL_PROVIDED,
        comment="bank guarantee 保函 No. 2026-17 received",
        today=DAY,
    )

    assert released.status is HoldStatus.RELEASED
    assert (released.release_kind, released.approved_minor) == (ReleaseKind.FULL, 5_000_000)
    assert released.reason_code is DecisionReason.COLLATERAL_PROVIDED
    assert released.comment == "bank guarantee 保函 No. 2026-17 received"
    assert (released.decided_by, released.decided_by_user_id) == ("wang_manager", 9002)
    assert released.decided_at is not None
    assert _order_amount(session) == 5_000_000


def test_a_partial_release_counts_only_the_approved_amount(session: Session, world: World) -> None:
    hold = _held(session, world)

    released = service.release_hold(
        session,
        MANAGER,
        hold_id=hold.id,
        kind=ReleaseKind.PARTIAL,
        reason=DecisionReason.STRATEGIC_CUSTOMER,
        approved_amount=Money.of("40000.00", "CNY"),
        today=DAY,
    )

    assert (released.approved_minor, _order_amount(session)) == (4_000_000, 4_000_000)


def test_a_release_on_prepayment_counts_only_what_is_not_prepaid(
    session: Session, world: World
) -> None:
    hold = _held(session, world)

    released = service.release_hold(
        session,
        MANAGER,
        hold_id=hold.id,
        kind=ReleaseKind.PREPAYMENT,
        reason=DecisionReason.PREPAYMENT_AGREED,
        prepayment=Money.of("15000.00", "CNY"),
        today=DAY,
    )

    assert (released.prepayment_minor, _order_amount(session)) == (1_500_000, 3_500_000)


def test_a_full_prepayment_releases_the_order_without_any_exposure(
    session: Session, world: World
) -> None:
    hold = _held(session, world)

    service.release_hold(
        session,
        MANAGER,
        hold_id=hold.id,
        kind=ReleaseKind.PREPAYMENT,
        reason=DecisionReason.PREPAYMENT_AGREED,
        prepayment=Money.of("50000.00", "CNY"),
        today=DAY,
    )

    assert _order_amount(session) is None


def test_a_rejection_records_its_reason_and_the_order_never_counts(
    session: Session, world: World
) -> None:
    hold = _held(session, world)

    rejected = service.reject_hold(
        session,
        MANAGER,
        hold_id=hold.id,
        reason=DecisionReason.EXPOSURE_TOO_HIGH,
        comment="already at 60% of the limit with 30 days left",
    )

    assert (rejected.status, rejected.reason_code) == (
        HoldStatus.REJECTED,
        DecisionReason.EXPOSURE_TOO_HIGH,
    )
    assert rejected.decided_by == "wang_manager"
    assert _order_amount(session) is None


def test_whoever_asked_for_the_check_cannot_decide_its_hold(session: Session, world: World) -> None:
    hold = _held(session, world)
    deciding_erp = type(ERP)(user_id=ERP.user_id, username="erp", role=MANAGER.role)

    with pytest.raises(RequesterCannotDecide):
        service.release_hold(
            session,
            deciding_erp,
            hold_id=hold.id,
            kind=ReleaseKind.FULL,
            reason=DecisionReason.OTHER,
            comment="self-approval",
        )
    with pytest.raises(PermissionDenied):  # sales cannot decide at all
        service.reject_hold(session, ERP, hold_id=hold.id, reason=DecisionReason.OTHER, comment="x")


def test_a_hold_is_decided_once(session: Session, world: World) -> None:
    hold = _held(session, world)
    service.reject_hold(session, MANAGER, hold_id=hold.id, reason=DecisionReason.CUSTOMER_BLOCKED)

    with pytest.raises(HoldAlreadyDecided):
        service.release_hold(
            session,
            MANAGER,
            hold_id=hold.id,
            kind=ReleaseKind.FULL,
            reason=DecisionReason.PAYMENT_RECEIVED,
        )


@pytest.mark.parametrize(
    ("kind", "reason", "comment", "approved", "prepaid", "field"),
    [
        (ReleaseKind.FULL, DecisionReason.EXPOSURE_TOO_HIGH, None, None, None, "reason_code"),
        (ReleaseKind.FULL, DecisionReason.OTHER, "  ", None, None, "comment"),
        (ReleaseKind.PARTIAL, DecisionReason.OTHER, "x", None, None, "approved_amount"),
        (ReleaseKind.PARTIAL, DecisionReason.OTHER, "x", "50000.00", None, "approved_amount"),
        (ReleaseKind.PREPAYMENT, DecisionReason.OTHER, "x", None, "50000.01", "prepayment"),
    ],
)
def test_a_release_that_does_not_add_up_is_refused_naming_the_field(
    session: Session,
    world: World,
    kind: ReleaseKind,
    reason: DecisionReason,
    comment: str | None,
    approved: str | None,
    prepaid: str | None,
    field: str,
) -> None:
    hold = _held(session, world)

    with pytest.raises(InvalidRelease) as raised:
        service.release_hold(
            session,
            MANAGER,
            hold_id=hold.id,
            kind=kind,
            reason=reason,
            comment=comment,
            approved_amount=None if approved is None else Money.of(approved, "CNY"),
            prepayment=None if prepaid is None else Money.of(prepaid, "CNY"),
        )

    assert raised.value.details[0]["field"] == field
    assert session.get(CreditHold, hold.id).status is HoldStatus.OPEN  # type: ignore[union-attr]


def test_a_hold_of_a_customer_archived_since_cannot_book_its_order(
    session: Session, world: World
) -> None:
    hold = _held(session, world)
    customers_service.archive_customer(session, Actor.system("test"), customer_id=hold.customer_id)

    with pytest.raises(CustomerArchived):
        service.release_hold(
            session,
            MANAGER,
            hold_id=hold.id,
            kind=ReleaseKind.FULL,
            reason=DecisionReason.COLLATERAL_PROVIDED,
            today=DAY,
        )

    assert _order_amount(session) is None
