"""The dashboard's alerts: open ones by severity (and how many are past due), and how many were
raised each week, Monday to Sunday in Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from fengkong.monitoring import service
from fengkong.monitoring.models import Alert
from fengkong.monitoring.rules import Severity
from fengkong.monitoring.status import AlertStatus
from tests import factories
from tests.integration.monitoring.conftest import SYSTEM

TODAY = date(2026, 6, 30)  # a Tuesday
NOW = datetime(2026, 6, 30, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


def _alert(
    session: Session,
    severity: Severity,
    raised_at: datetime,
    *,
    status: AlertStatus = AlertStatus.NEW,
    due_in: timedelta = timedelta(days=1),
) -> None:
    rule_set = service.rule_sets.ensure_active(session, SYSTEM)
    session.add(
        Alert(
            customer_id=factories.customer().id,
            rule_id="dpd_over_30",
            rule_set_version_id=rule_set.row_id,
            kind="threshold",
            severity=severity,
            title="Days past due over 30",
            values={},
            recommended_actions=[],
            status=status,
            raised_at=raised_at,
            due_at=NOW + due_in,
        )
    )
    session.flush()


def test_open_alerts_are_counted_by_severity_with_those_past_their_due_time(
    session: Session,
) -> None:
    _alert(session, Severity.HIGH, NOW)
    _alert(session, Severity.HIGH, NOW, status=AlertStatus.IN_PROGRESS, due_in=timedelta(hours=-1))
    _alert(session, Severity.CRITICAL, NOW, status=AlertStatus.ACKNOWLEDGED)
    _alert(session, Severity.LOW, NOW, status=AlertStatus.RESOLVED, due_in=timedelta(days=-3))
    _alert(session, Severity.MEDIUM, NOW, status=AlertStatus.FALSE_POSITIVE)

    summary = service.alert_summary(session, SYSTEM, today=TODAY, now=NOW)

    assert summary.open_by_severity == {
        Severity.LOW: 0,
        Severity.MEDIUM: 0,
        Severity.HIGH: 2,
        Severity.CRITICAL: 1,
    }
    assert (summary.open, summary.overdue) == (3, 1)


def test_alerts_are_counted_in_the_week_they_were_raised_where_the_business_is(
    session: Session,
) -> None:
    monday = datetime(2026, 6, 28, 16, 0, tzinfo=UTC)  # Monday 29 June, 00:00 in Shanghai
    _alert(session, Severity.HIGH, monday)
    _alert(session, Severity.LOW, monday + timedelta(days=1))
    _alert(session, Severity.HIGH, monday - timedelta(seconds=1), status=AlertStatus.RESOLVED)
    _alert(session, Severity.CRITICAL, monday - timedelta(weeks=11))  # the oldest week shown
    _alert(session, Severity.CRITICAL, monday - timedelta(weeks=11, seconds=1))  # too old

    weeks = service.alert_summary(session, SYSTEM, today=TODAY, now=NOW).weeks

    assert len(weeks) == 12
    assert weeks[0].starts_on == date(2026, 4, 13)
    assert weeks[-1].starts_on == date(2026, 6, 29)
    assert weeks[-1].by_severity[Severity.HIGH] == 1
    assert weeks[-1].by_severity[Severity.LOW] == 1
    assert weeks[-1].total == 2
    assert (weeks[-2].total, weeks[-2].by_severity[Severity.HIGH]) == (1, 1)
    assert (weeks[0].total, weeks[0].by_severity[Severity.CRITICAL]) == (1, 1)
    assert sum(week.total for week in weeks) == 4
