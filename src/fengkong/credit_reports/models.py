from __future__ import annotations

from datetime import date
from typing import ClassVar

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.db import Base
from fengkong.events.spec import OutboxSpec
from fengkong.kit.columns import Archivable, Sourced, Timestamped, Versioned


class CreditReport(Sourced, Archivable, Timestamped, Versioned, Base):
    __tablename__ = "credit_reports"
    __outbox__: ClassVar[OutboxSpec] = OutboxSpec(
        created="credit_report_updated", updated="credit_report_updated"
    )
    __table_args__ = (UniqueConstraint("customer_id", "agency", "report_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    agency: Mapped[str] = mapped_column(String(100))
    rating: Mapped[str | None] = mapped_column(String(16))
    score: Mapped[float | None] = mapped_column()
    report_date: Mapped[date] = mapped_column(index=True)
    valid_until: Mapped[date | None] = mapped_column()
    summary: Mapped[str | None] = mapped_column(Text)
    # Outside data (registry aggregators, agencies) can be linked by a person's or company's name,
    # which is ambiguous; it stays unverified until matched on the USCC.
    verified: Mapped[bool] = mapped_column(default=False)
