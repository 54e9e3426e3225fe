from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field

from fengkong.customers.schemas import CustomerReference
from fengkong.kit.amounts import PositiveMoneyIn
from fengkong.kit.schemas import MoneyOut
from fengkong.orders.status import OrderStatus
from fengkong.records import RecordRead, RecordUpdate


class OrderCreate(CustomerReference):
    order_number: str = Field(min_length=1, max_length=64)
    ordered_on: date
    requested_delivery_on: date | None = None
    amount: PositiveMoneyIn


class OrderUpdate(RecordUpdate):
    __not_null__: ClassVar[frozenset[str]] = frozenset(
        {"order_number", "ordered_on", "amount", "status"}
    )

    order_number: str | None = Field(default=None, min_length=1, max_length=64)
    ordered_on: date | None = None
    requested_delivery_on: date | None = None
    amount: PositiveMoneyIn | None = None
    status: OrderStatus | None = None


class OrderRead(RecordRead):
    customer_id: int
    order_number: str
    ordered_on: date
    requested_delivery_on: date | None
    amount: MoneyOut
    status: OrderStatus
