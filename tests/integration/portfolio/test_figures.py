"""The portfolio's kept figures: computed from each area's summary, read back as they were, shown
per the reader's permissions, and judged stale by day, age and newer events."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission, Role
from fengkong.database import open_database
from fengkong.errors import PermissionDenied
from fengkong.exposure import service as exposure_service
from fengkong.exposure.models import ExposureSnapshot
from fengkong.jobs import periodic
from fengkong.kit.money import Money
from fengkong.monitoring.rules import Severity
from fengkong.portfolio import service
from fengkong.portfolio.models import StoredFigures
from tests import factories
from tests.conftest import migrated_sqlite_url

TODAY = date(2026, 6, 30)
NOW = datetime(2026, 6, 30, 4, 0, tzinfo=UTC)
SYSTEM = Actor.system("test")


def _book(session: Session) -> int:
    customer = factories.customer()
    factories.invoice(
        customer_id=customer.id,
        amount=Money.of("800.00", "CNY"),
        issue_date=date(2026, 5, 1),
        due_date=date(2026, 5, 31),
    )
    factories.rate_customer(session, customer.id, grade="C", pd=0.02, as_of=TODAY)
    exposure_service.refresh_exposures(session, SYSTEM, as_of=TODAY)
    return customer.id


def test_kept_figures_read_back_as_they_were_computed_and_only_the_latest_is_kept(
    session: Session,
) -> None:
    _book(session)
    service.refresh_figures(session, today=TODAY, now=NOW - timedelta(hours=1))

    computed = service.refresh_figures(session, today=TODAY, now=NOW)
    kept = service.latest_figures(session, SYSTEM)

    assert kept == computed
    assert session.scalar(select(func.count()).select_from(StoredFigures)) == 1
    assert kept is not None
    assert (kept.exposure.customers, kept.exposure.overdue) == (1, 800_00)
    assert kept.exposure.expected_loss == 7_20  # 800 × 0.45 × 0.02
    assert kept.ratings is not None
    assert kept.ratings.by_grade["C"] == 1
    assert kept.migration is not None
    assert kept.migration.since == TODAY - timedelta(days=90)
    assert kept.alerts is not None
    assert kept.alerts.open_by_severity[Severity.HIGH] == 0
    assert kept.reviews is not None
    assert kept.reviews.today == TODAY


def test_readers_get_only_the_panels_their_role_reads(session: Session) -> None:
    _book(session)
    service.refresh_figures(session, today=TODAY, now=NOW)
    # A token limited to these permissions: the whole book's exposure, ratings and alerts.
    scopes = frozenset(
        {
            Permission.EXPOSURE_READ,
            Permission.CUSTOMERS_ALL,
            Permission.RISK_READ,
            Permission.ALERTS_READ,
        }
    )
    reader = Actor(user_id=None, username="r", role=Role.AUDITOR, token_scopes=scopes)

    figures = service.latest_figures(session, reader)

    assert figures is not None
    assert figures.exposure.customers == 1
    assert figures.ratings is not None
    assert figures.alerts is not None
    assert figures.reviews is None


def test_sales_get_no_portfolio_figures_which_sum_the_whole_book(session: Session) -> None:
    _book(session)
    service.refresh_figures(session, today=TODAY, now=NOW)
    sales = Actor(user_id=None, username="s", role=Role.SALES)

    with pytest.raises(PermissionDenied):
        service.latest_figures(session, sales)


def test_figures_are_stale_on_another_day_when_old_or_after_a_newer_event(
    session: Session,
) -> None:
    customer = _book(session)
    figures = service.refresh_figures(session, today=TODAY, now=NOW)

    def stale(after: timedelta, today: date = TODAY) -> bool:
        return service.figures_stale(session, figures, today=today, now=NOW + after)

    assert not stale(timedelta(minutes=5))
    assert stale(timedelta(0), today=TODAY + timedelta(days=1))
    assert stale(service.MAX_AGE)
    factories.invoice(customer_id=customer, amount=Money.of("100.00", "CNY"))  # an event
    assert not stale(service.REFRESH_AFTER - timedelta(seconds=1))
    assert stale(service.REFRESH_AFTER)


def test_the_daily_job_ages_the_snapshots_and_keeps_the_figures_once_a_day(
    tmp_path: Path,
) -> None:
    url = migrated_sqlite_url(tmp_path)
    database = open_database(url)
    try:
        with database.session_scope(actor=SYSTEM) as session:
            factories.bind(session)
            try:
                customer = _book(session)
            finally:
                factories.bind(None)

        periodic.run_daily_jobs(database, today=TODAY + timedelta(days=1))
        with database.session_scope(actor=SYSTEM) as session:
            snapshot = session.get_one(ExposureSnapshot, customer)
            first = service.latest_figures(session, SYSTEM)
        periodic.run_daily_jobs(database, today=TODAY + timedelta(days=1))
        with database.session_scope(actor=SYSTEM) as session:
            again = service.latest_figures(session, SYSTEM)

        assert snapshot.as_of == TODAY + timedelta(days=1)
        assert first is not None
        assert first.today == TODAY + timedelta(days=1)
        assert again == first  # the same day: nothing recomputed
    finally:
        database.dispose()
