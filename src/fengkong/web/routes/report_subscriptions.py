"""The signed-in user's report subscriptions, under the notification preferences: create, pause,
resume and delete their own; ``notifications:manage`` also sees and manages everyone's
(docs/reports.md, "Scheduled delivery")."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from fengkong.api.deps import DbSession
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.errors import DomainError
from fengkong.i18n import N_, translations
from fengkong.kit.time import business_today
from fengkong.reports import subscriptions
from fengkong.reports.models import Frequency, ReportFormat, ReportKind
from fengkong.settings import Locale
from fengkong.web import sessions
from fengkong.web.deps import app_settings, request_locale, requires
from fengkong.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE = "/me/notifications/reports"
MAX_FLASH_LENGTH = 400
KIND_LABELS: dict[ReportKind, str] = {
    ReportKind.PORTFOLIO: N_("Monthly portfolio report"),
    ReportKind.CUSTOMER: N_("Customer credit report"),
}
FREQUENCY_LABELS: dict[Frequency, str] = {
    Frequency.DAILY: N_("Daily"),
    Frequency.WEEKLY: N_("Weekly"),
    Frequency.MONTHLY: N_("Monthly"),
}
WEEKDAY_LABELS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)
LOCALE_LABELS: dict[Locale, str] = {"zh_CN": "中文", "en": "English"}
_CREATED = N_("Report subscription saved; the first one goes out on %(day)s.")
_PAUSED = N_("Report subscription paused.")
_RESUMED = N_("Report subscription resumed.")
_DELETED = N_("Report subscription deleted.")
SignedIn = Annotated[Actor, requires(None)]


def _gettext(request: Request) -> Any:
    return translations(request_locale(request)).gettext


def _done(request: Request, message: str) -> Response:
    sessions.flash(request, "success", message)
    return RedirectResponse(PAGE, status_code=303)


def _refused(request: Request, error: DomainError) -> Response:
    sessions.flash(request, "error", error.message[:MAX_FLASH_LENGTH])
    return RedirectResponse(PAGE, status_code=303)


@router.get(PAGE)
def subscriptions_page(request: Request, session: DbSession, actor: SignedIn) -> Response:
    manages = actor.can(Permission.NOTIFICATIONS_MANAGE)
    return render(
        request,
        "notifications/report_subscriptions.html",
        {
            "rows": subscriptions.list_subscriptions(session, actor),
            "everyone": (
                subscriptions.list_subscriptions(session, actor, everyone=True) if manages else []
            ),
            "manages": manages,
            "kinds": KIND_LABELS,
            "frequencies": FREQUENCY_LABELS,
            "weekdays": WEEKDAY_LABELS,
            "format_choices": [(value, value.upper()) for value in ReportFormat],
            "locales": LOCALE_LABELS,
            "chosen_locale": request_locale(request),
        },
    )


@router.post(PAGE)
def create_subscription(
    request: Request,
    session: DbSession,
    actor: SignedIn,
    kind: Annotated[ReportKind, Form()],
    report_format: Annotated[ReportFormat, Form(alias="format")],
    frequency: Annotated[Frequency, Form()],
    email: Annotated[str, Form(max_length=254)],
    locale: Annotated[str, Form(max_length=8)],
    customer_id: Annotated[str, Form(max_length=12)] = "",
    run_day: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    """Subscribe; the run day is the weekday of a weekly and the day of month of a monthly one."""
    form = subscriptions.SubscriptionForm(
        kind=kind,
        customer_id=int(customer_id) if customer_id.isdigit() else None,
        format=report_format,
        frequency=frequency,
        run_day=int(run_day) if run_day.isdigit() and frequency is not Frequency.DAILY else None,
        email=email,
        locale=locale,
    )
    today = business_today(app_settings(request).zone)
    try:
        with session.begin_nested():
            created = subscriptions.create_subscription(session, actor, form, today=today)
    except DomainError as error:
        return _refused(request, error)
    return _done(request, _gettext(request)(_CREATED) % {"day": created.next_run_on.isoformat()})


@router.post(PAGE + "/{subscription_id:int}/active")
def set_active(
    request: Request,
    session: DbSession,
    actor: SignedIn,
    subscription_id: int,
    active: Annotated[bool, Form()],
) -> Response:
    today = business_today(app_settings(request).zone)
    try:
        with session.begin_nested():
            subscriptions.set_active(session, actor, subscription_id, active=active, today=today)
    except DomainError as error:
        return _refused(request, error)
    return _done(request, _gettext(request)(_RESUMED if active else _PAUSED))


@router.post(PAGE + "/{subscription_id:int}/delete")
def delete_subscription(
    request: Request, session: DbSession, actor: SignedIn, subscription_id: int
) -> Response:
    try:
        with session.begin_nested():
            subscriptions.delete_subscription(session, actor, subscription_id)
    except DomainError as error:
        return _refused(request, error)
    return _done(request, _gettext(request)(_DELETED))
