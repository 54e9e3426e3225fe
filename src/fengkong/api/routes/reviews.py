"""Periodic reviews over REST: list (due, overdue, by assignee), read, schedule, assign, start,
tick the checklist, complete, cancel; a customer's reviews (docs/reviews.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from fengkong.api.deps import DbSession, requires
from fengkong.api.etags import ExpectedVersion, tag
from fengkong.api.idempotency import IdempotentRoute, writes
from fengkong.api.params import BusinessDate
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.reviews import service
from fengkong.reviews.models import Review
from fengkong.reviews.schemas import (
    AssignIn,
    CancelIn,
    CompleteIn,
    CompleteOut,
    ReviewList,
    ReviewOut,
    ScheduleIn,
    ScheduleOut,
    TickIn,
)
from fengkong.reviews.status import OPEN_STATUSES, ReviewStatus

router = APIRouter(tags=["reviews"], route_class=IdempotentRoute)

Reader = Annotated[Actor, requires(Permission.REVIEWS_READ)]
Writer = Annotated[Actor, writes(Permission.REVIEWS_WRITE)]


def _out(review: Review, today: date) -> ReviewOut:
    out = ReviewOut.model_validate(review)
    out.overdue = review.status in OPEN_STATUSES and review.due_on < today
    return out


@router.get("/reviews", response_model=ReviewList)
def list_reviews(
    session: DbSession,
    actor: Reader,
    today: BusinessDate,
    status_: Annotated[ReviewStatus | None, Query(alias="status")] = None,
    due_by: Annotated[date | None, Query(alias="due-by")] = None,
    overdue: bool = False,
    assignee_id: Annotated[int | None, Query(alias="assignee-id")] = None,
    mine: bool = False,
    customer_id: Annotated[int | None, Query(alias="customer-id")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> ReviewList:
    """Open reviews by due date (overdue first), then closed ones. ``due-by``: open reviews due
    on or before that day; ``mine``: assigned to the caller."""
    rows = service.list_reviews(
        session,
        actor,
        today=today,
        status=status_,
        due_by=due_by,
        overdue=overdue,
        assignee_id=actor.user_id if mine else assignee_id,
        customer_id=customer_id,
        limit=limit,
    )
    return ReviewList(items=[_out(row, today) for row in rows])


@router.get("/customers/{customer_id}/reviews", response_model=ReviewList)
def customer_reviews(
    customer_id: int, session: DbSession, actor: Reader, today: BusinessDate
) -> ReviewList:
    rows = service.list_reviews(session, actor, today=today, customer_id=customer_id, limit=1000)
    return ReviewList(items=[_out(row, today) for row in rows])


@router.post("/reviews/schedule", response_model=ScheduleOut)
def schedule(
    data: ScheduleIn, session: DbSession, actor: Writer, today: BusinessDate
) -> ScheduleOut:
    """Give every active customer (or those named) without an open review its next one."""
    summary = service.schedule_reviews(session, actor, today=today, customer_ids=data.customer_ids)
    return ScheduleOut(created=summary.created, already_open=summary.already_open)


@router.get("/reviews/{review_id}", response_model=ReviewOut)
def get_review(
    review_id: int, session: DbSession, response: Response, actor: Reader, today: BusinessDate
) -> ReviewOut:
    review = service.get_review(session, actor, review_id=review_id)
    tag(response, review.version)
    return _out(review, today)


@router.post("/reviews/{review_id}/assign", response_model=ReviewOut)
def assign(
    review_id: int,
    data: AssignIn,
    session: DbSession,
    response: Response,
    actor: Writer,
    expected: ExpectedVersion,
    today: BusinessDate,
) -> ReviewOut:
    review = service.assign_review(
        session, actor, review_id=review_id, assignee_id=data.assignee_id, expected_version=expected
    )
    tag(response, review.version)
    return _out(review, today)


@router.post("/reviews/{review_id}/start", response_model=ReviewOut)
def start(
    review_id: int,
    session: DbSession,
    response: Response,
    actor: Writer,
    expected: ExpectedVersion,
    today: BusinessDate,
) -> ReviewOut:
    review = service.start_review(session, actor, review_id=review_id, expected_version=expected)
    tag(response, review.version)
    return _out(review, today)


@router.post("/reviews/{review_id}/checklist", response_model=ReviewOut)
def tick(
    review_id: int,
    data: TickIn,
    session: DbSession,
    response: Response,
    actor: Writer,
    expected: ExpectedVersion,
    today: BusinessDate,
) -> ReviewOut:
    review = service.tick_checklist(
        session, actor, review_id=review_id, key=data.key, done=data.done, expected_version=expected
    )
    tag(response, review.version)
    return _out(review, today)


@router.post("/reviews/{review_id}/complete", response_model=CompleteOut)
def complete(
    review_id: int,
    data: CompleteIn,
    session: DbSession,
    response: Response,
    actor: Writer,
    expected: ExpectedVersion,
    today: BusinessDate,
) -> CompleteOut:
    """Record the outcome (a grade override stays on the review; scores do not change) and
    schedule the next review."""
    done = service.complete_review(
        session,
        actor,
        review_id=review_id,
        today=today,
        grade_outcome=data.grade_outcome,
        limit_outcome=data.limit_outcome,
        override_grade=data.override_grade,
        override_reason=data.override_reason,
        limit_request_id=data.limit_request_id,
        notes=data.notes,
        tick=data.tick,
        expected_version=expected,
    )
    tag(response, done.review.version)
    return CompleteOut(review=_out(done.review, today), next_review=_out(done.next_review, today))


@router.post("/reviews/{review_id}/cancel", response_model=ReviewOut)
def cancel(
    review_id: int,
    data: CancelIn,
    session: DbSession,
    response: Response,
    actor: Writer,
    expected: ExpectedVersion,
    today: BusinessDate,
) -> ReviewOut:
    review = service.cancel_review(
        session, actor, review_id=review_id, reason=data.reason, expected_version=expected
    )
    tag(response, review.version)
    return _out(review, today)
