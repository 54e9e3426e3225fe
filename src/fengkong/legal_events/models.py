from __future__ import annotations

from datetime import date
from typing import ClassVar

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
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
    optional_money,
)
from fengkong.kit.money import Money
from fengkong.legal_events.kinds import LegalEventType


class LegalEvent(Sourced, Archivable, Timestamped, Versioned, Base):
    __tablename__ = "legal_events"
    __outbox__: ClassVar[OutboxSpec] = OutboxSpec(created="legal_event", updated="legal_event")
    __table_args__ = (
        CheckConstraint("(amount_minor IS NULL) = (currency IS NULL)", name="amount_has_currency"),
        CheckConstraint("amount_minor IS NULL OR amount_minor >= 0", name="amount_not_negative"),
        CheckConstraint(
            "resolved_on IS NULL OR resolved_on >= occurred_on", name="resolved_after_occurred"
        ),
        UniqueConstraint("customer_id", "event_type", "occurred_on", "case_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    event_type: Mapped[LegalEventType] = mapped_column(enum_type(LegalEventType))
    occurred_on: Mapped[date] = mapped_column()
    # '' when the source gave none; part of the natural key, so never NULL.
    case_number: Mapped[str] = mapped_column(String(100), default="")
    authority: Mapped[str | None] = mapped_column(String(200))
    amount_minor: Mapped[int | None] = minor_units(nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3))
    amount: Mapped[Money | None] = optional_money("amount_minor", "currency")
    description: Mapped[str | None] = mapped_column(Text)
    resolved_on: Mapped[date | None] = mapped_column()
    # Outside data (registry aggregators, agencies) can be linked by a person's or company's name,
    # which is ambiguous; it stays unverified until matched on the USCC.
    verified: Mapped[bool] = mapped_column(default=False)
