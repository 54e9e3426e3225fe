from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field

from fengkong.contracts.status import ContractStatus
from fengkong.customers.schemas import CustomerReference
from fengkong.kit.amounts import PositiveMoneyIn
from fengkong.kit.schemas import MoneyOut
from fengkong.records import RecordRead, RecordUpdate

MAX_PAYMENT_TERMS_DAYS = 3650


class ContractCreate(CustomerReference):
    contract_number: str = Field(min_length=1, max_length=64)
    signed_on: date
    starts_on: date
    ends_on: date | None = None
    amount: PositiveMoneyIn
    payment_terms_days: int = Field(default=30, ge=0, le=MAX_PAYMENT_TERMS_DAYS)


class ContractUpdate(RecordUpdate):
    __not_null__: ClassVar[frozenset[str]] = frozenset(
        {"contract_number", "signed_on", "starts_on", "amount", "payment_terms_days", "status"}
    )

    contract_number: str | None = Field(default=None, min_length=1, max_length=64)
    signed_on: date | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    amount: PositiveMoneyIn | None = None
    payment_terms_days: int | None = Field(default=None, ge=0, le=MAX_PAYMENT_TERMS_DAYS)
    status: ContractStatus | None = None


class ContractRead(RecordRead):
    customer_id: int
    contract_number: str
    signed_on: date
    starts_on: date
    ends_on: date | None
    amount: MoneyOut
    payment_terms_days: int
    status: ContractStatus
