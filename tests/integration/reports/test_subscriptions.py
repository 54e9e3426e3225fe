"""Report subscriptions: the schedule (month ends, weekdays), what a subscription may be, who
sees and changes which, and the due-subscriptions job — rendering as the subscriber, mailing the
file through the outbox to a local SMTP server, suspending what the subscriber may no longer
read, and sending nothing more on a second run the same day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.errors import NotFound, PermissionDenied, ValidationFailed
from fengkong.notifications import service as notifications_service
from fengkong.notifications.models import Delivery
from fengkong.reports import subscriptions
from fengkong.reports.models import Frequency, ReportFormat, ReportKind, ReportSubscription
from fengkong.reports.subscriptions import SubscriptionForm, first_run, next_run
from tests import factories
from tests.integration.notifications.conftest import (
    Inbox,
    delivery_settings,
    smtp_inbox,  # noqa: F401  (the local SMTP server)
)
from tests.personas import Personas

TODAY = date(2026, 12, 7)  # a Monday
NOW = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _portfolio(**changes: object) -> SubscriptionForm:
    values: dict[str, object] = {
        "kind": ReportKind.PORTFOLIO,
        "format": ReportFormat.XLSX,
        "frequency": Frequency.MONTHLY,
        "run_day": 7,
        "email": "bob@example.com",
        "locale": "en",
    }
    return SubscriptionForm(**(values | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("frequency", "run_day", "after", "expected"),
    [
        (Frequency.DAILY, None, date(2026, 12, 31), date(2027, 1, 1)),
        (Frequency.WEEKLY, 0, date(2026, 12, 7), date(2026, 12, 14)),  # Monday → next Monday
        (Frequency.WEEKLY, 0, date(2026, 12, 6), date(2026, 12, 7)),  # Sunday → the next day
        (Frequency.WEEKLY, 4, date(2026, 12, 7), date(2026, 12, 11)),  # Monday → Friday
        (Frequency.MONTHLY, 31, date(2027, 1, 31), date(2027, 2, 28)),
        (Frequency.MONTHLY, 31, date(2028, 1, 31), date(2028, 2, 29)),  # a leap year
        (Frequency.MONTHLY, 31, date(2027, 4, 15), date(2027, 4, 30)),
        (Frequency.MONTHLY, 31, date(2027, 4, 30), date(2027, 5, 31)),
        (Frequency.MONTHLY, 15, date(2026, 12, 20), date(2027, 1, 15)),
    ],
)
def test_the_next_run_is_the_first_scheduled_day_after(
    frequency: Frequency, run_day: int | None, after: date, expected: date
) -> None:
    assert next_run(frequency, run_day, after=after) == expected


def test_a_new_subscription_due_today_runs_today() -> None:
    assert first_run(Frequency.WEEKLY, 0, today=TODAY) == TODAY
    assert first_run(Frequency.MONTHLY, 31, today=date(2027, 2, 28)) == date(2027, 2, 28)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": ReportKind.CUSTOMER}, "customer_id"),
        ({"customer_id": 1}, "customer_id"),
        ({"kind": ReportKind.CUSTOMER, "customer_id": 1, "format": ReportFormat.XLSX}, "format"),
        ({"frequency": Frequency.WEEKLY, "run_day": 7}, "run_day"),
        ({"frequency": Frequency.MONTHLY, "run_day": None}, "run_day"),
        ({"frequency": Frequency.DAILY, "run_day": 3}, "run_day"),
        ({"locale": "fr"}, "locale"),
        ({"email": "not an address"}, "email"),
    ],
)
def test_an_invalid_subscription_is_refused_naming_the_field(
    session: Session, personas: Personas, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        subscriptions.create_subscription(
            session, personas.bob_manager.actor, _portfolio(**changes), today=TODAY
        )
    assert [detail["field"] for detail in refused.value.details] == [field]


def test_subscriptions_are_created_paused_resumed_and_deleted_by_their_owner_or_an_admin(
    session: Session, personas: Personas
) -> None:
    bob, alice = personas.bob_manager.actor, personas.alice_analyst.actor
    customer = factories.customer()
    own = subscriptions.create_subscription(session, bob, _portfolio(), today=TODAY)
    theirs = subscriptions.create_subscription(
        session,
        alice,
        SubscriptionForm(
            kind=ReportKind.CUSTOMER,
            customer_id=customer.id,
            format=ReportFormat.PDF,
            frequency=Frequency.WEEKLY,
            run_day=2,
            email="alice@example.com",
            locale="zh_CN",
        ),
        today=TODAY,
    )
    assert (own.next_run_on, own.created_by) == (TODAY, "bob_manager")
    assert theirs.next_run_on == date(2026, 12, 9)
    assert subscriptions.list_subscriptions(session, bob) == [own]
    with pytest.raises(NotFound):
        subscriptions.get_subscription(session, bob, theirs.id)
    with pytest.raises(PermissionDenied):
        subscriptions.list_subscriptions(session, bob, everyone=True)
    admin = personas.adam_admin.actor
    assert subscriptions.list_subscriptions(session, admin, everyone=True) == [own, theirs]

    subscriptions.set_active(session, bob, own.id, active=False, today=TODAY)
    assert not own.active
    resumed = subscriptions.set_active(session, bob, own.id, active=True, today=date(2027, 1, 8))
    assert (resumed.active, resumed.next_run_on) == (True, date(2027, 2, 7))
    subscriptions.delete_subscription(session, admin, theirs.id)
    assert subscriptions.list_subscriptions(session, admin, everyone=True) == [own]


def test_sales_may_not_subscribe_to_the_portfolio_report(
    session: Session, personas: Personas
) -> None:
    with pytest.raises(PermissionDenied):
        subscriptions.create_subscription(
            session, personas.sam_sales.actor, _portfolio(), today=TODAY
        )


def _deliveries(session: Session) -> int:
    return (
        session.scalar(select(func.count(Delivery.id)).where(Delivery.topic == subscriptions.TOPIC))
        or 0
    )


def test_a_due_report_is_mailed_as_an_attachment_once_per_scheduled_day(
    session: Session,
    personas: Personas,
    smtp_inbox: tuple[Inbox, int],  # noqa: F811  (the fixture imported above)
) -> None:
    inbox, port = smtp_inbox
    subscription = subscriptions.create_subscription(
        session, personas.bob_manager.actor, _portfolio(), today=TODAY
    )

    first = subscriptions.send_due(session, today=TODAY, now=NOW)
    sent = notifications_service.deliver_pending(
        session, now=NOW, settings=delivery_settings(smtp_port=port)
    )

    assert (first.sent, first.suspended, sent.sent) == (1, 0, 1)
    [envelope] = inbox.messages
    assert envelope.rcpt_tos == ["bob@example.com"]
    assert isinstance(envelope.content, bytes)
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert isinstance(message, EmailMessage)
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == XLSX
    assert attachment.get_filename() == "portfolio-report-2026-11.xlsx"
    assert attachment.get_content().startswith(b"PK")  # a zip: the workbook itself
    assert "portfolio-report-2026-11.xlsx" in str(message["Subject"])
    assert (subscription.next_run_on, subscription.last_sent_at) == (date(2027, 1, 7), NOW)

    again = subscriptions.send_due(session, today=TODAY, now=NOW)
    assert (again.sent, _deliveries(session)) == (0, 1)


def test_a_sales_subscriber_to_the_portfolio_report_is_suspended_not_sent(
    session: Session, personas: Personas
) -> None:
    subscription = ReportSubscription(
        user_id=personas.sam_sales.user.id,
        kind=ReportKind.PORTFOLIO,
        format=ReportFormat.PDF,
        locale="zh_CN",
        email="sam@example.com",
        frequency=Frequency.DAILY,
        next_run_on=TODAY,
        created_by="adam_admin",
    )
    session.add(subscription)
    session.flush()

    summary = subscriptions.send_due(session, today=TODAY, now=NOW)

    assert (summary.sent, summary.suspended, _deliveries(session)) == (0, 1, 0)
    assert not subscription.active
    assert "may no longer read" in (subscription.suspended_reason or "")


def test_a_customer_moved_out_of_the_subscribers_scope_suspends_the_subscription(
    session: Session, personas: Personas
) -> None:
    sam = personas.sam_sales
    customer = factories.customer_of(sam.user, region_code="330106")
    subscription = subscriptions.create_subscription(
        session,
        sam.actor,
        SubscriptionForm(
            kind=ReportKind.CUSTOMER,
            customer_id=customer.id,
            format=ReportFormat.HTML,
            frequency=Frequency.DAILY,
            email="sam@example.com",
            locale="zh_CN",
        ),
        today=TODAY,
    )
    customer.owner_id = personas.alice_analyst.user.id
    session.flush()

    summary = subscriptions.send_due(session, today=TODAY, now=NOW)

    assert (summary.sent, summary.suspended, _deliveries(session)) == (0, 1, 0)
    assert not subscription.active
    with pytest.raises(NotFound):
        subscriptions.set_active(session, sam.actor, subscription.id, active=True, today=TODAY)


def test_a_customer_report_in_scope_goes_to_its_subscriber(
    session: Session, personas: Personas
) -> None:
    sam = personas.sam_sales
    customer = factories.customer_of(sam.user, region_code="330106")
    subscriptions.create_subscription(
        session,
        sam.actor,
        SubscriptionForm(
            kind=ReportKind.CUSTOMER,
            customer_id=customer.id,
            format=ReportFormat.HTML,
            frequency=Frequency.DAILY,
            email="sam@example.com",
            locale="zh_CN",
        ),
        today=TODAY,
    )
    session.info["actor"] = Actor.system("daily-jobs")

    summary = subscriptions.send_due(session, today=TODAY, now=NOW)

    assert summary.sent == 1
    delivery = session.scalars(select(Delivery).where(Delivery.topic == subscriptions.TOPIC)).one()
    [filename] = delivery.payload["attachments"]
    assert filename.startswith(f"customer-report-{customer.id}-")
    assert filename.endswith(".html")
    assert session.info["actor"] == Actor.system("daily-jobs")
