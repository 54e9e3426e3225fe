from __future__ import annotations

from datetime import date
from typing import ClassVar

from sqlalchemy import CheckConstraint, ForeignKey, String
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
from fengkong.orders.status import OrderStatus


class Order(Sourced, Archivable, Timestamped, Versioned, Base):
    __tablename__ = "orders"
    __outbox__: ClassVar[OutboxSpec] = OutboxSpec(created="order_placed", updated="order_updated")
    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    order_number: Mapped[str] = mapped_column(String(64), unique=True)
    ordered_on: Mapped[date] = mapped_column()
    requested_delivery_on: Mapped[date | None] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = minor_units()
    amount: Mapped[Money] = money("amount_minor")
    status: Mapped[OrderStatus] = mapped_column(enum_type(OrderStatus), default=OrderStatus.OPEN)
