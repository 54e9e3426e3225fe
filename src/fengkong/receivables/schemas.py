from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field, ValidationInfo, field_validator

from fengkong.customers.schemas import CustomerReference
from fengkong.kit.amounts import PositiveMoneyIn
from fengkong.kit.schemas import InputModel, MoneyOut, OutputModel
from fengkong.receivables.status import InvoiceStatus
from fengkong.records import RecordRead, RecordUpdate

MAX_ALLOCATIONS = 1000


class InvoiceCreate(CustomerReference):
    """A new invoice is open with its whole amount outstanding; only payments reduce that."""

    invoice_number: str = Field(min_length=1, max_length=64)
    order_id: int | None = Field(default=None, ge=1)
    contract_id: int | None = Field(default=None, ge=1)
    issue_date: date
    due_date: date
    amount: PositiveMoneyIn


class InvoiceUpdate(RecordUpdate):
    __not_null__: ClassVar[frozenset[str]] = frozenset(
        {"invoice_number", "issue_date", "due_date", "amount", "status"}
    )

    invoice_number: str | None = Field(default=None, min_length=1, max_length=64)
    order_id: int | None = Field(default=None, ge=1)
    contract_id: int | None = Field(default=None, ge=1)
    issue_date: date | None = None
    due_date: date | None = None
    amount: PositiveMoneyIn | None = Field(
        default=None, description="not below what payments have already settled"
    )
    status: InvoiceStatus | None = Field(
        default=None,
        description="written_off or cancelled; open and paid follow the outstanding balance",
    )


class InvoiceRead(RecordRead):
    customer_id: int
    invoice_number: str
    order_id: int | None
    contract_id: int | None
    issue_date: date
    due_date: date
    amount: MoneyOut
    outstanding: MoneyOut
    status: InvoiceStatus


class AllocationIn(InputModel):
    """Part of a payment settling one invoice, named by id or number (exactly one)."""

    invoice_id: int | None = Field(default=None, ge=1)
    invoice_number: str | None = Field(
        default=None, min_length=1, max_length=64, validate_default=True
    )
    amount: PositiveMoneyIn

    @field_validator("invoice_number")
    @classmethod
    def _exactly_one(cls, value: str | None, info: ValidationInfo) -> str | None:
        if "invoice_id" not in info.data:  # the id itself was invalid and is reported already
            return value
        if (info.data["invoice_id"] is None) == (value is None):
            raise ValueError("give invoice_id or invoice_number (exactly one)")
        return value


class PaymentCreate(CustomerReference):
    """A payment received; ``allocations`` say which invoices it settles. Without any it is
    unapplied cash, to be allocated later."""

    payment_reference: str = Field(min_length=1, max_length=64)
    paid_on: date
    amount: PositiveMoneyIn
    method: str | None = Field(default=None, max_length=32)
    allocations: list[AllocationIn] = Field(default_factory=list, max_length=MAX_ALLOCATIONS)


class PaymentUpdate(RecordUpdate):
    __not_null__: ClassVar[frozenset[str]] = frozenset({"payment_reference", "paid_on", "amount"})

    payment_reference: str | None = Field(default=None, min_length=1, max_length=64)
    paid_on: date | None = None
    amount: PositiveMoneyIn | None = Field(
        default=None, description="not below what is already allocated to invoices"
    )
    method: str | None = Field(default=None, max_length=32)


class PaymentAllocations(InputModel):
    allocations: list[AllocationIn] = Field(min_length=1, max_length=MAX_ALLOCATIONS)


class AllocationRead(OutputModel):
    invoice_id: int
    invoice_number: str
    amount: MoneyOut


class PaymentRead(RecordRead):
    customer_id: int
    payment_reference: str
    paid_on: date
    amount: MoneyOut
    method: str | None
    allocations: list[AllocationRead]
    unapplied: MoneyOut = Field(description="the part not yet allocated to any invoice")
