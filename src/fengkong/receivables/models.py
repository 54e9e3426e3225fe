from __future__ import annotations

from datetime import date
from typing import ClassVar

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.db import Base
from fengkong.events.spec import OutboxSpec
from fengkong.kit.columns import (
    Archivable,
    Sourced,
    Timestamped,
    Versioned,
    enum_type,
    minor_units,
    money,
)
from fengkong.kit.money import Money
from fengkong.receivables.status import InvoiceStatus


class Invoice(Sourced, Archivable, Timestamped, Versioned, Base):
    __tablename__ = "invoices"
    __outbox__: ClassVar[OutboxSpec] = OutboxSpec(
        created="invoice_issued", updated="invoice_updated"
    )
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint(
            "outstanding_minor >= 0 AND outstanding_minor <= amount_minor",
            name="outstanding_within_amount",
        ),
        CheckConstraint("due_date >= issue_date", name="due_not_before_issue"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    invoice_number: Mapped[str] = mapped_column(String(64), unique=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id", ondelete="SET NULL"))
    issue_date: Mapped[date] = mapped_column()
    due_date: Mapped[date] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = minor_units()
    outstanding_minor: Mapped[int] = minor_units()
    amount: Mapped[Money] = money("amount_minor")
    outstanding: Mapped[Money] = money("outstanding_minor")
    status: Mapped[InvoiceStatus] = mapped_column(
        enum_type(InvoiceStatus), default=InvoiceStatus.OPEN
    )


class Payment(Sourced, Archivable, Timestamped, Versioned, Base):
    __tablename__ = "payments"
    __outbox__: ClassVar[OutboxSpec] = OutboxSpec(
        created="payment_received", updated="payment_updated"
    )
    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    payment_reference: Mapped[str] = mapped_column(String(64), unique=True)
    paid_on: Mapped[date] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = minor_units()
    amount: Mapped[Money] = money("amount_minor")
    method: Mapped[str | None] = mapped_column(String(32))


class PaymentAllocation(Base):
    """The part of a payment that settles one invoice (same currency as both)."""

    __tablename__ = "payment_allocations"
    __table_args__ = (
        UniqueConstraint("payment_id", "invoice_id"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("payments.id", ondelete="CASCADE"), index=True
    )
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="RESTRICT"), index=True
    )
    amount_minor: Mapped[int] = minor_units()
