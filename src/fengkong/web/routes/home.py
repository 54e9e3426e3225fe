"""The start page after signing in: the portfolio dashboard for those who read exposure across
the whole book (customers:all), shortcuts for everyone else.

Each panel comes from its area's summary (exposure snapshots, ratings and grade migration,
alerts, reviews), computed together and kept by the portfolio area (``portfolio.service``), and
shows only to readers of that area: sales, who may not read reviews, see the rest. Figures are
formatted here in the reader's language; the charts get plain numbers in a JSON block that
``static/js/dashboard.js`` draws (no inline script).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from babel.dates import format_skeleton
from babel.numbers import format_compact_currency, format_percent
from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from fengkong.access.scope import sees_every_customer
from fengkong.api.deps import DbSession
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.db import Database
from fengkong.display.formatting import Formatter
from fengkong.exposure.ageing import BUCKETS
from fengkong.exposure.results import CREDIT_CURRENCY, Breakdown, PortfolioSummary
from fengkong.i18n import N_, translations
from fengkong.kit.money import Money
from fengkong.kit.time import business_today, utcnow
from fengkong.monitoring.rules import SEVERITY_LABELS
from fengkong.monitoring.service import AlertSummary
from fengkong.portfolio import service as portfolio_service
from fengkong.portfolio.service import PortfolioFigures
from fengkong.reviews.service import ReviewSummary
from fengkong.reviews.status import REVIEW_STATUS_LABELS
from fengkong.risk.service import GradeMigration, RatingSummary
from fengkong.settings import Locale
from fengkong.web.deps import app_settings, request_locale, requires
from fengkong.web.routes.exposure import BUCKET_LABELS
from fengkong.web.templating import render

router = APIRouter(include_in_schema=False)
logger = logging.getLogger(__name__)

COMPACT_FROM = 10_000
CHART_CATEGORIES = 10
"""Industries and regions drawn one by one; the rest are summed as "Other"."""
UNRATED = N_("Unrated")
UNKNOWN = N_("Unknown")
OTHER = N_("Other")


@dataclass(frozen=True, slots=True)
class _Show:
    """The reader's language: translations and the page's formatters."""

    locale: Locale
    formatter: Formatter

    def __call__(self, message: str) -> str:
        return translations(self.locale).gettext(message)

    def money(self, minor: int) -> str:
        return self.formatter.money(Money.from_minor_units(minor, CREDIT_CURRENCY))

    def money_compact(self, minor: int) -> str:
        """¥257.52亿 / CN¥25.75B for a key figure (exact in its title); exact below 10,000."""
        amount = Money.from_minor_units(minor, CREDIT_CURRENCY).amount
        if abs(amount) < COMPACT_FROM:
            return self.money(minor)
        return str(
            format_compact_currency(amount, CREDIT_CURRENCY, locale=self.locale, fraction_digits=2)
        )

    def share(self, part: float, whole: float) -> str:
        value = part / whole if whole else 0.0
        return str(format_percent(value, "#,##0.#%", locale=self.locale))

    def pd(self, value: float) -> str:
        """A probability of default: small, so two decimals of a per cent (0.35%)."""
        return str(format_percent(value, "#,##0.##%", locale=self.locale))

    def day_month(self, day: date) -> str:
        return str(format_skeleton("MMMd", day, locale=self.locale))


def _yuan(minor: int) -> float:
    """Chart values: the credit currency's major units (the page's text stays exact)."""
    return minor / 100


def _largest(
    rows: tuple[Breakdown, ...], name: Callable[[str], str], show: _Show
) -> dict[str, list[Any]]:
    """The ``CHART_CATEGORIES`` rows with the largest EAD, then the others summed."""
    ranked = sorted(rows, key=lambda row: (-row.ead, row.key))
    shown, rest = ranked[:CHART_CATEGORIES], ranked[CHART_CATEGORIES:]
    labels = [show(UNKNOWN) if row.key == "unknown" else name(row.key) for row in shown]
    ead = [_yuan(row.ead) for row in shown]
    if rest:
        labels.append(show(OTHER))
        ead.append(_yuan(sum(row.ead for row in rest)))
    return {"labels": labels, "ead": ead}


def _portfolio(summary: PortfolioSummary, show: _Show) -> dict[str, Any]:
    formatter = show.formatter
    return {
        "summary": summary,
        "gross": show.money(summary.gross_exposure),
        "gross_compact": show.money_compact(summary.gross_exposure),
        "ead_compact": show.money_compact(summary.ead),
        "expected_loss": show.money(summary.expected_loss),
        "expected_loss_compact": show.money_compact(summary.expected_loss),
        "loss_rate": show.share(summary.expected_loss, summary.ead),
        "overdue_compact": show.money_compact(summary.overdue),
        "overdue_share": show.share(summary.overdue, summary.open_receivables),
        "top_share": show.share(summary.top_share, 1),
        "hhi": formatter.number(round(summary.herfindahl * 10_000)),
        "buckets": [
            (show(BUCKET_LABELS[name]), show.money(summary.receivables_by_bucket[name]))
            for name in BUCKETS
        ],
        "largest_losses": [
            {
                "customer_id": row.customer_id,
                "name": row.name,
                "grade": row.grade,
                "pd": show.pd(row.pd),
                "ead": show.money(row.ead),
                "expected_loss": show.money(row.expected_loss),
            }
            for row in summary.largest_losses
        ],
    }


def _portfolio_charts(summary: PortfolioSummary, show: _Show) -> dict[str, Any]:
    by_grade = {row.key: row for row in summary.by_grade}
    grades = [key for key in by_grade if key != "unrated"]
    if "unrated" in by_grade:
        grades.append("unrated")
    return {
        "exposure_by_grade": {
            "labels": [show(UNRATED) if key == "unrated" else key for key in grades],
            "ead": [_yuan(by_grade[key].ead) for key in grades],
            "expected_loss": [_yuan(by_grade[key].expected_loss) for key in grades],
        },
        "ageing": {
            "labels": [show(BUCKET_LABELS[name]) for name in BUCKETS],
            "amounts": [_yuan(summary.receivables_by_bucket[name]) for name in BUCKETS],
        },
        "industries": _largest(summary.by_industry, show.formatter.industry, show),
        "regions": _largest(summary.by_region, show.formatter.region, show),
    }


def _ratings(ratings: RatingSummary, migration: GradeMigration, show: _Show) -> dict[str, Any]:
    rank = {grade: index for index, grade in enumerate(migration.grades)}
    number = show.formatter.number
    upgraded = migration.moved(down=False)
    downgraded = migration.moved(down=True)
    return {
        "ratings": ratings,
        "migration": migration,
        "migration_since": show.formatter.date(migration.since),
        "migration_rows": [
            (
                then,
                [
                    (
                        number(count) if (count := migration.count(then, now)) else "",
                        "same" if then == now else ("down" if rank[now] > rank[then] else "up"),
                    )
                    for now in migration.grades
                ],
            )
            for then in migration.grades
        ],
        "newly_rated_cells": [
            number(migration.newly_rated[now]) if migration.newly_rated.get(now) else ""
            for now in migration.grades
        ],
        "upgraded": number(upgraded),
        "downgraded": number(downgraded),
        "unchanged": number(migration.compared - upgraded - downgraded),
        "rated_share": show.share(ratings.rated, ratings.customers),
    }


def _rating_chart(ratings: RatingSummary, show: _Show) -> dict[str, Any]:
    return {
        "labels": [*ratings.by_grade, show(UNRATED)],
        "grades": [*ratings.by_grade, ""],
        "customers": [*ratings.by_grade.values(), ratings.unrated],
    }


def _alert_chart(summary: AlertSummary, show: _Show) -> dict[str, Any]:
    return {
        "severities": [severity.value for severity in summary.open_by_severity],
        "labels": [show(SEVERITY_LABELS[severity]) for severity in summary.open_by_severity],
        "open": list(summary.open_by_severity.values()),
        "weeks": [show.day_month(week.starts_on) for week in summary.weeks],
        "raised": [
            [week.by_severity[severity] for week in summary.weeks]
            for severity in summary.open_by_severity
        ],
    }


def _due_reviews(summary: ReviewSummary, show: _Show) -> list[dict[str, Any]]:
    return [
        {
            "customer_id": review.customer_id,
            "customer_name": review.customer_name,
            "due_on": show.formatter.date(review.due_on),
            "overdue": review.due_on < summary.today,
            "grade": review.grade,
            "status": show(REVIEW_STATUS_LABELS[review.status]),
            "assignee": review.assignee,
        }
        for review in summary.next_due
    ]


def _context(figures: PortfolioFigures, show: _Show) -> dict[str, Any]:
    summary = figures.exposure
    context: dict[str, Any] = {
        "as_of": show.formatter.date(summary.as_of) if summary.as_of else None,
        "computed_at": show.formatter.datetime(figures.computed_at),
        "portfolio": _portfolio(summary, show),
        "review_horizon_days": portfolio_service.REVIEW_HORIZON_DAYS,
        "ratings": None,
        "alerts": figures.alerts,
        "reviews": figures.reviews,
    }
    chart: dict[str, Any] = {
        "locale": "ZH" if show.locale == "zh_CN" else "EN",
        "text": {
            "customers": show("Customers"),
            "ead": show("Exposure at default"),
            "expected_loss": show("Expected loss"),
            "receivables": show("Open receivables"),
            "open_alerts": show("Open alerts"),
        },
        **_portfolio_charts(summary, show),
    }
    if figures.ratings is not None and figures.migration is not None:
        context |= _ratings(figures.ratings, figures.migration, show)
        chart["customers_by_grade"] = _rating_chart(figures.ratings, show)
    if figures.alerts is not None:
        chart["alerts"] = _alert_chart(figures.alerts, show)
    if figures.reviews is not None:
        context["due_reviews"] = _due_reviews(figures.reviews, show)
    context["chart"] = chart
    return context


_refreshing = threading.Lock()


def _refresh_in_background(database: Database) -> None:
    """Recompute the figures after the page went out, one refresh at a time in this process;
    a failure keeps the figures the page showed."""
    if not _refreshing.acquire(blocking=False):
        return
    try:
        with database.session_scope(actor=portfolio_service.SYSTEM) as session:
            portfolio_service.refresh_figures(session)
    except Exception:
        logger.exception("refreshing the portfolio figures failed; the last ones stay")
    finally:
        _refreshing.release()


def dashboard(
    request: Request, session: Session, actor: Actor, background: BackgroundTasks
) -> dict[str, Any]:
    """The dashboard's context (``None`` without ``exposure:read``) from the figures kept by
    the portfolio area: computed now on the very first visit, refreshed after the response
    when they may be out of date. Readers limited to some customers (sales) get none: the
    figures sum the whole book (and computing them in their request would sum only theirs)."""
    if not actor.can(Permission.EXPOSURE_READ) or not sees_every_customer(actor):
        return {"dashboard": None}
    locale = request_locale(request)
    zone = app_settings(request).zone
    figures = portfolio_service.latest_figures(session, actor)
    if figures is None:
        portfolio_service.refresh_figures(session)
        figures = portfolio_service.latest_figures(session, actor)
        assert figures is not None  # noqa: S101 - just stored in this transaction
    elif portfolio_service.figures_stale(
        session, figures, today=business_today(zone), now=utcnow()
    ):
        background.add_task(_refresh_in_background, request.app.state.database)
    return {"dashboard": _context(figures, _Show(locale, Formatter(locale, zone)))}


@router.get("/")
def home(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(None)],
    background: BackgroundTasks,
) -> Response:
    """The start page: the dashboard for readers of the portfolio, else shortcuts."""
    return render(request, "home/index.html", dashboard(request, session, actor, background))
