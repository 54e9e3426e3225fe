"""Tables of the collections area: dunning notices with the invoices each covers, each open
invoice's current dunning level, and promises to pay."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.collections.status import NoticeStatus, PromiseStatus
from fengkong.db import Base
from fengkong.events.spec import OutboxSpec
from fengkong.kit.columns import Timestamped, Versioned, enum_type, minor_units, money
from fengkong.kit.money import Money
from fengkong.kit.time import utcnow


class DunningNotice(Timestamped, Versioned, Base):
    """One letter to one customer: the invoices of one currency that reached ``level`` in the
    run of ``run_on``. At most one per customer, level, currency and day, which makes a run
    idempotent per day even when two runs race. The only later change is a cancellation."""

    __tablename__ = "dunning_notices"
    # An update of a notice is always its cancellation.
    __outbox__: ClassVar[OutboxSpec] = OutboxSpec(
        created="dunning_notice_issued", updated="dunning_notice_cancelled"
    )
    __table_args__ = (
        UniqueConstraint("customer_id", "level", "run_on", "currency"),
        CheckConstraint("level >= 1", name="level_positive"),
        CheckConstraint("total_overdue_minor > 0", name="total_positive"),
        Index(None, "run_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    level: Mapped[int] = mapped_column()
    level_name: Mapped[str] = mapped_column(String(64))
    legal_handover: Mapped[bool] = mapped_column(default=False)
    run_on: Mapped[date] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    total_overdue_minor: Mapped[int] = minor_units()
    total_overdue: Mapped[Money] = money("total_overdue_minor")
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[NoticeStatus] = mapped_column(
        enum_type(NoticeStatus, length=16), default=NoticeStatus.ISSUED
    )
    config_name: Mapped[str] = mapped_column(String(100))
    config_version: Mapped[int] = mapped_column()
    config_sha256: Mapped[str] = mapped_column(String(64))
    issued_by: Mapped[str] = mapped_column(String(64))
    cancelled_at: Mapped[datetime | None] = mapped_column()
    cancelled_by: Mapped[str | None] = mapped_column(String(64))
    cancel_reason: Mapped[str | None] = mapped_column(String(500))


class DunningNoticeItem(Base):
    """An invoice a notice covers, as it stood on the run date (the letter is reproducible even
    after the invoice is paid)."""

    __tablename__ = "dunning_notice_items"
    __audited__: ClassVar[bool] = False  # written with their notice, which is audited
    __table_args__ = (
        UniqueConstraint("notice_id", "invoice_id"),
        CheckConstraint("outstanding_minor > 0", name="outstanding_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("dunning_notices.id", ondelete="CASCADE"))
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="RESTRICT"), index=True
    )
    invoice_number: Mapped[str] = mapped_column(String(64))
    issue_date: Mapped[date] = mapped_column()
    due_date: Mapped[date] = mapped_column()
    days_past_due: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    outstanding_minor: Mapped[int] = minor_units()
    outstanding: Mapped[Money] = money("outstanding_minor")
    previous_level: Mapped[int] = mapped_column(default=0)


class InvoiceDunning(Base):
    """The dunning level an invoice has reached, one row per invoice ever dunned. A run moves
    it up only; cancelling the notice that moved it puts it back."""

    __tablename__ = "invoice_dunning"
    __audited__: ClassVar[bool] = False  # every change comes with an audited notice
    __table_args__ = (
        Index(None, "customer_id", "level"),
        CheckConstraint("level >= 0", name="level_not_negative"),
    )

    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    level: Mapped[int] = mapped_column()
    last_notice_id: Mapped[int | None] = mapped_column(
        ForeignKey("dunning_notices.id", ondelete="SET NULL")
    )
    dunned_on: Mapped[date | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PromiseToPay(Timestamped, Versioned, Base):
    """The customer's word that ``amount`` will be paid by ``due_on``: for one invoice, or for
    the customer's overdue invoices oldest first when ``invoice_id`` is null."""

    __tablename__ = "promises_to_pay"
    __outbox__: ClassVar[OutboxSpec] = OutboxSpec(
        created="promise_to_pay_recorded", updated="promise_to_pay_updated"
    )
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("due_on >= promised_on", name="due_not_before_promised"),
        Index(None, "customer_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    invoice_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoices.id", ondelete="RESTRICT"), index=True
    )
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = minor_units()
    amount: Mapped[Money] = money("amount_minor")
    promised_on: Mapped[date] = mapped_column()
    due_on: Mapped[date] = mapped_column()
    status: Mapped[PromiseStatus] = mapped_column(
        enum_type(PromiseStatus, length=16), default=PromiseStatus.OPEN
    )
    recorded_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(1000))
    # Set when the promise is judged kept or broken: what had been paid towards it, and when.
    paid_minor: Mapped[int | None] = minor_units(nullable=True)
    resolved_on: Mapped[date | None] = mapped_column()
    resolved_by: Mapped[str | None] = mapped_column(String(64))
