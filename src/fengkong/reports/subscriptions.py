"""Report subscriptions: a user's standing order for the portfolio report or a customer's credit
report by e-mail, daily, weekly or monthly, and the due-subscriptions job that sends them.

The job renders each due report **as the subscriber**: their permissions and access scope
apply exactly as in the UI. A subscriber who may no longer read the report (a role change, a
customer moved out of their scope) gets nothing; the subscription is suspended with the reason
and shows so on their page. The e-mail goes through the notification outbox
(``notifications.service.queue_email``) with the rendered file attached, so it is retried with
backoff like every other delivery. A run is idempotent: each subscription is sent once per
scheduled day (its dedupe key names the day), and ``next_run_on`` moves past today.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.customers.models import Customer
from fengkong.errors import NotFound, PermissionDenied, ValidationFailed
from fengkong.i18n import N_, Message
from fengkong.kit.time import ensure_utc, utcnow
from fengkong.notifications import service as notifications_service
from fengkong.notifications.models import DeliveryAttachment
from fengkong.records import field_error
from fengkong.reports.customer_report import customer_report_file
from fengkong.reports.files import ReportFile
from fengkong.reports.models import Frequency, ReportFormat, ReportKind, ReportSubscription
from fengkong.reports.portfolio_report import ReportFormat as PortfolioFormat
from fengkong.reports.portfolio_report import last_complete_month, portfolio_report_file
from fengkong.settings import SUPPORTED_LOCALES, Locale

logger = logging.getLogger(__name__)

TOPIC = "report.subscription"
MAX_REASON = 300
FORMATS: dict[ReportKind, frozenset[ReportFormat]] = {
    ReportKind.PORTFOLIO: frozenset(ReportFormat),
    ReportKind.CUSTOMER: frozenset({ReportFormat.PDF, ReportFormat.HTML}),
}
_SUBJECT = N_("Fengkong report: %(name)s")
_BODY = N_(
    "Attached is the report you subscribed to: %(name)s.\n"
    "Manage your subscriptions under Notification preferences."
)


class SubscriptionNotFound(NotFound):
    code = "report_subscription_not_found"


@dataclass(frozen=True, slots=True)
class SubscriptionForm:
    """What a user chooses for a new subscription."""

    kind: ReportKind
    format: ReportFormat
    frequency: Frequency
    email: str
    locale: str
    """A supported language code (checked)."""
    customer_id: int | None = None
    run_day: int | None = None
    """Weekday (0 = Monday) of a weekly subscription, day of month (1–31) of a monthly one."""


@dataclass(frozen=True, slots=True)
class DueSummary:
    sent: int
    suspended: int


# --- the schedule ------------------------------------------------------------------------------


def _month_day(year: int, month: int, day: int) -> date:
    """``day`` of the month, or the month's last day when it is shorter (31 → 30 April)."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def next_run(frequency: Frequency, run_day: int | None, *, after: date) -> date:
    """The first scheduled day strictly after ``after``."""
    if frequency is Frequency.DAILY:
        return after + timedelta(days=1)
    if run_day is None:
        raise ValueError("weekly and monthly subscriptions need a run day")
    if frequency is Frequency.WEEKLY:
        return after + timedelta(days=(run_day - after.weekday() - 1) % 7 + 1)
    this_month = _month_day(after.year, after.month, run_day)
    if this_month > after:
        return this_month
    year, month = (after.year + 1, 1) if after.month == 12 else (after.year, after.month + 1)
    return _month_day(year, month, run_day)


def first_run(frequency: Frequency, run_day: int | None, *, today: date) -> date:
    """The first scheduled day on or after ``today``: a new subscription due today goes today."""
    return next_run(frequency, run_day, after=today - timedelta(days=1))


# --- checks -----------------------------------------------------------------------------------


def _invalid(field: str, value: object, message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[field_error(field, value, message)])


def _checked(form: SubscriptionForm) -> SubscriptionForm:
    if form.kind is ReportKind.CUSTOMER and form.customer_id is None:
        raise _invalid("customer_id", None, "a customer report subscription names the customer")
    if form.kind is ReportKind.PORTFOLIO and form.customer_id is not None:
        raise _invalid("customer_id", form.customer_id, "the portfolio report is of no customer")
    if form.format not in FORMATS[form.kind]:
        raise _invalid(
            "format", form.format.value, f"the {form.kind.value} report has no such form"
        )
    if form.locale not in SUPPORTED_LOCALES:
        raise _invalid("locale", form.locale, "not a supported language")
    allowed = {Frequency.DAILY: None, Frequency.WEEKLY: range(7), Frequency.MONTHLY: range(1, 32)}
    days = allowed[form.frequency]
    if (days is None) != (form.run_day is None) or (days is not None and form.run_day not in days):
        message = {
            Frequency.DAILY: "a daily subscription has no run day",
            Frequency.WEEKLY: "a weekly subscription runs on a weekday, 0 (Monday) to 6",
            Frequency.MONTHLY: "a monthly subscription runs on a day of the month, 1 to 31",
        }[form.frequency]
        raise _invalid("run_day", form.run_day, message)
    return form


def _ensure_readable(
    session: Session, actor: Actor, kind: ReportKind, customer_id: int | None
) -> None:
    """Raise unless ``actor`` may read the report now (the same rules the reports apply)."""
    if kind is ReportKind.PORTFOLIO:
        auth_service.ensure_permission(actor, Permission.CUSTOMERS_ALL)
        auth_service.ensure_permission(actor, Permission.EXPOSURE_READ)
        return
    auth_service.ensure_permission(actor, Permission.CUSTOMERS_READ)
    with _reading_as(session, actor):
        if customer_id is None or session.get(Customer, customer_id) is None:
            raise NotFound("customer not found")


@contextmanager
def _reading_as(session: Session, actor: Actor) -> Iterator[None]:
    """Reads in the block are scoped to ``actor`` (the access-scope hook reads the session's
    actor); the session's own actor, to whom writes are attributed, is restored after."""
    previous = session.info.get("actor")
    session.info["actor"] = actor
    try:
        yield
    finally:
        session.info["actor"] = previous


# --- use cases ---------------------------------------------------------------------------------


def create_subscription(
    session: Session, actor: Actor, form: SubscriptionForm, *, today: date
) -> ReportSubscription:
    """Subscribe ``actor`` to a report they may read now; the first run is the first scheduled
    day from ``today`` on."""
    if actor.user_id is None:
        raise PermissionDenied("only a user can subscribe to a report")
    _checked(form)
    email = notifications_service.check_email(form.email)
    _ensure_readable(session, actor, form.kind, form.customer_id)
    subscription = ReportSubscription(
        user_id=actor.user_id,
        kind=form.kind,
        customer_id=form.customer_id,
        format=form.format,
        locale=form.locale,
        email=email,
        frequency=form.frequency,
        run_day=form.run_day,
        next_run_on=first_run(form.frequency, form.run_day, today=today),
        active=True,
        created_by=actor.username,
    )
    session.add(subscription)
    session.flush()
    return subscription


def list_subscriptions(
    session: Session, actor: Actor, *, everyone: bool = False
) -> list[ReportSubscription]:
    """The actor's own subscriptions, or with ``everyone`` (``notifications:manage``) all."""
    statement = select(ReportSubscription).order_by(ReportSubscription.id)
    if everyone:
        auth_service.ensure_permission(actor, Permission.NOTIFICATIONS_MANAGE)
    else:
        statement = statement.where(ReportSubscription.user_id == actor.user_id)
    return list(session.scalars(statement))


def get_subscription(session: Session, actor: Actor, subscription_id: int) -> ReportSubscription:
    """A subscription of the actor's own, or anyone's for ``notifications:manage``; another's is
    not found."""
    subscription = session.get(ReportSubscription, subscription_id)
    mine = subscription is not None and subscription.user_id == actor.user_id
    if subscription is None or not (mine or actor.can(Permission.NOTIFICATIONS_MANAGE)):
        raise SubscriptionNotFound(f"no report subscription {subscription_id}")
    return subscription


def set_active(
    session: Session, actor: Actor, subscription_id: int, *, active: bool, today: date
) -> ReportSubscription:
    """Pause or resume. Resuming clears a suspension and schedules from ``today`` on; it checks
    again that the subscriber may read the report."""
    subscription = get_subscription(session, actor, subscription_id)
    if active and not subscription.active:
        subscriber = auth_service.load_actor(session, subscription.user_id)
        if subscriber is None:
            raise PermissionDenied("the subscriber is no longer an active user")
        _ensure_readable(session, subscriber, subscription.kind, subscription.customer_id)
        subscription.suspended_reason = None
        subscription.next_run_on = first_run(
            subscription.frequency, subscription.run_day, today=today
        )
    subscription.active = active
    session.flush()
    return subscription


def delete_subscription(session: Session, actor: Actor, subscription_id: int) -> None:
    session.delete(get_subscription(session, actor, subscription_id))
    session.flush()


# --- the due-subscriptions job -----------------------------------------------------------------


def _locale(value: str) -> Locale:
    return "en" if value == "en" else "zh_CN"


def _render(
    session: Session, subscriber: Actor, subscription: ReportSubscription, day: date
) -> ReportFile:
    chosen = _locale(subscription.locale)
    fmt = subscription.format.value
    with _reading_as(session, subscriber):
        if subscription.kind is ReportKind.PORTFOLIO:
            return portfolio_report_file(
                session,
                subscriber,
                month=last_complete_month(day),
                fmt=cast(PortfolioFormat, fmt),
                locale=chosen,
            )
        if subscription.customer_id is None:
            raise NotFound("customer not found")
        return customer_report_file(
            session,
            subscriber,
            subscription.customer_id,
            fmt=cast(Literal["html", "pdf"], fmt),
            locale=chosen,
        )


def _suspend(subscription: ReportSubscription, reason: str) -> None:
    subscription.active = False
    subscription.suspended_reason = reason[:MAX_REASON]
    logger.info("report subscription %s suspended: %s", subscription.id, reason)


def send_due(session: Session, *, today: date, now: datetime | None = None) -> DueSummary:
    """Queue every active subscription due on or before ``today`` (as its subscriber), and move
    each to its next scheduled day; suspend those the subscriber may no longer read."""
    moment = ensure_utc(now) if now is not None else utcnow()
    due = session.scalars(
        select(ReportSubscription)
        .where(ReportSubscription.active.is_(True), ReportSubscription.next_run_on <= today)
        .order_by(ReportSubscription.id)
    ).all()
    sent = suspended = 0
    for subscription in due:
        subscriber = auth_service.load_actor(session, subscription.user_id)
        if subscriber is None:
            _suspend(subscription, "the subscriber is no longer an active user")
            suspended += 1
            continue
        try:
            report = _render(session, subscriber, subscription, today)
        except (PermissionDenied, NotFound) as error:
            _suspend(
                subscription, f"the subscriber may no longer read this report: {error.message}"
            )
            suspended += 1
            continue
        locale = _locale(subscription.locale)
        notifications_service.queue_email(
            session,
            user_id=subscription.user_id,
            email=subscription.email,
            topic=TOPIC,
            subject=Message(_SUBJECT, {"name": report.filename}).render(locale),
            body=Message(_BODY, {"name": report.filename}).render(locale),
            dedupe_key=f"report-subscription:{subscription.id}:{subscription.next_run_on.isoformat()}",
            attachments=[
                DeliveryAttachment(
                    filename=report.filename, media_type=report.media_type, content=report.content
                )
            ],
            now=moment,
        )
        subscription.last_sent_at = moment
        subscription.next_run_on = next_run(
            subscription.frequency, subscription.run_day, after=today
        )
        sent += 1
    session.flush()
    return DueSummary(sent=sent, suspended=suspended)
