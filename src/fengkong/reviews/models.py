"""Tables of the reviews area: periodic credit reviews of customers, one open at a time each."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.db import Base
from fengkong.events.spec import OutboxSpec
from fengkong.kit.columns import Timestamped, Versioned, enum_type
from fengkong.reviews.status import GradeOutcome, LimitOutcome, ReviewStatus

_OPEN = "status IN ('scheduled', 'in_progress')"


class Review(Timestamped, Versioned, Base):
    """A periodic review of a customer, due on a day the cadence derives from its grade. The
    outcome confirms or overrides the grade (recorded here only; risk scores are not changed)
    and keeps the limit or links the limit request that changes it."""

    __tablename__ = "reviews"
    __outbox__: ClassVar[OutboxSpec] = OutboxSpec(
        created="review_scheduled", updated="review_updated"
    )
    __table_args__ = (
        CheckConstraint(
            "grade_outcome <> 'overridden' OR (override_grade IS NOT NULL"
            " AND override_reason IS NOT NULL)",
            name="override_has_grade_and_reason",
        ),
        Index(None, "status", "due_on"),
        Index(None, "customer_id", "id"),
        Index(None, "assignee_id", "status"),
        Index(
            "uq_reviews_one_open_per_customer",
            "customer_id",
            unique=True,
            postgresql_where=text(_OPEN),
            sqlite_where=text(_OPEN),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    due_on: Mapped[date] = mapped_column()
    status: Mapped[ReviewStatus] = mapped_column(
        enum_type(ReviewStatus, length=16), default=ReviewStatus.SCHEDULED
    )
    grade: Mapped[str | None] = mapped_column(String(8))
    """The grade the due date was derived from (none: unrated)."""
    cadence_months: Mapped[int] = mapped_column()
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    checklist: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """``[{key, label, done, done_by, done_at}]`` from the cadence's checklist."""
    started_at: Mapped[datetime | None] = mapped_column()
    grade_outcome: Mapped[GradeOutcome | None] = mapped_column(enum_type(GradeOutcome, length=16))
    override_grade: Mapped[str | None] = mapped_column(String(8))
    override_reason: Mapped[str | None] = mapped_column(Text)
    limit_outcome: Mapped[LimitOutcome | None] = mapped_column(enum_type(LimitOutcome, length=16))
    limit_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("limit_requests.id", ondelete="SET NULL")
    )
    notes: Mapped[str | None] = mapped_column(Text)
    completed_by: Mapped[str | None] = mapped_column(String(64))
    completed_on: Mapped[date | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    scheduled_by: Mapped[str] = mapped_column(String(64))
    overdue_notified_on: Mapped[date | None] = mapped_column()
    """The day the assignee was told the review is overdue (told once)."""
