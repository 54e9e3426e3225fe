"""Statuses and outcomes of periodic reviews, with the transitions a review may take."""

from __future__ import annotations

from enum import StrEnum

from fengkong.i18n import N_


class ReviewStatus(StrEnum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


REVIEW_STATUS_LABELS: dict[ReviewStatus, str] = {
    ReviewStatus.SCHEDULED: N_("Scheduled"),
    ReviewStatus.IN_PROGRESS: N_("In progress"),
    ReviewStatus.COMPLETED: N_("Completed"),
    ReviewStatus.CANCELLED: N_("Cancelled"),
}

OPEN_STATUSES = (ReviewStatus.SCHEDULED, ReviewStatus.IN_PROGRESS)

REVIEW_TRANSITIONS: dict[ReviewStatus, frozenset[ReviewStatus]] = {
    ReviewStatus.SCHEDULED: frozenset(
        {ReviewStatus.IN_PROGRESS, ReviewStatus.COMPLETED, ReviewStatus.CANCELLED}
    ),
    ReviewStatus.IN_PROGRESS: frozenset({ReviewStatus.COMPLETED, ReviewStatus.CANCELLED}),
}


class GradeOutcome(StrEnum):
    """The reviewer confirms the grade, or overrides it (with a reason). An override is recorded
    on the review only: it does not change the customer's risk score or rating."""

    CONFIRMED = "confirmed"
    OVERRIDDEN = "overridden"


class LimitOutcome(StrEnum):
    """Kept, or changed through a limit request (linked by id)."""

    KEPT = "kept"
    CHANGED = "changed"
