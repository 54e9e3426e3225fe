"""The dashboard's reviews: how many open reviews are overdue and due soon, and the first ones to
do, overdue first."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.auth.roles import Role
from fengkong.errors import PermissionDenied
from fengkong.reviews import service
from fengkong.reviews.models import Review
from fengkong.reviews.status import ReviewStatus
from tests import factories

SYSTEM = Actor.system("test")
TODAY = date(2026, 6, 30)


def _review(
    session: Session,
    due_in_days: int,
    *,
    status: ReviewStatus = ReviewStatus.SCHEDULED,
    name: str = "华星贸易有限公司",
    assignee_id: int | None = None,
) -> Review:
    review = Review(
        customer_id=factories.customer(name=name).id,
        due_on=TODAY + timedelta(days=due_in_days),
        status=status,
        grade="C",
        cadence_months=12,
        assignee_id=assignee_id,
        checklist=[],
        scheduled_by="test",
    )
    session.add(review)
    session.flush()
    return review


def test_open_reviews_overdue_and_due_within_the_horizon_are_counted_and_listed(
    session: Session,
) -> None:
    analyst = factories.user(username="li_analyst", role=Role.CREDIT_ANALYST)
    late = _review(session, -10, name="逾期客户", assignee_id=analyst.id)
    today = _review(session, 0, status=ReviewStatus.IN_PROGRESS)
    soon = _review(session, 30)
    _review(session, 31)  # beyond the horizon
    _review(session, -40, status=ReviewStatus.COMPLETED)
    _review(session, 5, status=ReviewStatus.CANCELLED)

    summary = service.review_summary(session, SYSTEM, today=TODAY, horizon_days=30)

    assert (summary.overdue, summary.due_soon, summary.horizon) == (1, 2, date(2026, 7, 30))
    assert [row.review_id for row in summary.next_due] == [late.id, today.id, soon.id]
    first = summary.next_due[0]
    assert (first.customer_name, first.assignee, first.due_on) == (
        "逾期客户",
        "li_analyst",
        date(2026, 6, 20),
    )
    assert summary.next_due[1].status is ReviewStatus.IN_PROGRESS
    assert summary.next_due[2].assignee is None


def test_the_list_stops_at_the_limit_but_the_counts_do_not(session: Session) -> None:
    for days in (3, 1, 2, -1):
        _review(session, days)

    summary = service.review_summary(session, SYSTEM, today=TODAY, limit=2)

    assert (summary.overdue, summary.due_soon) == (1, 3)
    assert [row.due_on for row in summary.next_due] == [
        TODAY - timedelta(days=1),
        TODAY + timedelta(days=1),
    ]


def test_sales_may_not_read_the_reviews_summary(session: Session) -> None:
    with pytest.raises(PermissionDenied):
        service.review_summary(
            session, Actor(user_id=None, username="sam", role=Role.SALES), today=TODAY
        )
