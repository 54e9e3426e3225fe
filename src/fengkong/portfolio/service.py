"""The portfolio's figures for the dashboard: the exposure, rating, grade-migration, alert and
review summaries of their areas, computed together by ``refresh_figures`` and kept in one row.

Aggregating a book of 100,000 customers takes seconds (docs/performance.md), so the dashboard
reads the kept row, in milliseconds, and asks for a refresh when the figures may be out of date
(``figures_stale``): an outbox event came after them (acted on at most every ``REFRESH_AFTER``),
they are older than ``MAX_AGE`` (alerts fall due with time alone) or the business day changed.
The daily job and the demo load refresh them too. Callers own the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from pydantic import TypeAdapter
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.events.models import Event
from fengkong.exposure import service as exposure_service
from fengkong.exposure.results import PortfolioSummary
from fengkong.kit.time import business_today, utcnow
from fengkong.monitoring import service as monitoring_service
from fengkong.monitoring.service import AlertSummary
from fengkong.portfolio.models import StoredFigures
from fengkong.reviews import service as reviews_service
from fengkong.reviews.service import ReviewSummary
from fengkong.risk import service as risk_service
from fengkong.risk.service import GradeMigration, RatingSummary
from fengkong.settings import get_settings

SYSTEM = Actor.system("portfolio")
"""Computes the whole book's figures; which panels a reader sees is decided when read."""
MIGRATION_DAYS = 90
REVIEW_HORIZON_DAYS = 30
TREND_WEEKS = 12
LARGEST = 10
"""Rows of the largest expected losses and of the reviews due first."""
REFRESH_AFTER = timedelta(seconds=30)
MAX_AGE = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class PortfolioFigures:
    computed_at: datetime
    today: date
    """The business day the figures were computed for (reviews due, alerts per week)."""
    last_event_id: int
    exposure: PortfolioSummary
    ratings: RatingSummary | None
    migration: GradeMigration | None
    alerts: AlertSummary | None
    reviews: ReviewSummary | None
    """``None`` where the reader may not read the area (kept figures hold every panel)."""


_FIGURES = TypeAdapter(PortfolioFigures)


def _newest_event_id(session: Session) -> int:
    return int(session.scalar(select(func.max(Event.id))) or 0)


def compute_figures(session: Session, *, today: date, now: datetime) -> PortfolioFigures:
    """Every panel's figures from its area's summary, for the whole book."""
    return PortfolioFigures(
        computed_at=now,
        today=today,
        # Read first: an event written while the summaries run makes the figures stale.
        last_event_id=_newest_event_id(session),
        exposure=exposure_service.portfolio_summary(session, SYSTEM, top_n=LARGEST),
        ratings=risk_service.rating_summary(session, SYSTEM),
        migration=risk_service.grade_migration(
            session, SYSTEM, since=today - timedelta(days=MIGRATION_DAYS)
        ),
        alerts=monitoring_service.alert_summary(
            session, SYSTEM, today=today, weeks=TREND_WEEKS, now=now
        ),
        reviews=reviews_service.review_summary(
            session, SYSTEM, today=today, horizon_days=REVIEW_HORIZON_DAYS, limit=LARGEST
        ),
    )


def refresh_figures(
    session: Session, *, today: date | None = None, now: datetime | None = None
) -> PortfolioFigures:
    """Compute the figures and keep them in place of the previous ones."""
    moment = now or utcnow()
    day = today or business_today(get_settings().zone)
    figures = compute_figures(session, today=day, now=moment)
    row = StoredFigures(
        computed_at=moment,
        business_date=day,
        last_event_id=figures.last_event_id,
        figures=_FIGURES.dump_python(figures, mode="json"),
    )
    session.add(row)
    session.flush()
    session.execute(delete(StoredFigures).where(StoredFigures.id < row.id))
    return figures


def latest_figures(session: Session, actor: Actor) -> PortfolioFigures | None:
    """The figures last computed (``None`` before the first), with the panels of areas the
    reader may not read left out. They sum the whole book, so they need ``customers:all``."""
    auth_service.ensure_permission(actor, Permission.EXPOSURE_READ)
    auth_service.ensure_permission(actor, Permission.CUSTOMERS_ALL)
    payload = session.scalars(
        select(StoredFigures.figures).order_by(StoredFigures.id.desc()).limit(1)
    ).first()
    if payload is None:
        return None
    figures = _FIGURES.validate_python(payload)
    reads_risk = actor.can(Permission.RISK_READ)
    return replace(
        figures,
        ratings=figures.ratings if reads_risk else None,
        migration=figures.migration if reads_risk else None,
        alerts=figures.alerts if actor.can(Permission.ALERTS_READ) else None,
        reviews=figures.reviews if actor.can(Permission.REVIEWS_READ) else None,
    )


def figures_stale(
    session: Session, figures: PortfolioFigures, *, today: date, now: datetime
) -> bool:
    """Whether the figures may be out of date: computed for another day, older than
    ``MAX_AGE``, or older than ``REFRESH_AFTER`` with an outbox event written since."""
    age = now - figures.computed_at
    if figures.today != today or age >= MAX_AGE:
        return True
    return age >= REFRESH_AFTER and _newest_event_id(session) > figures.last_event_id
