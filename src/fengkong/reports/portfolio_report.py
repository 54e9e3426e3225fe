"""The monthly portfolio report: the book's grades, exposure and expected loss, concentration,
ageing, and the month's alerts and reviews, as HTML, PDF and an Excel workbook.

What each figure means (docs/reports.md, "Portfolio report"):

- Exposure, expected loss, ageing, concentration and the grade distribution are the current
  figures (the exposure snapshots and ratings when the report is generated), labelled "as of"
  the snapshots' computation: snapshots are not kept per month, so a past month shows today's.
- Grade migration compares each customer's grade in force at the previous month's end with the
  one in force at this month's end (its latest score dated on or before each day).
- Alerts opened/closed count alerts raised/closed within the month (business time zone); open
  at month end, those raised before its end and not closed by then.
- Reviews completed count reviews completed within the month; due, those due in the month (not
  cancelled); overdue at month end, those due on or before its last day and not completed by then.

Money is in the credit currency (CNY, ``exposure.results.CREDIT_CURRENCY``), as ``Money``.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from babel.numbers import format_percent
from markupsafe import Markup
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.customers.models import Customer
from fengkong.display.formatting import Formatter
from fengkong.errors import ValidationFailed
from fengkong.exposure import service as exposure_service
from fengkong.exposure.results import CREDIT_CURRENCY, Breakdown, PortfolioSummary
from fengkong.i18n import N_, translations
from fengkong.kit.money import Money
from fengkong.kit.time import business_today, utcnow
from fengkong.monitoring.models import Alert
from fengkong.recorders import record_action
from fengkong.records import field_error
from fengkong.reports.charts import Series, bar_chart
from fengkong.reports.files import ReportFile
from fengkong.reports.rendering import render_report, report_bytes
from fengkong.reports.workbook import Cell, Column, ColumnKind, Section, workbook_bytes
from fengkong.reviews.models import Review
from fengkong.reviews.status import ReviewStatus
from fengkong.risk import configs
from fengkong.risk import service as risk_service
from fengkong.risk.models import RiskScore
from fengkong.risk.service import RatingSummary
from fengkong.settings import Locale, get_settings

ReportFormat = Literal["html", "pdf", "xlsx"]
LARGEST = 10
"""Customers listed in the concentration section (largest expected losses)."""
MEDIA_TYPES: dict[ReportFormat, str] = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
BUCKET_LABELS: dict[str, str] = {
    "not_due": N_("Not due"),
    "dpd_1_30": N_("1–30 days"),
    "dpd_31_60": N_("31–60 days"),
    "dpd_61_90": N_("61–90 days"),
    "dpd_90_plus": N_("Over 90 days"),
}
UNRATED = N_("Unrated")
UNKNOWN = N_("Unknown")


@dataclass(frozen=True, slots=True)
class MonthAlerts:
    opened: int
    closed: int
    open_at_end: int
    opened_by_severity: dict[str, int]


@dataclass(frozen=True, slots=True)
class MonthReviews:
    completed: int
    due: int
    overdue_at_end: int


@dataclass(frozen=True, slots=True)
class MonthMigration:
    """Grade at the previous month end → grade at this month end → customers."""

    grades: tuple[str, ...]
    counts: dict[str, dict[str, int]]
    newly_rated: int
    upgraded: int
    downgraded: int
    unchanged: int


@dataclass(frozen=True, slots=True)
class PortfolioReport:
    """The month's figures, pure data; ``None`` for areas the reader may not read."""

    month: date
    month_end: date
    generated_at: datetime
    currency: str
    exposure: PortfolioSummary
    ratings: RatingSummary | None
    migration: MonthMigration | None
    alerts: MonthAlerts | None
    reviews: MonthReviews | None

    def money(self, minor_units: int) -> Money:
        return Money.from_minor_units(minor_units, self.currency)


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def last_complete_month(today: date) -> date:
    """The default report month: the month before ``today``'s."""
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def report_month(text: str | None, *, today: date) -> date:
    """The month asked for as ``YYYY-MM`` (its first day), or the last complete one."""
    if not text:
        return last_complete_month(today)
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError as exc:
        raise ValidationFailed(
            "the report month is written YYYY-MM",
            details=[field_error("month", text, "not a month written YYYY-MM")],
        ) from exc


def _bounds(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The month as a half-open range of instants in the business time zone."""
    start = datetime.combine(first, time(), zone)
    end = datetime.combine(last + timedelta(days=1), time(), zone)
    return start, end


def _grades_on(day: date) -> Select[tuple[int, str]]:
    """Each customer's grade in force on ``day``: its latest score dated on or before it."""
    ranked = (
        select(
            RiskScore.customer_id,
            RiskScore.grade,
            func.row_number()
            .over(
                partition_by=RiskScore.customer_id,
                order_by=(RiskScore.as_of.desc(), RiskScore.id.desc()),
            )
            .label("rank"),
        )
        .where(RiskScore.as_of <= day)
        .subquery()
    )
    return select(ranked.c.customer_id, ranked.c.grade).where(ranked.c.rank == 1)


def _migration(session: Session, actor: Actor, first: date, last: date) -> MonthMigration:
    before = _grades_on(first - timedelta(days=1)).subquery()
    after = _grades_on(last).subquery()
    rows = session.execute(
        select(before.c.grade, after.c.grade, func.count())
        .select_from(after)
        .join(Customer, Customer.id == after.c.customer_id)
        .outerjoin(before, before.c.customer_id == after.c.customer_id)
        .where(Customer.archived_at.is_(None))
        .group_by(before.c.grade, after.c.grade)
    ).all()
    counts: dict[str, dict[str, int]] = {}
    newly_rated = 0
    for then, now, count in rows:
        if then is None:
            newly_rated += count
        else:
            counts.setdefault(then, {})[now] = count
    scale = tuple(grade.code for grade in configs.active_scale(session, actor).grades)
    found = set(counts) | {now for row in counts.values() for now in row}
    grades = scale + tuple(sorted(found - set(scale)))
    rank = {grade: index for index, grade in enumerate(grades)}
    moves = [(rank[then] - rank[now], n) for then, row in counts.items() for now, n in row.items()]
    return MonthMigration(
        grades=grades,
        counts=counts,
        newly_rated=newly_rated,
        upgraded=sum(n for step, n in moves if step > 0),
        downgraded=sum(n for step, n in moves if step < 0),
        unchanged=sum(n for step, n in moves if step == 0),
    )


def _alerts(session: Session, start: datetime, end: datetime) -> MonthAlerts:
    opened: dict[str, int] = {
        str(severity): count
        for severity, count in session.execute(
            select(Alert.severity, func.count())
            .where(Alert.raised_at >= start, Alert.raised_at < end)
            .group_by(Alert.severity)
        )
    }
    closed = session.scalar(
        select(func.count()).where(Alert.closed_at >= start, Alert.closed_at < end)
    )
    open_at_end = session.scalar(
        select(func.count()).where(
            Alert.raised_at < end, or_(Alert.closed_at.is_(None), Alert.closed_at >= end)
        )
    )
    return MonthAlerts(
        opened=sum(opened.values()),
        closed=closed or 0,
        open_at_end=open_at_end or 0,
        opened_by_severity=opened,
    )


def _reviews(session: Session, first: date, last: date) -> MonthReviews:
    live = Review.status != ReviewStatus.CANCELLED
    completed = session.scalar(
        select(func.count()).where(
            Review.status == ReviewStatus.COMPLETED,
            Review.completed_on >= first,
            Review.completed_on <= last,
        )
    )
    due = session.scalar(
        select(func.count()).where(live, Review.due_on >= first, Review.due_on <= last)
    )
    overdue = session.scalar(
        select(func.count()).where(
            live,
            Review.due_on <= last,
            or_(
                Review.status != ReviewStatus.COMPLETED,
                and_(Review.completed_on.is_not(None), Review.completed_on > last),
            ),
        )
    )
    return MonthReviews(completed=completed or 0, due=due or 0, overdue_at_end=overdue or 0)


def gather(session: Session, actor: Actor, *, month: date) -> PortfolioReport:
    """The report's figures for ``month`` (its first day; a month not yet begun is refused)."""
    auth_service.ensure_permission(actor, Permission.CUSTOMERS_ALL)
    auth_service.ensure_permission(actor, Permission.EXPOSURE_READ)
    zone = get_settings().zone
    if month.day != 1 or month > business_today(zone):
        raise ValidationFailed(
            "the report month must be a month that has begun, given by its first day",
            details=[field_error("month", month, "not the first day of a begun month")],
        )
    last = month_end(month)
    start, end = _bounds(month, last, zone)
    reads_risk = actor.can(Permission.RISK_READ)
    return PortfolioReport(
        month=month,
        month_end=last,
        generated_at=utcnow(),
        currency=CREDIT_CURRENCY,
        exposure=exposure_service.portfolio_summary(session, actor, top_n=LARGEST),
        ratings=risk_service.rating_summary(session, actor) if reads_risk else None,
        migration=_migration(session, actor, month, last) if reads_risk else None,
        alerts=_alerts(session, start, end) if actor.can(Permission.ALERTS_READ) else None,
        reviews=_reviews(session, month, last) if actor.can(Permission.REVIEWS_READ) else None,
    )


def _breakdown_rows(
    report: PortfolioReport, rows: tuple[Breakdown, ...], name: Callable[[str], str]
) -> tuple[tuple[Cell, ...], ...]:
    return tuple(
        (
            name(row.key),
            row.customers,
            report.money(row.gross_exposure),
            report.money(row.net_exposure),
            report.money(row.ead),
            report.money(row.expected_loss),
        )
        for row in rows
    )


def sections(report: PortfolioReport, locale: Locale) -> tuple[Section, ...]:
    """The report as tables with their titles in ``locale``: the HTML and the workbook show the
    same cells, so their figures cannot differ."""
    _ = translations(locale).gettext
    formatter = Formatter(locale, get_settings().zone)
    summary = report.exposure
    money = report.money

    def known(show: Callable[[str | None], str]) -> Callable[[str], str]:
        return lambda key: _(UNKNOWN) if key == exposure_service.UNKNOWN else show(key)

    def grade(key: str) -> str:
        return _(UNRATED) if key == exposure_service.UNRATED else key

    exposure_columns = (
        Column(_("Customers"), "count"),
        Column(_("Gross exposure"), "money"),
        Column(_("Net exposure"), "money"),
        Column(_("EAD"), "money"),
        Column(_("Expected loss"), "money"),
    )
    figure, value = Column(_("Figure"), "text"), Column(_("Value"), "money")
    found: list[Section] = [
        Section(
            "summary",
            _("Summary"),
            (figure, value),
            (
                (_("Open receivables"), money(summary.open_receivables)),
                (_("Overdue"), money(summary.overdue)),
                (_("Gross exposure"), money(summary.gross_exposure)),
                (_("Net exposure"), money(summary.net_exposure)),
                (_("EAD"), money(summary.ead)),
                (_("Expected loss"), money(summary.expected_loss)),
                (_("EAD of unrated customers"), money(summary.unrated_ead)),
            ),
        )
    ]
    if report.ratings is not None:
        ratings = report.ratings
        found.append(
            Section(
                "grades",
                _("Grade distribution"),
                (Column(_("Grade"), "text"), Column(_("Customers"), "count")),
                (
                    *((code, count) for code, count in ratings.by_grade.items()),
                    (_(UNRATED), ratings.unrated),
                ),
            )
        )
    if report.migration is not None:
        migration = report.migration
        found.append(
            Section(
                "migration",
                _("Grade migration"),
                (
                    Column(_("Grade at previous month end"), "text"),
                    *(Column(code, "count") for code in migration.grades),
                ),
                tuple(
                    (then, *(migration.counts[then].get(now, 0) for now in migration.grades))
                    for then in migration.grades
                    if then in migration.counts
                ),
            )
        )
        found.append(
            Section(
                "grade_changes",
                _("Grade changes in the month"),
                (figure, Column(_("Customers"), "count")),
                (
                    (_("Upgraded"), migration.upgraded),
                    (_("Downgraded"), migration.downgraded),
                    (_("Unchanged"), migration.unchanged),
                    (_("Newly rated"), migration.newly_rated),
                ),
            )
        )
    found += [
        Section(
            "exposure_by_grade",
            _("Exposure and expected loss by grade"),
            (Column(_("Grade"), "text"), *exposure_columns),
            _breakdown_rows(report, summary.by_grade, grade),
        ),
        Section(
            "industries",
            _("Exposure by industry"),
            (Column(_("Industry"), "text"), *exposure_columns),
            _breakdown_rows(report, summary.by_industry, known(formatter.industry)),
        ),
        Section(
            "regions",
            _("Exposure by region"),
            (Column(_("Region"), "text"), *exposure_columns),
            _breakdown_rows(report, summary.by_region, known(formatter.region)),
        ),
        Section(
            "concentration",
            _("Concentration"),
            (figure, Column(_("Share"), "share")),
            (
                (_("Top 10 share of net exposure"), summary.top_share),
                (_("Herfindahl index"), summary.herfindahl),
            ),
        ),
        Section(
            "largest_losses",
            _("Largest expected losses"),
            (
                Column(_("Customer"), "text"),
                Column(_("Grade"), "text"),
                Column(_("PD"), "share"),
                Column(_("EAD"), "money"),
                Column(_("Expected loss"), "money"),
            ),
            tuple(
                (row.name, row.grade, row.pd, money(row.ead), money(row.expected_loss))
                for row in summary.largest_losses
            ),
        ),
        Section(
            "ageing",
            _("Overdue ageing"),
            (Column(_("Bucket"), "text"), Column(_("Open receivables"), "money")),
            tuple(
                (_(BUCKET_LABELS.get(bucket, bucket)), money(amount))
                for bucket, amount in summary.receivables_by_bucket.items()
            ),
        ),
    ]
    count = Column(_("Count"), "count")
    if report.alerts is not None:
        alerts = report.alerts
        found.append(
            Section(
                "alerts",
                _("Alerts"),
                (figure, count),
                (
                    (_("Opened in the month"), alerts.opened),
                    (_("Closed in the month"), alerts.closed),
                    (_("Open at month end"), alerts.open_at_end),
                ),
            )
        )
    if report.reviews is not None:
        reviews = report.reviews
        found.append(
            Section(
                "reviews",
                _("Reviews"),
                (figure, count),
                (
                    (_("Completed in the month"), reviews.completed),
                    (_("Due in the month"), reviews.due),
                    (_("Overdue at month end"), reviews.overdue_at_end),
                ),
            )
        )
    return tuple(found)


def _cell_text(locale: Locale) -> Callable[[Cell, ColumnKind], str]:
    formatter = Formatter(locale, get_settings().zone)

    def show(cell: Cell, kind: ColumnKind) -> str:
        if cell is None:
            return ""
        if isinstance(cell, Money):
            return formatter.money(cell)
        if isinstance(cell, str):
            return cell
        if kind == "share":
            return str(format_percent(cell, "#,##0.00%", locale=locale))
        return formatter.number(Decimal(str(cell)))

    return show


def _charts(report: PortfolioReport, locale: Locale) -> dict[str, Markup]:
    """Bar charts of the grade distribution, of expected loss by grade and of the ageing."""
    _ = translations(locale).gettext
    summary = report.exposure
    found: dict[str, Markup] = {}
    if report.ratings is not None:
        grades = report.ratings.by_grade
        found["grades"] = bar_chart(
            _("Customers by grade"),
            [*grades, _(UNRATED)],
            Series(_("Customers"), [*map(float, grades.values()), float(report.ratings.unrated)]),
        )
    thousands = _("thousand %(currency)s") % {"currency": report.currency}

    def in_thousands(minor_units: int) -> float:
        return float(report.money(minor_units).amount) / 1000

    by_grade = summary.by_grade
    found["exposure_by_grade"] = bar_chart(
        _("Expected loss by grade"),
        [_(UNRATED) if row.key == exposure_service.UNRATED else row.key for row in by_grade],
        Series(_("Expected loss"), [in_thousands(row.expected_loss) for row in by_grade]),
        unit=thousands,
    )
    buckets = summary.receivables_by_bucket
    found["ageing"] = bar_chart(
        _("Overdue ageing"),
        [_(BUCKET_LABELS.get(bucket, bucket)) for bucket in buckets],
        Series(_("Open receivables"), [in_thousands(amount) for amount in buckets.values()]),
        unit=thousands,
    )
    return found


def render_html(report: PortfolioReport, *, locale: Locale) -> str:
    return render_report(
        "portfolio_report.html",
        {
            "report": report,
            "sections": sections(report, locale),
            "charts": _charts(report, locale),
            "show": _cell_text(locale),
        },
        locale=locale,
        zone=get_settings().timezone,
    )


def portfolio_report_file(
    session: Session, actor: Actor, *, month: date, fmt: ReportFormat, locale: Locale
) -> ReportFile:
    """The month's portfolio report as a file, audited as ``report`` of ``portfolio``."""
    report = gather(session, actor, month=month)
    label = month.strftime("%Y-%m")
    if fmt == "xlsx":
        content = workbook_bytes(sections(report, locale))
    else:
        html = render_html(report, locale=locale)
        content = report_bytes(html, fmt)
    record_action(
        session,
        action="report",
        entity_type="portfolio",
        entity_id=label,
        details={"format": fmt, "locale": locale},
        actor=actor,
    )
    return ReportFile(
        filename=f"portfolio-report-{label}.{fmt}", media_type=MEDIA_TYPES[fmt], content=content
    )
