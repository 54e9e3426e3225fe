"""The customer page's own sections (the customer 360): the related-party graph, financial-ratio
trends, payment behaviour month by month, alerts with their actions and the periodic reviews, and
the interaction log with its form. Each reads the owning area's service with a bounded number of
queries (never one per related party or statement); a section the user may not see is ``None``.
Charts travel as JSON in ``<script type="application/json">`` elements that
static/js/customer.js draws, so the page needs no inline script.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from babel.numbers import format_decimal
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.customers import interactions as interactions_service
from fengkong.customers import related_parties as related_parties_service
from fengkong.customers import service as customers_service
from fengkong.customers.interactions import InteractionProblem
from fengkong.customers.models import Customer, CustomerInteraction
from fengkong.customers.related_parties import RelatedPartyFilter
from fengkong.customers.schemas import InteractionCreate
from fengkong.customers.status import InteractionKind
from fengkong.display.labels import ACTION_STATUS_LABELS, RELATED_PARTY_ROLE_LABELS
from fengkong.financials import service as financials_service
from fengkong.financials.service import StatementRatios
from fengkong.i18n import N_
from fengkong.kit.pagination import Page, PageRequest
from fengkong.monitoring import service as monitoring_service
from fengkong.monitoring.models import Alert, AlertAction
from fengkong.monitoring.service import AlertFilter
from fengkong.monitoring.status import OPEN_STATUSES as OPEN_ALERT_STATUSES
from fengkong.receivables import service as receivables_service
from fengkong.receivables.service import MonthOfPayments
from fengkong.reviews import service as reviews_service
from fengkong.reviews.models import Review
from fengkong.reviews.status import OPEN_STATUSES as OPEN_REVIEW_STATUSES
from fengkong.reviews.status import ReviewStatus
from fengkong.risk import service as risk_service
from fengkong.scoring.features.catalogue import FEATURE_SPECS, Unit
from fengkong.scoring.features.financial import NAMES as RATIO_NAMES
from fengkong.web.routes.risk import Display

MAX_PARTIES = 50
"""Links drawn and listed; a group larger than this is rare and the count says so."""
RECENT_ALERTS = 10
RECENT_ACTIONS = 10
LOG_PAGE_SIZE = 10
CHARTED_RATIOS = (
    "debt_to_asset",
    "net_profit_margin",
    "return_on_assets",
    "current_ratio",
    "quick_ratio",
    "interest_coverage",
)

INTERACTION_KIND_LABELS: dict[InteractionKind, str] = {
    InteractionKind.CALL: N_("Call"),
    InteractionKind.VISIT: N_("Visit"),
    InteractionKind.EMAIL: N_("Email correspondence"),
    InteractionKind.NOTE: N_("Note"),
}

# Validation messages of the interaction form.
KIND_NEEDED = N_("Choose call, visit, email or note.")
WHEN_NEEDED = N_("Enter the date and time it happened.")
FOLLOW_UP_DATE = N_("Enter the follow-up as a date, or leave it empty.")
PROBLEM_MESSAGES: dict[InteractionProblem, str] = {
    InteractionProblem.SUMMARY_REQUIRED: N_("Say what was discussed."),
    InteractionProblem.SUMMARY_TOO_LONG: N_("Keep the summary under %(max)s characters."),
    InteractionProblem.OCCURRED_IN_FUTURE: N_("The interaction cannot be in the future."),
    InteractionProblem.FOLLOW_UP_BEFORE_INTERACTION: N_(
        "The follow-up cannot be before the interaction."
    ),
}
FORM_HAS_PROBLEMS = N_("The interaction was not logged. Correct the marked fields.")


def _month(day: date, display: Display) -> str:
    return str(format_skeleton("yMMM", day, locale=display.numbers))


def _point(value: float | None, digits: int, scale: float = 1.0) -> float | None:
    """A chart value rounded for display; ``None`` (a gap in the line) where there is none."""
    if value is None or math.isnan(value):
        return None
    return round(value * scale, digits)


# --- related parties -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartyRow:
    customer_id: int
    name: str
    role: str
    share: str | None
    since: date | None
    verified: bool
    grade: str | None


@dataclass(frozen=True, slots=True)
class RelatedPartySection:
    rows: tuple[PartyRow, ...]
    total: int
    """Links in all; ``rows`` holds the first ``MAX_PARTIES``."""
    show_grades: bool
    chart: dict[str, Any] | None


def related_party_section(
    session: Session, actor: Actor, customer: Customer, display: Display
) -> RelatedPartySection:
    """The customer's links on either side, each other party with its grade: three queries
    (the links, the other parties, their ratings) however many links there are."""
    links = related_parties_service.list_related_parties(
        session,
        actor,
        criteria=RelatedPartyFilter(involving_customer_id=customer.id),
        page=PageRequest(page_size=MAX_PARTIES),
    )
    other_ids = {
        link.related_customer_id if link.customer_id == customer.id else link.customer_id
        for link in links.items
    }
    others = customers_service.customers_by_id(session, other_ids)
    show_grades = actor.can(Permission.RISK_READ)
    ratings = risk_service.ratings_of(session, [customer.id, *others]) if show_grades else {}
    rows: list[PartyRow] = []
    for link in links.items:
        direct = link.customer_id == customer.id
        other = others[link.related_customer_id if direct else link.customer_id]
        rating = ratings.get(other.id)
        rows.append(
            PartyRow(
                customer_id=other.id,
                name=other.name,
                role=display.gettext(RELATED_PARTY_ROLE_LABELS[(link.relation_type, direct)]),
                share=(
                    display.pd(float(link.ownership_share))
                    if link.ownership_share is not None
                    else None
                ),
                since=link.since,
                verified=link.verified,
                grade=rating.grade if rating else None,
            )
        )
    center = ratings.get(customer.id)
    chart = (
        {
            "locale": "ZH" if display.locale == "zh_CN" else "EN",
            "nodes": [
                {
                    "id": str(customer.id),
                    "name": customer.name,
                    "grade": center.grade if center else None,
                    "center": True,
                },
                *(
                    {
                        "id": str(other.id),
                        "name": other.name,
                        "grade": ratings[other.id].grade if other.id in ratings else None,
                        "href": f"/customers/{other.id}",
                        "center": False,
                    }
                    for other in sorted(others.values(), key=lambda party: party.id)
                ),
            ],
            "links": [
                {"source": str(row.customer_id), "target": str(customer.id), "label": row.role}
                for row in rows
            ],
            "text": {"unrated": display.gettext("Not scored")},
        }
        if rows
        else None
    )
    return RelatedPartySection(tuple(rows), links.total, show_grades, chart)


# --- financial ratios -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RatioRow:
    period_end: date
    period_months: int
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RatioSection:
    headers: tuple[str, ...]
    rows: tuple[RatioRow, ...]
    """Newest first, as a table under the chart."""
    chart: dict[str, Any] | None


def _ratio_chart(statements: list[StatementRatios], display: Display) -> dict[str, Any]:
    """Percentages on the left axis, multiples on the right, one line per ratio."""
    series = []
    for name in CHARTED_RATIOS:
        spec = FEATURE_SPECS[name]
        percent = spec.unit is Unit.RATIO
        series.append(
            {
                "name": spec.label(display.locale),
                "unit": "percent" if percent else "times",
                "values": [
                    _point(statement.ratios[name], 2, 100.0 if percent else 1.0)
                    for statement in statements
                ],
            }
        )
    return {
        "locale": "ZH" if display.locale == "zh_CN" else "EN",
        "periods": [_month(statement.period_end, display) for statement in statements],
        "series": series,
        "text": {"percent": "%", "times": "×"},
    }


def ratio_section(
    session: Session, actor: Actor, customer_id: int, display: Display
) -> RatioSection | None:
    if not actor.can(Permission.FINANCIALS_READ):
        return None
    statements = financials_service.ratio_trend(session, actor, customer_id=customer_id)
    rows = tuple(
        RatioRow(
            period_end=statement.period_end,
            period_months=statement.period_months,
            values=tuple(display.value(name, statement.ratios[name]) for name in RATIO_NAMES),
        )
        for statement in reversed(statements)
    )
    return RatioSection(
        headers=tuple(FEATURE_SPECS[name].label(display.locale) for name in RATIO_NAMES),
        rows=rows,
        chart=_ratio_chart(statements, display) if len(statements) > 1 else None,
    )


# --- payment behaviour ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaymentRow:
    month: str
    weighted: str
    worst: str


@dataclass(frozen=True, slots=True)
class PaymentSection:
    rows: tuple[PaymentRow, ...]
    """Newest month first, only months with something to observe."""
    chart: dict[str, Any] | None


def _days(value: float | None, display: Display) -> str:
    if value is None:
        return "—"
    number = str(format_decimal(value, "#,##0.#", locale=display.numbers))
    return display.ngettext("%(num)s day", "%(num)s days", 1 if value == 1 else 2) % {"num": number}


def payment_section(
    session: Session, actor: Actor, customer_id: int, today: date, display: Display
) -> PaymentSection | None:
    if not actor.can(Permission.RECEIVABLES_READ):
        return None
    months: list[MonthOfPayments] = receivables_service.payment_history(
        session, actor, customer_id=customer_id, as_of=today
    )
    observed = [month for month in months if month.weighted_dpd is not None]
    rows = tuple(
        PaymentRow(
            month=_month(month.month_end, display),
            weighted=_days(month.weighted_dpd, display),
            worst=_days(month.max_dpd, display),
        )
        for month in reversed(observed)
    )
    chart = {
        "locale": "ZH" if display.locale == "zh_CN" else "EN",
        "months": [_month(month.month_end, display) for month in months],
        "weighted": [_point(month.weighted_dpd, 1) for month in months],
        "worst": [month.max_dpd for month in months],
        "text": {
            "weighted": display.gettext("Weighted days past due"),
            "worst": display.gettext("Most days past due"),
            "days": display.gettext("Days"),
        },
    }
    return PaymentSection(rows, chart if observed else None)


# --- alerts, actions, reviews ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MonitoringSection:
    alerts: tuple[Alert, ...] | None
    """Open alerts first, then the latest closed ones; ``None`` without ``alerts:read``."""
    open_alerts: int
    actions: tuple[AlertAction, ...] | None
    open_review: Review | None
    last_review: Review | None
    can_see_reviews: bool


def monitoring_section(
    session: Session, actor: Actor, customer_id: int, today: date
) -> MonitoringSection | None:
    can_see_alerts = actor.can(Permission.ALERTS_READ)
    can_see_reviews = actor.can(Permission.REVIEWS_READ)
    if not can_see_alerts and not can_see_reviews:
        return None
    alerts: tuple[Alert, ...] | None = None
    actions: tuple[AlertAction, ...] | None = None
    open_count = 0
    if can_see_alerts:
        found = monitoring_service.list_alerts(
            session,
            actor,
            criteria=AlertFilter(customer_id=customer_id, open_only=True),
            limit=RECENT_ALERTS,
        )
        recent = monitoring_service.list_alerts(
            session, actor, criteria=AlertFilter(customer_id=customer_id), limit=RECENT_ALERTS
        )
        summary = monitoring_service.open_alerts_by_customer(session, actor, [customer_id])
        open_count = summary[customer_id].count if customer_id in summary else 0
        closed = [alert for alert in recent if alert.status not in OPEN_ALERT_STATUSES]
        alerts = tuple([*found, *closed][:RECENT_ALERTS])
        actions = tuple(
            monitoring_service.list_actions(
                session, actor, customer_id=customer_id, limit=RECENT_ACTIONS
            )
        )
    open_review = last_review = None
    if can_see_reviews:
        reviews = reviews_service.list_reviews(
            session, actor, today=today, customer_id=customer_id, limit=50
        )
        open_review = next((r for r in reviews if r.status in OPEN_REVIEW_STATUSES), None)
        completed = [r for r in reviews if r.status is ReviewStatus.COMPLETED]
        last_review = max(completed, key=lambda r: (r.completed_on or r.due_on, r.id), default=None)
    return MonitoringSection(
        alerts=alerts,
        open_alerts=open_count,
        actions=actions,
        open_review=open_review,
        last_review=last_review,
        can_see_reviews=can_see_reviews,
    )


# --- the interaction log --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InteractionForm:
    """The form's values as posted (the defaults on the customer page) and what is wrong with
    them, by field name; ``problem`` is a message for the whole form."""

    kind: str = InteractionKind.CALL.value
    occurred_at: str = ""
    summary: str = ""
    follow_up_on: str = ""
    errors: Mapping[str, str] = field(default_factory=dict)
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class InteractionSection:
    customer_id: int
    page: Page[CustomerInteraction]
    can_log: bool
    form: InteractionForm
    now: str
    """The latest moment the form accepts, as its datetime-local control writes it."""
    today: date
    saved: str | None = None
    max_length: int = interactions_service.MAX_SUMMARY_LENGTH


def local_minute(moment: datetime, zone: ZoneInfo) -> str:
    """``moment`` as a datetime-local control shows it, in the business time zone."""
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def interaction_section(
    session: Session,
    actor: Actor,
    customer_id: int,
    *,
    now: datetime,
    zone: ZoneInfo,
    page: int = 1,
    form: InteractionForm | None = None,
    saved: str | None = None,
) -> InteractionSection:
    """The log's ``page`` (latest first) and the form; a page past the end shows the last."""
    found = interactions_service.list_interactions(
        session, actor, customer_id=customer_id, page=PageRequest(page, LOG_PAGE_SIZE)
    )
    if not found.items and found.page > found.pages:
        found = interactions_service.list_interactions(
            session, actor, customer_id=customer_id, page=PageRequest(found.pages, LOG_PAGE_SIZE)
        )
    return InteractionSection(
        customer_id=customer_id,
        page=found,
        can_log=actor.can(Permission.CUSTOMERS_WRITE),
        form=form or InteractionForm(occurred_at=local_minute(now, zone)),
        now=local_minute(now, zone),
        today=now.astimezone(zone).date(),
        saved=saved,
    )


def _local(text: str, zone: ZoneInfo) -> datetime | None:
    """A datetime-local value (no zone) read as the business time zone's wall clock, the zone
    every time on the page is shown in."""
    try:
        moment = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    if moment is None:
        return None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def check_interaction_form(
    form: InteractionForm, *, now: datetime, zone: ZoneInfo, gettext: Callable[[str], str]
) -> tuple[InteractionCreate | None, InteractionForm]:
    """The interaction to log, or ``None`` and the form again with a message per field. The
    rules on the text and dates are the service's (``check_interaction``), worded here."""
    errors: dict[str, str] = {}
    kind = next((member for member in InteractionKind if member.value == form.kind), None)
    if kind is None:
        errors["kind"] = gettext(KIND_NEEDED)
    occurred_at = _local(form.occurred_at, zone)
    if occurred_at is None:
        errors["occurred_at"] = gettext(WHEN_NEEDED)
    follow_up_on = _day(form.follow_up_on)
    if form.follow_up_on and follow_up_on is None:
        errors["follow_up_on"] = gettext(FOLLOW_UP_DATE)
    problems = interactions_service.check_interaction(
        summary=form.summary,
        occurred_at=occurred_at or now,
        follow_up_on=follow_up_on,
        now=now,
        zone=zone,
    )
    for problem in problems:
        message = gettext(PROBLEM_MESSAGES[problem.code])
        if problem.code is InteractionProblem.SUMMARY_TOO_LONG:
            message %= {"max": f"{interactions_service.MAX_SUMMARY_LENGTH:,}"}
        errors.setdefault(problem.field, message)
    if errors or kind is None or occurred_at is None:
        checked = InteractionForm(
            kind=form.kind,
            occurred_at=form.occurred_at,
            summary=form.summary,
            follow_up_on=form.follow_up_on,
            errors=errors,
            problem=gettext(FORM_HAS_PROBLEMS),
        )
        return None, checked
    data = InteractionCreate(
        kind=kind, occurred_at=occurred_at, summary=form.summary, follow_up_on=follow_up_on
    )
    return data, form


# --- labels ---------------------------------------------------------------------------------

LABELS: dict[str, Any] = {
    "kinds": INTERACTION_KIND_LABELS,
    "action_statuses": ACTION_STATUS_LABELS,
}
