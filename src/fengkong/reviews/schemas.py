"""API shapes of the reviews area."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from fengkong.kit.schemas import InputModel, OutputModel
from fengkong.reviews.status import GradeOutcome, LimitOutcome, ReviewStatus


class ReviewOut(OutputModel):
    id: int
    version: int
    customer_id: int
    due_on: date
    status: ReviewStatus
    grade: str | None
    cadence_months: int
    assignee_id: int | None
    checklist: list[dict[str, Any]]
    started_at: datetime | None
    grade_outcome: GradeOutcome | None
    override_grade: str | None
    override_reason: str | None
    limit_outcome: LimitOutcome | None
    limit_request_id: int | None
    notes: str | None
    completed_by: str | None
    completed_on: date | None
    completed_at: datetime | None
    overdue: bool = False


class ReviewList(OutputModel):
    items: list[ReviewOut]


class ScheduleIn(InputModel):
    customer_ids: list[int] | None = Field(default=None, max_length=10_000)


class ScheduleOut(OutputModel):
    created: int
    already_open: int


class AssignIn(InputModel):
    assignee_id: int | None


class TickIn(InputModel):
    key: str = Field(max_length=64)
    done: bool = True


class CompleteIn(InputModel):
    grade_outcome: GradeOutcome
    limit_outcome: LimitOutcome
    override_grade: str | None = Field(default=None, max_length=8)
    override_reason: str | None = Field(default=None, max_length=4000)
    limit_request_id: int | None = None
    notes: str | None = Field(default=None, max_length=4000)
    tick: list[str] = Field(default_factory=list, max_length=50)


class CompleteOut(OutputModel):
    review: ReviewOut
    next_review: ReviewOut


class CancelIn(InputModel):
    reason: str = Field(min_length=1, max_length=4000)
