"""Periodic-review use cases: schedule each customer's next review from its grade and last
completed review, start, tick the checklist, complete (grade confirmed or overridden, limit kept
or changed) which schedules the next one, cancel; list overdue reviews and tell their assignees.
Callers own the transaction; nothing here commits.

Rules the code keeps (docs/reviews.md):

* one open (scheduled or in progress) review per customer — a partial unique index as well;
* the next review is due ``cadence months`` after the last completed one; a customer never
  reviewed counts from the day it was created; a due date already past becomes ``today``;
* a grade override is recorded on the review only: risk scores and ratings do not change;
* scheduling is idempotent: running it twice on one day creates nothing the second time.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.models import User
from fengkong.auth.roles import Permission
from fengkong.customers.models import Customer
from fengkong.customers.status import CustomerStatus
from fengkong.errors import NotFound, ValidationFailed
from fengkong.i18n import N_, Message
from fengkong.kit.id_sets import among
from fengkong.kit.plain_rows import plain_rows
from fengkong.kit.time import ensure_utc, utcnow
from fengkong.limits import service as limits_service
from fengkong.notifications import service as notifications_service
from fengkong.records import change_status, check_version, field_error
from fengkong.reviews.cadence import Cadence, CadenceError
from fengkong.reviews.models import Review
from fengkong.reviews.status import (
    OPEN_STATUSES,
    REVIEW_STATUS_LABELS,
    REVIEW_TRANSITIONS,
    GradeOutcome,
    LimitOutcome,
    ReviewStatus,
)
from fengkong.risk import service as risk_service
from fengkong.settings import get_settings

OVERDUE_TOPIC = "review.overdue"
_OVERDUE_SUBJECT = N_("Review %(review_id)s of customer %(customer_id)s is %(days)s days overdue")
_OVERDUE_BODY = N_(
    "The periodic review of customer %(customer_id)s was due on %(due_on)s and is still %(status)s."
)
MAX_TEXT = 4_000


class ReviewNotFound(NotFound):
    code = "review_not_found"


class InvalidCadence(ValidationFailed):
    code = "invalid_review_cadence"


@dataclass(frozen=True, slots=True)
class ScheduleSummary:
    created: int
    already_open: int


@dataclass(frozen=True, slots=True)
class Completion:
    review: Review
    next_review: Review


def shipped_yaml() -> str:
    return files("fengkong.reviews").joinpath("defaults/review_cadence.yaml").read_text("utf-8")


@lru_cache(maxsize=4)
def _parse(text: str) -> Cadence:
    try:
        return Cadence.from_yaml(text)
    except CadenceError as error:
        raise InvalidCadence(str(error), details=[field_error("yaml", None, str(error))]) from error


def active_cadence(path: Path | None = None) -> Cadence:
    """The cadence in ``FENGKONG_REVIEW_CADENCE_FILE`` (or ``path``), else the shipped one."""
    source = path or get_settings().review_cadence_file
    return _parse(source.read_text("utf-8") if source is not None else shipped_yaml())


def _checklist(cadence: Cadence) -> list[dict[str, Any]]:
    return [
        {"key": item.key, "label": item.label, "done": False, "done_by": None, "done_at": None}
        for item in cadence.checklist
    ]


def _open_customer_ids(session: Session, customer_ids: Collection[int] | None) -> set[int]:
    query = select(Review.customer_id).where(Review.status.in_(OPEN_STATUSES))
    if customer_ids is not None:
        query = query.where(Review.customer_id.in_(customer_ids))
    return set(session.scalars(query).all())


def _last_completed(session: Session, customer_ids: Collection[int]) -> dict[int, date]:
    rows = session.execute(
        select(Review.customer_id, func.max(Review.completed_on))
        .where(Review.customer_id.in_(customer_ids), Review.status == ReviewStatus.COMPLETED)
        .group_by(Review.customer_id)
    ).all()
    return {customer_id: day for customer_id, day in rows if day is not None}


def _new_review(
    cadence: Cadence,
    *,
    customer_id: int,
    grade: str | None,
    base: date,
    today: date,
    scheduled_by: str,
    assignee_id: int | None = None,
) -> Review:
    due = max(cadence.next_due(grade, base), today)
    return Review(
        customer_id=customer_id,
        due_on=due,
        status=ReviewStatus.SCHEDULED,
        grade=grade,
        cadence_months=cadence.months_for(grade),
        assignee_id=assignee_id,
        checklist=_checklist(cadence),
        scheduled_by=scheduled_by,
    )


def schedule_reviews(
    session: Session,
    actor: Actor,
    *,
    today: date,
    customer_ids: Sequence[int] | None = None,
    batch_size: int = 1_000,
) -> ScheduleSummary:
    """Give every active customer (or those named) without an open review its next one."""
    auth_service.ensure_permission(actor, Permission.REVIEWS_WRITE)
    cadence = active_cadence()
    query = (
        select(Customer.id, Customer.created_at)
        .where(Customer.status == CustomerStatus.ACTIVE, Customer.archived_at.is_(None))
        .order_by(Customer.id)
    )
    if customer_ids is not None:
        query = query.where(Customer.id.in_(customer_ids))
    customers = session.execute(query).all()
    created = already_open = 0
    for start in range(0, len(customers), batch_size):
        chunk = customers[start : start + batch_size]
        ids = [row.id for row in chunk]
        open_ids = _open_customer_ids(session, ids)
        last = _last_completed(session, ids)
        ratings = risk_service.ratings_of(session, ids)
        for row in chunk:
            if row.id in open_ids:
                already_open += 1
                continue
            rating = ratings.get(row.id)
            base = last.get(row.id) or ensure_utc(row.created_at).date()
            session.add(
                _new_review(
                    cadence,
                    customer_id=row.id,
                    grade=rating.grade if rating is not None else None,
                    base=base,
                    today=today,
                    scheduled_by=actor.username,
                )
            )
            created += 1
        session.flush()
    return ScheduleSummary(created=created, already_open=already_open)


def bring_review_forward(
    session: Session, actor: Actor, *, customer_id: int, due_on: date, reason: str
) -> Review:
    """An early review, asked for by an alert's action or by hand: the customer's open review
    moves to ``due_on`` when it was due later (never later than it was), or a new one is
    scheduled for then. The reason is kept in the review's notes."""
    auth_service.ensure_permission(actor, Permission.REVIEWS_WRITE)
    review = session.scalars(
        select(Review)
        .where(Review.customer_id == customer_id, Review.status.in_(OPEN_STATUSES))
        .order_by(Review.due_on)
        .limit(1)
    ).first()
    if review is None:
        rating = risk_service.ratings_of(session, [customer_id]).get(customer_id)
        review = _new_review(
            active_cadence(),
            customer_id=customer_id,
            grade=rating.grade if rating is not None else None,
            base=due_on,
            today=due_on,
            scheduled_by=actor.username,
        )
        review.due_on = due_on
        session.add(review)
    elif review.due_on > due_on:
        review.due_on = due_on
        review.overdue_notified_on = None
    line = f"brought forward to {due_on.isoformat()} by {actor.username}: {reason}"
    review.notes = f"{review.notes}\n{line}" if review.notes else line
    session.flush()
    return review


def get_review(session: Session, actor: Actor, *, review_id: int) -> Review:
    auth_service.ensure_permission(actor, Permission.REVIEWS_READ)
    review = session.get(Review, review_id)
    if review is None:
        raise ReviewNotFound(f"review {review_id} not found")
    return review


def list_reviews(
    session: Session,
    actor: Actor,
    *,
    today: date,
    status: ReviewStatus | None = None,
    due_by: date | None = None,
    overdue: bool = False,
    assignee_id: int | None = None,
    customer_id: int | None = None,
    limit: int = 200,
) -> list[Review]:
    """Reviews, open ones by due date first (so overdue ones lead), then the closed ones."""
    auth_service.ensure_permission(actor, Permission.REVIEWS_READ)
    query = select(Review)
    if status is not None:
        query = query.where(Review.status == status)
    if overdue:
        query = query.where(Review.status.in_(OPEN_STATUSES), Review.due_on < today)
    if due_by is not None:
        query = query.where(Review.status.in_(OPEN_STATUSES), Review.due_on <= due_by)
    if assignee_id is not None:
        query = query.where(Review.assignee_id == assignee_id)
    if customer_id is not None:
        query = query.where(Review.customer_id == customer_id)
    is_open = Review.status.in_(OPEN_STATUSES)
    query = query.order_by(is_open.desc(), Review.due_on, Review.id).limit(limit)
    return list(session.scalars(query).all())


def _overdue(
    session: Session, today: date, customer_ids: Collection[int] | None
) -> list[ColumnElement[bool]]:
    """What makes a review overdue on ``today`` (open, due before it), of ``customer_ids``."""
    criteria = [Review.status.in_(OPEN_STATUSES), Review.due_on < today]
    if customer_ids is not None:
        criteria.append(among(session, Review.customer_id, list(customer_ids)))
    return criteria


def overdue_reviews(
    session: Session, *, today: date, customer_ids: Collection[int] | None = None
) -> list[Review]:
    """Open reviews whose due day is before ``today`` (no permission check: for jobs and rules)."""
    query = select(Review).where(*_overdue(session, today, customer_ids))
    return list(session.scalars(query.order_by(Review.due_on, Review.id)).all())


def overdue_by_customer(
    session: Session, *, today: date, customer_ids: Collection[int] | None = None
) -> dict[int, date]:
    """Each customer with an overdue review, and the day it was due — the latest, should it
    have several (for monitoring rules: a stream job asks for each batch of customers, so two
    columns, not the reviews as objects)."""
    query = (
        select(Review.customer_id, Review.due_on)
        .where(*_overdue(session, today, customer_ids))
        .order_by(Review.due_on, Review.id)
    )
    return {customer_id: due_on for customer_id, due_on in plain_rows(session, query)}


def _open_review(
    session: Session, actor: Actor, review_id: int, expected_version: int | None
) -> Review:
    auth_service.ensure_permission(actor, Permission.REVIEWS_WRITE)
    review = get_review(session, actor, review_id=review_id)
    check_version(review, expected_version, label=f"review {review_id}")
    if review.status not in OPEN_STATUSES:
        message = f"review {review_id} is {review.status}"
        raise ValidationFailed(message, details=[field_error("status", review.status, message)])
    return review


def assign_review(
    session: Session,
    actor: Actor,
    *,
    review_id: int,
    assignee_id: int | None,
    expected_version: int | None = None,
) -> Review:
    review = _open_review(session, actor, review_id, expected_version)
    if assignee_id is not None and auth_service.find_active_user(session, assignee_id) is None:
        message = f"user {assignee_id} not found"
        raise ValidationFailed(message, details=[field_error("assignee_id", assignee_id, message)])
    review.assignee_id = assignee_id
    session.flush()
    return review


def start_review(
    session: Session,
    actor: Actor,
    *,
    review_id: int,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Review:
    """Scheduled → in progress; an unassigned review is assigned to whoever starts it."""
    review = _open_review(session, actor, review_id, expected_version)
    review.status = change_status(review.status, ReviewStatus.IN_PROGRESS, REVIEW_TRANSITIONS)
    review.started_at = ensure_utc(now) if now is not None else utcnow()
    if review.assignee_id is None:
        review.assignee_id = actor.user_id
    session.flush()
    return review


def _tick(review: Review, keys: Collection[str], done: bool, actor: Actor, now: datetime) -> None:
    known = {item["key"] for item in review.checklist}
    unknown = sorted(set(keys) - known)
    if unknown:
        message = f"not on the checklist: {', '.join(unknown)}"
        raise ValidationFailed(message, details=[field_error("key", unknown, message)])
    items = []
    for item in review.checklist:
        item = dict(item)
        if item["key"] in keys:
            item["done"] = done
            item["done_by"] = actor.username if done else None
            item["done_at"] = now.isoformat() if done else None
        items.append(item)
    review.checklist = items  # a new list, so the JSON column sees the change


def tick_checklist(
    session: Session,
    actor: Actor,
    *,
    review_id: int,
    key: str,
    done: bool = True,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Review:
    review = _open_review(session, actor, review_id, expected_version)
    _tick(review, {key}, done, actor, ensure_utc(now) if now is not None else utcnow())
    session.flush()
    return review


def _text(field: str, value: str | None, *, required: bool = False) -> str | None:
    value = (value or "").strip() or None
    if required and value is None:
        message = f"{field} is required"
        raise ValidationFailed(message, details=[field_error(field, value, message)])
    if value is not None and len(value) > MAX_TEXT:
        message = f"at most {MAX_TEXT} characters"
        raise ValidationFailed(message, details=[field_error(field, value[:50], message)])
    return value


def complete_review(
    session: Session,
    actor: Actor,
    *,
    review_id: int,
    today: date,
    grade_outcome: GradeOutcome,
    limit_outcome: LimitOutcome,
    override_grade: str | None = None,
    override_reason: str | None = None,
    limit_request_id: int | None = None,
    notes: str | None = None,
    tick: Collection[str] = (),
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Completion:
    """Record the outcome and schedule the next review from the confirmed (or overriding)
    grade. Every checklist item must be done (``tick`` ticks items on the way)."""
    review = _open_review(session, actor, review_id, expected_version)
    moment = ensure_utc(now) if now is not None else utcnow()
    if tick:
        _tick(review, set(tick), True, actor, moment)
    open_items = [item["key"] for item in review.checklist if not item["done"]]
    if open_items:
        message = f"checklist items not done: {', '.join(open_items)}"
        raise ValidationFailed(message, details=[field_error("checklist", open_items, message)])
    if grade_outcome is GradeOutcome.OVERRIDDEN:
        override_grade = _text("override_grade", override_grade, required=True)
        override_reason = _text("override_reason", override_reason, required=True)
        if override_grade is not None and len(override_grade) > 8:
            message = "a grade has at most 8 characters"
            raise ValidationFailed(
                message, details=[field_error("override_grade", override_grade, message)]
            )
    else:
        override_grade = override_reason = None
    if limit_outcome is LimitOutcome.CHANGED:
        if limit_request_id is None:
            message = "a changed limit links the limit request that changes it"
            raise ValidationFailed(
                message, details=[field_error("limit_request_id", None, message)]
            )
        detail = limits_service.get_request(session, actor, request_id=limit_request_id)
        if detail.request.customer_id != review.customer_id:
            message = f"limit request {limit_request_id} is for another customer"
            raise ValidationFailed(
                message, details=[field_error("limit_request_id", limit_request_id, message)]
            )
    else:
        limit_request_id = None
    review.status = change_status(review.status, ReviewStatus.COMPLETED, REVIEW_TRANSITIONS)
    review.grade_outcome = grade_outcome
    review.override_grade = override_grade
    review.override_reason = override_reason
    review.limit_outcome = limit_outcome
    review.limit_request_id = limit_request_id
    review.notes = _text("notes", notes)
    review.completed_by = actor.username
    review.completed_on = today
    review.completed_at = moment
    session.flush()
    grade = override_grade or review.grade
    ratings = risk_service.ratings_of(session, [review.customer_id])
    if override_grade is None and review.customer_id in ratings:
        grade = ratings[review.customer_id].grade
    next_review = _new_review(
        active_cadence(),
        customer_id=review.customer_id,
        grade=grade,
        base=today,
        today=today,
        scheduled_by=actor.username,
        assignee_id=review.assignee_id,
    )
    session.add(next_review)
    session.flush()
    return Completion(review=review, next_review=next_review)


def cancel_review(
    session: Session,
    actor: Actor,
    *,
    review_id: int,
    reason: str,
    expected_version: int | None = None,
) -> Review:
    """Cancel an open review (e.g. the customer left); the next scheduling run plans a new one."""
    review = _open_review(session, actor, review_id, expected_version)
    review.status = change_status(review.status, ReviewStatus.CANCELLED, REVIEW_TRANSITIONS)
    review.notes = _text("reason", reason, required=True)
    session.flush()
    return review


def flag_overdue_reviews(session: Session, actor: Actor, *, today: date) -> int:
    """Tell each overdue review's assignee (topic ``review.overdue``, and webhooks subscribed
    to it), once per review. Returns how many reviews were flagged."""
    flagged = 0
    for review in overdue_reviews(session, today=today):
        if review.overdue_notified_on is not None:
            continue
        days = (today - review.due_on).days
        notifications_service.notify(
            session,
            actor,
            topic=OVERDUE_TOPIC,
            subject=Message(
                _OVERDUE_SUBJECT,
                {"review_id": review.id, "customer_id": review.customer_id, "days": days},
            ),
            body=Message(
                _OVERDUE_BODY,
                {
                    "customer_id": review.customer_id,
                    "due_on": review.due_on.isoformat(),
                    "status": Message(REVIEW_STATUS_LABELS[review.status]),
                },
            ),
            recipients=[review.assignee_id] if review.assignee_id is not None else None,
            payload={
                "review_id": review.id,
                "customer_id": review.customer_id,
                "due_on": review.due_on,
                "days_overdue": days,
                "assignee_id": review.assignee_id,
            },
            dedupe_key=f"{OVERDUE_TOPIC}:{review.id}",
            today=today,
        )
        review.overdue_notified_on = today
        flagged += 1
    session.flush()
    return flagged


# --- the portfolio's reviews (the dashboard) --------------------------------------------------


@dataclass(frozen=True, slots=True)
class DueReview:
    review_id: int
    customer_id: int
    customer_name: str
    due_on: date
    grade: str | None
    status: ReviewStatus
    assignee: str | None


@dataclass(frozen=True, slots=True)
class ReviewSummary:
    today: date
    horizon: date
    """The last day counted as due soon."""
    overdue: int
    """Open reviews due before ``today``."""
    due_soon: int
    """Open reviews due from ``today`` through ``horizon``."""
    next_due: tuple[DueReview, ...]
    """The earliest-due of both, overdue ones first."""


def review_summary(
    session: Session, actor: Actor, *, today: date, horizon_days: int = 30, limit: int = 10
) -> ReviewSummary:
    """How many open reviews are overdue and due in the next ``horizon_days``, and the
    ``limit`` due first (through the index on status and due day)."""
    auth_service.ensure_permission(actor, Permission.REVIEWS_READ)
    horizon = today + timedelta(days=horizon_days)
    due = (Review.status.in_(OPEN_STATUSES), Review.due_on <= horizon)
    overdue, due_soon = session.execute(
        select(
            func.coalesce(func.sum(case((Review.due_on < today, 1), else_=0)), 0),
            func.coalesce(func.sum(case((Review.due_on >= today, 1), else_=0)), 0),
        ).where(*due)
    ).one()
    rows = session.execute(
        select(
            Review.id,
            Review.customer_id,
            Customer.name,
            Review.due_on,
            Review.grade,
            Review.status,
            User.username,
        )
        .join(Customer, Customer.id == Review.customer_id)
        .outerjoin(User, User.id == Review.assignee_id)
        .where(*due)
        .order_by(Review.due_on, Review.id)
        .limit(limit)
    )
    return ReviewSummary(
        today=today,
        horizon=horizon,
        overdue=int(overdue),
        due_soon=int(due_soon),
        next_due=tuple(DueReview(*row) for row in rows),
    )
