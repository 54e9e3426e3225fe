"""The report subscriptions table: who receives which report, in which form, how often."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.db import Base
from fengkong.kit.columns import Timestamped, Versioned, enum_type


class ReportKind(StrEnum):
    PORTFOLIO = "portfolio"
    CUSTOMER = "customer"


class ReportFormat(StrEnum):
    PDF = "pdf"
    XLSX = "xlsx"
    HTML = "html"


class Frequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class ReportSubscription(Timestamped, Versioned, Base):
    """One user's standing order for a report by e-mail. ``run_day`` is the weekday (0 = Monday)
    of a weekly one and the day of the month (1–31, clipped to the month's end) of a monthly
    one. A subscription the subscriber may no longer read is suspended (``active`` off, with
    ``suspended_reason``) instead of being sent."""

    __tablename__ = "report_subscriptions"
    __table_args__ = (Index(None, "active", "next_run_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ReportKind] = mapped_column(enum_type(ReportKind, length=16))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    format: Mapped[ReportFormat] = mapped_column(enum_type(ReportFormat, length=8))
    locale: Mapped[str] = mapped_column(String(8))
    email: Mapped[str] = mapped_column(String(254))
    frequency: Mapped[Frequency] = mapped_column(enum_type(Frequency, length=16))
    run_day: Mapped[int | None] = mapped_column(SmallInteger)
    next_run_on: Mapped[date] = mapped_column()
    last_sent_at: Mapped[datetime | None] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)
    suspended_reason: Mapped[str | None] = mapped_column(String(300))
    created_by: Mapped[str] = mapped_column(String(64))
