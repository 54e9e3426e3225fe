"""The customer credit report (客户资信报告): what a credit committee reads before deciding on a
customer, as one HTML document and its PDF, in the reader's language.

The data comes straight from the domain services the customer page uses (customers, risk,
exposure, limits, financials, receivables, monitoring, reviews), never from the web layer; each
section appears only when the reader holds the permission that section needs, exactly as on the
page. The analyst's recommendation is what is stored, not invented: the latest completed
review's outcomes and notes, and the latest decided limit request with its decisions' comments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from babel.numbers import format_decimal, format_percent
from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.access.scope import sees_every_customer, visible_customer_ids
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.customers import related_parties as related_parties_service
from fengkong.customers import service as customers_service
from fengkong.customers.models import Customer
from fengkong.customers.related_parties import RelatedPartyFilter
from fengkong.customers.service import CustomerNotFound
from fengkong.customers.status import USCCVerification
from fengkong.display.formatting import Formatter
from fengkong.display.labels import (
    ACTION_STATUS_LABELS,
    ALERT_ACTION_LABELS,
    ALERT_STATUS_LABELS,
    RELATED_PARTY_ROLE_LABELS,
)
from fengkong.exposure import service as exposure_service
from fengkong.exposure.ageing import BUCKETS
from fengkong.financials import service as financials_service
from fengkong.i18n import N_, translations
from fengkong.kit.money import Money
from fengkong.kit.pagination import PageRequest
from fengkong.kit.time import business_today, utcnow
from fengkong.limits import service as limits_service
from fengkong.limits.models import LimitRequestDecision
from fengkong.limits.status import Decision, RequestStatus
from fengkong.monitoring import service as monitoring_service
from fengkong.monitoring.rules import SEVERITY_LABELS
from fengkong.monitoring.service import AlertFilter
from fengkong.privacy.disclosure import Disclosure
from fengkong.receivables import service as receivables_service
from fengkong.recorders import record_action
from fengkong.reports.charts import Series, bar_chart, grouped_bar_chart, line_chart
from fengkong.reports.files import ReportFile
from fengkong.reports.rendering import render_report, report_bytes
from fengkong.reviews import service as reviews_service
from fengkong.reviews.status import REVIEW_STATUS_LABELS, GradeOutcome, LimitOutcome, ReviewStatus
from fengkong.risk import views as risk_views
from fengkong.scoring.features.catalogue import FEATURE_SPECS, Unit
from fengkong.settings import Locale, get_settings

TEMPLATE = "customer_report.html"
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}
MAX_PARTIES = 20
RECENT_ALERTS = 10
RECENT_ACTIONS = 10
RECENT_REVIEWS = 10
REPORTED_RATIOS = (
    "debt_to_asset",
    "current_ratio",
    "quick_ratio",
    "net_profit_margin",
    "return_on_assets",
    "interest_coverage",
)
CHARTED_PERCENT = ("debt_to_asset", "net_profit_margin", "return_on_assets")
CHARTED_TIMES = ("current_ratio", "quick_ratio")
BUCKET_LABELS: dict[str, str] = {
    "not_due": N_("Not due"),
    "dpd_1_30": N_("1–30 days"),
    "dpd_31_60": N_("31–60 days"),
    "dpd_61_90": N_("61–90 days"),
    "dpd_90_plus": N_("Over 90 days"),
}
DECIDED = (RequestStatus.APPROVED, RequestStatus.REJECTED)
# Labels only the report shows; the ones it shares with the pages come from fengkong.display.
OUTCOME_LABELS: dict[str, str] = {
    GradeOutcome.CONFIRMED: N_("Grade confirmed"),
    GradeOutcome.OVERRIDDEN: N_("Grade overridden"),
    LimitOutcome.KEPT: N_("Limit kept"),
    LimitOutcome.CHANGED: N_("Limit changed"),
    RequestStatus.APPROVED: N_("Approved"),
    RequestStatus.REJECTED: N_("Rejected"),
}
ACTION_LABELS: dict[str, str] = {
    **{str(code): label for code, label in ALERT_ACTION_LABELS.items()},
    **{str(status): label for status, label in ACTION_STATUS_LABELS.items()},
    Decision.APPROVE: N_("Approve"),
    Decision.REJECT: N_("Reject"),
}
VERIFICATION_LABELS: dict[str, str] = {
    USCCVerification.UNVERIFIED: N_("USCC unverified"),
    USCCVerification.VERIFIED: N_("USCC verified"),
    USCCVerification.MISMATCH: N_("USCC mismatch"),
}
LABELS: dict[str, Any] = {
    "verification": VERIFICATION_LABELS,
    "relations": RELATED_PARTY_ROLE_LABELS,
    "alert_statuses": ALERT_STATUS_LABELS,
    "severities": SEVERITY_LABELS,
    "review_statuses": REVIEW_STATUS_LABELS,
    "outcomes": OUTCOME_LABELS,
    "actions": ACTION_LABELS,
}


@dataclass(frozen=True, slots=True)
class _Show:
    """Numbers and words in the reader's language."""

    locale: Locale
    formatter: Formatter

    def gettext(self, message: str) -> str:
        return translations(self.locale).gettext(message)

    def text(self, zh: str, en: str) -> str:
        return zh if self.locale == "zh_CN" else en

    def money(self, minor: int | None, currency: str) -> str:
        if minor is None:
            return "—"
        return self.formatter.money(Money.from_minor_units(minor, currency))

    def share(self, value: float | None) -> str:
        if value is None or math.isnan(value):
            return "—"
        return str(format_percent(value, "#,##0.##%", locale=self.locale))

    def decimal(self, value: float | None, pattern: str = "#,##0.#") -> str:
        if value is None or math.isnan(value):
            return "—"
        return str(format_decimal(value, pattern, locale=self.locale))

    def month(self, day: date) -> str:
        return str(format_skeleton("yMMM", day, locale=self.locale))

    def axis_month(self, day: date) -> str:
        """A short month for a chart's axis, the same in both languages (2026-06)."""
        return f"{day:%Y-%m}"

    def ratio(self, name: str, value: float | None) -> str:
        if value is None or math.isnan(value):
            return "—"
        if FEATURE_SPECS[name].unit is Unit.RATIO:
            return self.share(value)
        return f"{self.decimal(value, '#,##0.##')}×"


def _ensure_visible(session: Session, actor: Actor, customer_id: int) -> Customer:
    """The customer, or not found when it is outside the actor's scope (even if the session's
    automatic scope is not installed, as in a CLI or a scheduled job)."""
    auth_service.ensure_permission(actor, Permission.CUSTOMERS_READ)
    customer = customers_service.get_customer(session, actor, customer_id)
    if not sees_every_customer(actor):
        visible = visible_customer_ids(actor).where(Customer.__table__.c.id == customer_id)
        if session.scalar(visible) is None:
            raise CustomerNotFound(f"no customer with id {customer_id}")
    return customer


def _profile(session: Session, actor: Actor, customer: Customer) -> dict[str, Any]:
    disclosure = Disclosure(actor)
    [personal] = disclosure.show([customer], table="customers", customer_attribute="id")
    disclosure.record(session)
    owner = (
        auth_service.load_actor(session, customer.owner_id)
        if customer.owner_id is not None
        else None
    )
    return {"customer": customer, "personal": personal, "owner": owner}


def _parties(session: Session, actor: Actor, customer: Customer) -> list[dict[str, Any]]:
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
    rows = []
    for link in links.items:
        direct = link.customer_id == customer.id
        other = others.get(link.related_customer_id if direct else link.customer_id)
        if other is None:
            continue
        rows.append(
            {
                "name": other.name,
                "relation": RELATED_PARTY_ROLE_LABELS[(link.relation_type, direct)],
                "share": float(link.ownership_share) if link.ownership_share is not None else None,
                "since": link.since,
                "verified": link.verified,
            }
        )
    return rows


def _financials(
    session: Session, actor: Actor, customer_id: int, show: _Show
) -> dict[str, Any] | None:
    if not actor.can(Permission.FINANCIALS_READ):
        return None
    statements = financials_service.ratio_trend(session, actor, customer_id=customer_id)
    periods = [show.axis_month(statement.period_end) for statement in statements]
    charts = []
    if len(statements) > 1:
        for names, unit in ((CHARTED_PERCENT, "%"), (CHARTED_TIMES, "×")):
            scale = 100.0 if unit == "%" else 1.0
            series = [
                Series(
                    FEATURE_SPECS[name].label(show.locale),
                    [None if (v := s.ratios[name]) is None else v * scale for s in statements],
                )
                for name in names
            ]
            charts.append(line_chart(show.gettext("Ratio trends"), periods, series, unit=unit))
    return {
        "headers": [FEATURE_SPECS[name].label(show.locale) for name in REPORTED_RATIOS],
        "rows": [
            {
                "period_end": statement.period_end,
                "period_months": statement.period_months,
                "cells": [show.ratio(name, statement.ratios[name]) for name in REPORTED_RATIOS],
            }
            for statement in reversed(statements)
        ],
        "charts": charts,
    }


def _payments(
    session: Session, actor: Actor, customer_id: int, today: date, show: _Show
) -> dict[str, Any] | None:
    if not actor.can(Permission.RECEIVABLES_READ):
        return None
    months = receivables_service.payment_history(
        session, actor, customer_id=customer_id, as_of=today
    )
    observed = [month for month in months if month.weighted_dpd is not None]
    labels = [show.axis_month(month.month_end) for month in months]
    chart = (
        grouped_bar_chart(
            show.gettext("Days past due by month"),
            labels,
            [
                Series(show.gettext("Weighted days past due"), [m.weighted_dpd for m in months]),
                Series(
                    show.gettext("Most days past due"),
                    [None if m.max_dpd is None else float(m.max_dpd) for m in months],
                ),
            ],
        )
        if observed
        else None
    )
    return {
        "rows": [
            {
                "month": show.month(month.month_end),
                "weighted": show.decimal(month.weighted_dpd),
                "worst": show.decimal(None if month.max_dpd is None else float(month.max_dpd)),
            }
            for month in reversed(observed)
        ],
        "chart": chart,
    }


def _risk(session: Session, actor: Actor, customer_id: int, show: _Show) -> dict[str, Any] | None:
    if not actor.can(Permission.RISK_READ):
        return None
    view = risk_views.customer_risk(session, actor, customer_id=customer_id)
    risk = view.risk
    history = view.history
    chart = (
        line_chart(
            show.gettext("Score history"),
            [show.formatter.date(entry.as_of) for entry in history],
            [Series(show.gettext("Score"), [entry.score for entry in history])],
        )
        if len(history) > 1
        else None
    )
    return {
        "risk": risk,
        "score": show.decimal(risk.score) if risk else None,
        "pd": show.share(risk.pd) if risk else None,
        "grade_label": show.text(view.grade.label_zh, view.grade.label_en) if view.grade else None,
        "reasons": [show.text(r.text_zh, r.text_en) for r in risk.reasons] if risk else [],
        "knocked_out_by": (
            FEATURE_SPECS[risk.knocked_out_by].label(show.locale)
            if risk and risk.knocked_out_by
            else None
        ),
        "history": [
            {
                "as_of": entry.as_of,
                "grade": entry.grade,
                "score": show.decimal(entry.score),
                "pd": show.share(entry.pd),
            }
            for entry in reversed(history[-RECENT_REVIEWS:])
        ],
        "chart": chart,
    }


def _exposure(
    session: Session, actor: Actor, customer_id: int, today: date, show: _Show
) -> dict[str, Any] | None:
    if not actor.can(Permission.EXPOSURE_READ):
        return None
    exposure = exposure_service.get_exposure(session, actor, customer_id=customer_id, as_of=today)
    currency = exposure.currency
    mitigants = [
        {
            "provider": mitigant.provider or mitigant.description or "—",
            "amount": show.formatter.money(mitigant.amount),
            "haircut": show.share(mitigant.haircut),
            "covered": show.formatter.money(exposure_service.covered(mitigant)),
            "valid_until": mitigant.valid_until,
        }
        for mitigant in exposure_service.list_mitigants(session, actor, customer_id=customer_id)
    ]
    buckets = [show.gettext(BUCKET_LABELS[name]) for name in BUCKETS]
    return {
        "exposure": exposure,
        "amounts": {
            name: show.money(getattr(exposure, name), currency)
            for name in (
                "open_receivables",
                "overdue",
                "disputed",
                "open_orders",
                "contract_commitments",
                "gross_exposure",
                "mitigation",
                "net_exposure",
                "ead",
                "unsecured",
                "expected_loss",
            )
        },
        "lgd": show.share(exposure.lgd),
        "buckets": [
            (label, show.money(exposure.receivables_by_bucket[name], currency))
            for label, name in zip(buckets, BUCKETS, strict=True)
        ],
        "ageing_chart": (
            bar_chart(
                show.gettext("Receivables by age"),
                buckets,
                Series(
                    show.gettext("Open receivables"),
                    [exposure.receivables_by_bucket[name] / 100 for name in BUCKETS],
                ),
            )
            if exposure.open_receivables
            else None
        ),
        "mitigants": mitigants,
    }


def _limit(
    session: Session,
    actor: Actor,
    customer_id: int,
    today: date,
    show: _Show,
    exposure: dict[str, Any] | None,
) -> dict[str, Any] | None:
    if not actor.can(Permission.LIMITS_READ):
        return None
    found = limits_service.customer_limit(session, actor, customer_id=customer_id, today=today)
    in_force = found.in_force
    chart = None
    if in_force is not None and exposure is not None:
        figures = exposure["exposure"]
        if figures.currency == in_force.amount.currency:
            labels = [show.gettext("Credit limit"), show.gettext("Gross exposure")]
            chart = bar_chart(
                show.gettext("Exposure against the limit"),
                labels,
                Series(
                    show.gettext("Amount"),
                    [float(in_force.amount.amount), figures.gross_exposure / 100],
                ),
            )
    return {
        "in_force": in_force,
        "recommendation": found.recommendation,
        "reasons": found.recommendation.texts(show.locale),
        "blocks": found.blocks,
        "chart": chart,
    }


def _monitoring(session: Session, actor: Actor, customer_id: int) -> dict[str, Any] | None:
    if not actor.can(Permission.ALERTS_READ):
        return None
    alerts = monitoring_service.list_alerts(
        session, actor, criteria=AlertFilter(customer_id=customer_id), limit=RECENT_ALERTS
    )
    actions = monitoring_service.list_actions(
        session, actor, customer_id=customer_id, limit=RECENT_ACTIONS
    )
    return {"alerts": alerts, "actions": actions}


def _recommendation(
    session: Session, actor: Actor, customer_id: int, today: date
) -> dict[str, Any] | None:
    """What the analysts said: the latest completed review, the latest decided limit request
    and its decisions' comments. Each part only with the permission its data needs."""
    reviews = (
        reviews_service.list_reviews(session, actor, today=today, customer_id=customer_id, limit=50)
        if actor.can(Permission.REVIEWS_READ)
        else None
    )
    completed = [r for r in reviews or [] if r.status is ReviewStatus.COMPLETED]
    last_review = max(completed, key=lambda r: (r.completed_on or r.due_on, r.id), default=None)
    decided = None
    decisions: list[LimitRequestDecision] = []
    if actor.can(Permission.LIMITS_READ):
        requests = limits_service.list_requests(session, actor, customer_id=customer_id, limit=50)
        decided = next((r for r in requests if r.status in DECIDED), None)
        if decided is not None:
            decisions = list(
                session.scalars(
                    select(LimitRequestDecision)
                    .where(LimitRequestDecision.request_id == decided.id)
                    .order_by(LimitRequestDecision.decided_at)
                )
            )
    if reviews is None and not actor.can(Permission.LIMITS_READ):
        return None
    return {
        "reviews": (reviews or [])[:RECENT_REVIEWS],
        "last_review": last_review,
        "limit_request": decided,
        "decisions": decisions,
    }


def report_context(
    session: Session, actor: Actor, customer_id: int, *, locale: Locale, zone: str
) -> dict[str, Any]:
    """Everything the template shows, each section gated by its permission."""
    customer = _ensure_visible(session, actor, customer_id)
    tz = ZoneInfo(zone)
    today = business_today(tz)
    show = _Show(locale, Formatter(locale, tz))
    exposure = _exposure(session, actor, customer_id, today, show)
    return {
        **_profile(session, actor, customer),
        "labels": LABELS,
        "report_date": today,
        "generated_at": utcnow(),
        "parties": _parties(session, actor, customer),
        "financials": _financials(session, actor, customer_id, show),
        "payments": _payments(session, actor, customer_id, today, show),
        "risk": _risk(session, actor, customer_id, show),
        "exposure": exposure,
        "limit": _limit(session, actor, customer_id, today, show, exposure),
        "monitoring": _monitoring(session, actor, customer_id),
        "recommendation": _recommendation(session, actor, customer_id, today),
    }


def customer_report_file(
    session: Session,
    actor: Actor,
    customer_id: int,
    *,
    fmt: Literal["html", "pdf"],
    locale: Locale,
) -> ReportFile:
    """The report as a file to serve or attach; the generation is audited (who, which customer,
    which format and language)."""
    zone = get_settings().timezone
    context = report_context(session, actor, customer_id, locale=locale, zone=zone)
    html = render_report(TEMPLATE, {**context, "for_print": fmt == "pdf"}, locale=locale, zone=zone)
    content = report_bytes(html, fmt)
    record_action(
        session,
        action="report",
        entity_type="customers",
        entity_id=str(customer_id),
        details={"format": fmt, "locale": locale},
        actor=actor,
    )
    day = context["report_date"]
    return ReportFile(
        filename=f"customer-report-{customer_id}-{day:%Y%m%d}.{fmt}",
        media_type=MEDIA_TYPES[fmt],
        content=content,
    )
