from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.collections import service
from fengkong.collections.models import DunningNotice, InvoiceDunning
from fengkong.collections.schemas import PromiseCreate
from fengkong.collections.status import NoticeStatus
from fengkong.errors import PermissionDenied
from fengkong.events.models import Event
from fengkong.exposure import service as exposure_service
from fengkong.exposure.schemas import DisputeCreate
from fengkong.kit.amounts import PositiveMoneyIn as MoneyIn
from fengkong.kit.money import Money
from tests import factories
from tests.integration.collections.conftest import TODAY, overdue_invoice
from tests.personas import Personas

SYSTEM = Actor.system("test")


def levels_of(session: Session, *invoice_ids: int) -> list[int]:
    found = dict(
        session.execute(
            select(InvoiceDunning.invoice_id, InvoiceDunning.level).where(
                InvoiceDunning.invoice_id.in_(invoice_ids)
            )
        ).all()
    )
    return [found.get(invoice_id, 0) for invoice_id in invoice_ids]


def test_overdue_invoices_move_to_the_level_their_days_past_due_reach(session: Session) -> None:
    customer = factories.customer()
    invoices = [overdue_invoice(customer.id, days) for days in (0, 1, 14, 15, 30, 60)]
    summary = service.run_dunning(session, SYSTEM, today=TODAY)
    assert levels_of(session, *(invoice.id for invoice in invoices)) == [0, 1, 1, 2, 3, 4]
    assert summary.notices_by_level == {1: 1, 2: 1, 3: 1, 4: 1}
    assert summary.invoices_dunned == 5
    assert summary.legal_handover_customer_ids == (customer.id,)
    notices = session.scalars(
        select(DunningNotice)
        .where(DunningNotice.customer_id == customer.id)
        .order_by(DunningNotice.level)
    ).all()
    assert [notice.total_overdue for notice in notices] == [
        Money.of("2000.00", "CNY"),
        Money.of("1000.00", "CNY"),
        Money.of("1000.00", "CNY"),
        Money.of("1000.00", "CNY"),
    ]
    assert notices[0].config_sha256 == summary.config_sha256
    assert [notice.legal_handover for notice in notices] == [False, False, False, True]
    assert service.dunning_level(session, customer.id) == 4


def test_running_twice_the_same_day_issues_nothing_new(session: Session) -> None:
    customer = factories.customer()
    overdue_invoice(customer.id, 20)
    first = service.run_dunning(session, SYSTEM, today=TODAY)
    events = session.scalar(
        select(func.count()).select_from(Event).where(Event.event_type == "dunning_notice_issued")
    )
    second = service.run_dunning(session, SYSTEM, today=TODAY)
    assert first.notices_issued == 1
    assert second.notices_issued == 0
    assert second.invoices_dunned == 0
    assert events == 1
    assert (
        session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.event_type == "dunning_notice_issued")
        )
        == 1
    )


def test_an_invoice_moves_up_a_level_on_a_later_run_and_gets_a_new_notice(
    session: Session,
) -> None:
    customer = factories.customer()
    invoice = overdue_invoice(customer.id, 10)
    service.run_dunning(session, SYSTEM, today=TODAY)
    assert service.run_dunning(session, SYSTEM, today=TODAY + timedelta(days=4)).notices_issued == 0
    later = service.run_dunning(session, SYSTEM, today=TODAY + timedelta(days=5))
    assert later.notices_by_level == {2: 1}
    assert levels_of(session, invoice.id) == [2]
    items = service.notice_items(session, SYSTEM, notice_id=later.notice_ids[0])
    assert [(item.days_past_due, item.previous_level) for item in items] == [(15, 1)]


def test_a_tiny_residue_is_not_dunned(session: Session) -> None:
    customer = factories.customer()
    residue = overdue_invoice(customer.id, 40, "1000.00", outstanding=Money.of("9.99", "CNY"))
    summary = service.run_dunning(session, SYSTEM, today=TODAY)
    assert summary.notices_issued == 0
    assert summary.skipped == {"residue": 1}
    assert levels_of(session, residue.id) == [0]
    assert service.dunning_level(session, customer.id) == 0


def test_a_disputed_invoice_is_skipped(session: Session) -> None:
    customer = factories.customer()
    disputed = overdue_invoice(customer.id, 20)
    other = overdue_invoice(customer.id, 20)
    exposure_service.open_dispute(
        session,
        SYSTEM,
        invoice_id=disputed.id,
        data=DisputeCreate(
            amount=MoneyIn(amount="100.00", currency="CNY"), reason="短少货物", opened_on=TODAY
        ),
    )
    summary = service.run_dunning(session, SYSTEM, today=TODAY)
    assert summary.skipped == {"disputed": 1}
    assert levels_of(session, disputed.id, other.id) == [0, 2]


def test_an_invoice_with_an_open_promise_not_yet_due_is_skipped(session: Session) -> None:
    customer = factories.customer()
    promised = overdue_invoice(customer.id, 20)
    service.record_promise(
        session,
        SYSTEM,
        customer_id=customer.id,
        data=PromiseCreate(
            invoice_id=promised.id,
            amount=MoneyIn(amount="1000.00", currency="CNY"),
            promised_on=TODAY - timedelta(days=2),
            due_on=TODAY + timedelta(days=5),
        ),
    )
    assert service.run_dunning(session, SYSTEM, today=TODAY).skipped == {"promised": 1}
    # Once the promise is past due, the invoice is dunned again.
    later = service.run_dunning(session, SYSTEM, today=TODAY + timedelta(days=6))
    assert later.notices_by_level == {2: 1}


def test_only_the_named_customers_are_dunned(session: Session) -> None:
    named, other = factories.customer(), factories.customer()
    overdue_invoice(named.id, 5)
    untouched = overdue_invoice(other.id, 5)
    summary = service.run_dunning(session, SYSTEM, today=TODAY, customer_ids=[named.id])
    assert summary.notices_issued == 1
    assert levels_of(session, untouched.id) == [0]


def test_cancelling_a_notice_puts_its_invoices_back_to_their_previous_level(
    session: Session,
) -> None:
    customer = factories.customer()
    invoice = overdue_invoice(customer.id, 10)
    service.run_dunning(session, SYSTEM, today=TODAY)
    second = service.run_dunning(session, SYSTEM, today=TODAY + timedelta(days=5))
    notice = service.cancel_notice(
        session, SYSTEM, notice_id=second.notice_ids[0], reason="客户已付款，系统未入账"
    )
    assert notice.status is NoticeStatus.CANCELLED
    assert levels_of(session, invoice.id) == [1]
    assert (
        session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.event_type == "dunning_notice_cancelled")
        )
        == 1
    )
    # The same day does not re-issue it; the next day's run does.
    assert service.run_dunning(session, SYSTEM, today=TODAY + timedelta(days=5)).notices_issued == 0
    assert service.run_dunning(session, SYSTEM, today=TODAY + timedelta(days=6)).notices_issued == 1


def test_paid_invoices_no_longer_count_in_the_dunning_level(session: Session) -> None:
    customer = factories.customer()
    invoice = overdue_invoice(customer.id, 35)
    service.run_dunning(session, SYSTEM, today=TODAY)
    assert service.dunning_level(session, customer.id) == 3
    invoice.outstanding = Money.of("0.00", "CNY")
    session.flush()
    assert service.dunning_level(session, customer.id) == 0


def test_a_sales_user_may_not_run_dunning(session: Session, personas: Personas) -> None:
    with pytest.raises(PermissionDenied):
        service.run_dunning(session, personas.sam_sales.actor, today=TODAY)


def test_the_database_refuses_a_second_notice_for_the_same_customer_level_and_day(
    session: Session,
) -> None:
    customer = factories.customer()
    overdue_invoice(customer.id, 20)
    (notice_id,) = service.run_dunning(session, SYSTEM, today=TODAY).notice_ids
    first = service.get_notice(session, SYSTEM, notice_id=notice_id)
    duplicate = DunningNotice(
        customer_id=customer.id,
        level=first.level,
        level_name=first.level_name,
        run_on=TODAY,
        total_overdue=first.total_overdue,
        language="zh_CN",
        config_name=first.config_name,
        config_version=first.config_version,
        config_sha256=first.config_sha256,
        issued_by="racing-run",
    )
    savepoint = session.begin_nested()
    session.add(duplicate)
    with pytest.raises(IntegrityError):
        session.flush()
    savepoint.rollback()
