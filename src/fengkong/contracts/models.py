from __future__ import annotations

from datetime import date
from typing import ClassVar

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.contracts.status import ContractStatus
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


class Contract(Sourced, Archivable, Timestamped, Versioned, Base):
    __tablename__ = "contracts"
    __outbox__: ClassVar[OutboxSpec] = OutboxSpec(
        created="contract_signed", updated="contract_updated"
    )
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
        CheckConstraint("payment_terms_days >= 0", name="payment_terms_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    contract_number: Mapped[str] = mapped_column(String(64), unique=True)
    signed_on: Mapped[date] = mapped_column()
    starts_on: Mapped[date] = mapped_column()
    ends_on: Mapped[date | None] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = minor_units()
    amount: Mapped[Money] = money("amount_minor")
    payment_terms_days: Mapped[int] = mapped_column(default=30)
    status: Mapped[ContractStatus] = mapped_column(
        enum_type(ContractStatus), default=ContractStatus.ACTIVE, index=True
    )
