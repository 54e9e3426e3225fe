"""Periodic reviews: the scheduler (cadence by grade, idempotent), the checklist, completion with a
grade override or a limit change, overdue reviews and the assignee's notification."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.auth.roles import Role
from fengkong.customers.models import Customer
from fengkong.customers.status import CustomerStatus
from fengkong.errors import PermissionDenied, ValidationFailed
from fengkong.notifications import service as notifications_service
from fengkong.notifications.models import Delivery
from fengkong.notifications.status import EmailMode
from fengkong.reviews import service
from fengkong.reviews.models import Review
from fengkong.reviews.status import GradeOutcome, LimitOutcome, ReviewStatus
from fengkong.risk import service as risk_service
from tests import factories

SYSTEM = Actor.system("test")
CREATED = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)
TODAY = date(2026, 6, 30)
ALL_ITEMS = (
    "financials_updated",
    "credit_report_pulled",
    "limit_reassessed",
    "visit_or_call_notes",
)


def _customer(session: Session, grade: str | None) -> Customer:
    customer = factories.customer(created_at=CREATED)
    if grade is not None:
        factories.rate_customer(session, customer.id, grade=grade, as_of=TODAY)
    return customer


def _open_review(session: Session, customer_id: int) -> Review:
    return session.scalars(
        select(Review).where(
            Review.customer_id == customer_id,
            Review.status.in_((ReviewStatus.SCHEDULED, ReviewStatus.IN_PROGRESS)),
        )
    ).one()


def test_the_scheduler_derives_each_due_day_from_the_grade_and_is_idempotent(
    session: Session,
) -> None:
    a = _customer(session, "A")
    e = _customer(session, "E")
    unrated = _customer(session, None)
    factories.customer(status=CustomerStatus.PROSPECT)
    ids = [a.id, e.id, unrated.id]

    first = service.schedule_reviews(session, SYSTEM, today=TODAY, customer_ids=ids)
    again = service.schedule_reviews(session, SYSTEM, today=TODAY, customer_ids=ids)

    assert first == service.ScheduleSummary(created=3, already_open=0)
    assert again == service.ScheduleSummary(created=0, already_open=3)
    due = {c: _open_review(session, c).due_on for c in ids}
    # A: 12 months after it was created; E: monthly, already past, so due today; unrated: 6.
    assert due == {a.id: date(2027, 1, 10), e.id: TODAY, unrated.id: date(2026, 7, 10)}
    review = _open_review(session, a.id)
    assert (review.grade, review.cadence_months, review.status) == ("A", 12, ReviewStatus.SCHEDULED)
    assert [item["done"] for item in review.checklist] == [False] * 4


def test_the_scheduler_skips_prospects(session: Session) -> None:
    prospect = factories.customer(status=CustomerStatus.PROSPECT)
    summary = service.schedule_reviews(session, SYSTEM, today=TODAY, customer_ids=[prospect.id])
    assert summary == service.ScheduleSummary(created=0, already_open=0)


def test_the_database_keeps_one_open_review_per_customer(session: Session) -> None:
    customer = _customer(session, "B")
    service.schedule_reviews(session, SYSTEM, today=TODAY, customer_ids=[customer.id])
    duplicate = Review(
        customer_id=customer.id,
        due_on=TODAY,
        status=ReviewStatus.SCHEDULED,
        cadence_months=12,
        checklist=[],
        scheduled_by="test",
    )
    with session.begin_nested():
        session.add(duplicate)
        with pytest.raises(IntegrityError):
            session.flush()


def test_completing_with_a_grade_override_schedules_the_next_review_from_the_override(
    session: Session,
) -> None:
    customer = _customer(session, "A")
    service.schedule_reviews(session, SYSTEM, today=TODAY, customer_ids=[customer.id])
    analyst = factories.user(role=Role.CREDIT_ANALYST)
    actor = Actor(user_id=analyst.id, username=analyst.username, role=Role.CREDIT_ANALYST)
    review = _open_review(session, customer.id)

    service.start_review(session, actor, review_id=review.id)
    service.tick_checklist(session, actor, review_id=review.id, key="financials_updated")
    with pytest.raises(ValidationFailed) as missing:
        service.complete_review(
            session,
            actor,
            review_id=review.id,
            today=TODAY,
            grade_outcome=GradeOutcome.CONFIRMED,
            limit_outcome=LimitOutcome.KEPT,
        )
    assert missing.value.details[0]["field"] == "checklist"
    with pytest.raises(ValidationFailed) as no_reason:
        service.complete_review(
            session,
            actor,
            review_id=review.id,
            today=TODAY,
            grade_outcome=GradeOutcome.OVERRIDDEN,
            override_grade="D",
            limit_outcome=LimitOutcome.KEPT,
            tick=ALL_ITEMS,
        )
    assert no_reason.value.details[0]["field"] == "override_reason"

    done = service.complete_review(
        session,
        actor,
        review_id=review.id,
        today=TODAY,
        grade_outcome=GradeOutcome.OVERRIDDEN,
        override_grade="D",
        override_reason="Two lawsuits filed since the last score",
        limit_outcome=LimitOutcome.KEPT,
        notes="Visited the plant.",
        tick=ALL_ITEMS,
    )

    assert done.review.status is ReviewStatus.COMPLETED
    assert (done.review.completed_by, done.review.completed_on) == (analyst.username, TODAY)
    assert done.review.assignee_id == analyst.id
    assert all(
        item["done"] and item["done_by"] == analyst.username for item in done.review.checklist
    )
    # D reviews quarterly; the override lives on the review only: the rating is still A.
    assert (done.next_review.due_on, done.next_review.grade) == (date(2026, 9, 30), "D")
    assert done.next_review.assignee_id == analyst.id
    assert risk_service.ratings_of(session, [customer.id])[customer.id].grade == "A"


def test_a_changed_limit_must_link_a_limit_request(session: Session) -> None:
    customer = _customer(session, "C")
    service.schedule_reviews(session, SYSTEM, today=TODAY, customer_ids=[customer.id])
    review = _open_review(session, customer.id)
    with pytest.raises(ValidationFailed) as error:
        service.complete_review(
            session,
            SYSTEM,
            review_id=review.id,
            today=TODAY,
            grade_outcome=GradeOutcome.CONFIRMED,
            limit_outcome=LimitOutcome.CHANGED,
            tick=ALL_ITEMS,
        )
    assert error.value.details[0]["field"] == "limit_request_id"


def test_a_confirmed_grade_schedules_the_next_review_from_the_current_rating(
    session: Session,
) -> None:
    customer = _customer(session, "C")
    service.schedule_reviews(session, SYSTEM, today=TODAY, customer_ids=[customer.id])
    review = _open_review(session, customer.id)
    done = service.complete_review(
        session,
        SYSTEM,
        review_id=review.id,
        today=TODAY,
        grade_outcome=GradeOutcome.CONFIRMED,
        limit_outcome=LimitOutcome.KEPT,
        tick=ALL_ITEMS,
    )
    assert done.next_review.due_on == date(2026, 12, 30)
    assert service.schedule_reviews(
        session, SYSTEM, today=TODAY, customer_ids=[customer.id]
    ) == service.ScheduleSummary(created=0, already_open=1)


def test_overdue_reviews_notify_their_assignee_once(session: Session) -> None:
    customer = _customer(session, "E")
    assignee = factories.user()
    notifications_service.set_subscription(
        session,
        SYSTEM,
        user_id=assignee.id,
        topic="review.overdue",
        mode=EmailMode.IMMEDIATE,
        email="reviewer@example.com",
    )
    service.schedule_reviews(session, SYSTEM, today=TODAY, customer_ids=[customer.id])
    review = _open_review(session, customer.id)
    service.assign_review(session, SYSTEM, review_id=review.id, assignee_id=assignee.id)

    assert service.overdue_reviews(session, today=TODAY, customer_ids=[customer.id]) == []
    later = date(2026, 7, 5)
    assert service.overdue_by_customer(session, today=later, customer_ids=[customer.id]) == {
        customer.id: TODAY
    }
    assert service.flag_overdue_reviews(session, SYSTEM, today=later) >= 1
    assert service.flag_overdue_reviews(session, SYSTEM, today=later) == 0

    deliveries = session.scalars(
        select(Delivery).where(Delivery.topic == "review.overdue", Delivery.user_id == assignee.id)
    ).all()
    assert [(d.target, d.payload["review_id"], d.payload["days_overdue"]) for d in deliveries] == [
        ("reviewer@example.com", review.id, 5)
    ]
    assert review.overdue_notified_on == later


def test_lists_put_overdue_reviews_first_and_sales_may_not_read_them(session: Session) -> None:
    monthly = _customer(session, "E")
    yearly = _customer(session, "A")
    service.schedule_reviews(session, SYSTEM, today=TODAY, customer_ids=[yearly.id, monthly.id])
    later = date(2026, 7, 5)

    listed = service.list_reviews(session, SYSTEM, today=later, customer_id=None, limit=1000)
    mine = [r.customer_id for r in listed if r.customer_id in (monthly.id, yearly.id)]
    assert mine == [monthly.id, yearly.id]
    overdue = service.list_reviews(session, SYSTEM, today=later, overdue=True, limit=1000)
    assert monthly.id in {r.customer_id for r in overdue}
    assert yearly.id not in {r.customer_id for r in overdue}

    sales = Actor(user_id=None, username="sam", role=Role.SALES)
    with pytest.raises(PermissionDenied):
        service.list_reviews(session, sales, today=later)


def test_an_early_review_moves_the_open_review_forward_never_back(session: Session) -> None:
    scheduled = _customer(session, "A")
    service.schedule_reviews(session, SYSTEM, today=TODAY, customer_ids=[scheduled.id])
    yearly = _open_review(session, scheduled.id).due_on
    early = date(2026, 7, 15)
    assert yearly > early

    moved = service.bring_review_forward(
        session, SYSTEM, customer_id=scheduled.id, due_on=early, reason="alert 7: 逾期"
    )
    assert (moved.id, moved.due_on) == (_open_review(session, scheduled.id).id, early)
    assert moved.notes is not None
    assert "alert 7: 逾期" in moved.notes
    later = service.bring_review_forward(
        session, SYSTEM, customer_id=scheduled.id, due_on=date(2026, 9, 1), reason="again"
    )
    assert (later.id, later.due_on) == (moved.id, early)

    unscheduled = _customer(session, "C")
    created = service.bring_review_forward(
        session, SYSTEM, customer_id=unscheduled.id, due_on=early, reason="by hand"
    )
    assert (created.status, created.due_on, created.grade) == (ReviewStatus.SCHEDULED, early, "C")
    assert _open_review(session, unscheduled.id).id == created.id


def test_an_early_review_needs_the_right_to_schedule_reviews(session: Session) -> None:
    customer = _customer(session, "B")
    sales = Actor(user_id=None, username="sam", role=Role.SALES)
    with pytest.raises(PermissionDenied):
        service.bring_review_forward(
            session, sales, customer_id=customer.id, due_on=TODAY, reason="x"
        )
    assert session.scalars(select(Review).where(Review.customer_id == customer.id)).all() == []
