"""The typed events an ERP or a data feed posts to ``POST /api/v1/events``: one envelope per event
type, each with its own payload model; every model refuses unknown fields."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

MAX_BATCH = 10_000

Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Amount = Annotated[int, Field(ge=0, description="minor units (分 for CNY)")]
Reference = Annotated[str, Field(min_length=1, max_length=64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InvoiceIssued(_Strict):
    invoice_number: Reference
    amount_minor: Amount
    currency: Currency
    issue_date: date
    due_date: date


class PaymentReceived(_Strict):
    payment_reference: Reference
    amount_minor: Amount
    currency: Currency
    received_on: date
    invoice_number: Reference | None = None


class OrderPlaced(_Strict):
    order_number: Reference
    amount_minor: Amount
    currency: Currency
    order_date: date


class CreditReportUpdated(_Strict):
    agency: Reference
    report_date: date
    rating: Annotated[str, Field(max_length=16)] | None = None
    score: float | None = None


class LegalEventKind(StrEnum):
    LAWSUIT = "lawsuit"
    ENFORCEMENT = "enforcement"
    DISHONEST_DEBTOR = "dishonest_debtor"
    ADMINISTRATIVE_PENALTY = "administrative_penalty"
    OTHER = "other"


class LegalEventPayload(_Strict):
    kind: LegalEventKind
    case_number: Reference
    filed_on: date
    amount_minor: Amount | None = None
    currency: Currency | None = None


class FinancialStatementFiled(_Strict):
    period_end: date
    statement_type: Annotated[str, Field(max_length=32)] = "annual"


class CustomerUpdated(_Strict):
    changes: dict[Annotated[str, Field(max_length=64)], str | int | float | bool | None] = Field(
        max_length=50
    )


class _Envelope(_Strict):
    event_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[!-~]+$")]
    occurred_at: AwareDatetime
    customer_id: int | None = None
    customer_uscc: Annotated[str, Field(min_length=18, max_length=18)] | None = None

    @model_validator(mode="after")
    def _one_customer(self) -> _Envelope:
        if (self.customer_id is None) == (self.customer_uscc is None):
            raise ValueError("give exactly one of customer_id and customer_uscc")
        return self


class InvoiceIssuedEvent(_Envelope):
    type: Literal["invoice_issued"]
    payload: InvoiceIssued


class PaymentReceivedEvent(_Envelope):
    type: Literal["payment_received"]
    payload: PaymentReceived


class OrderPlacedEvent(_Envelope):
    type: Literal["order_placed"]
    payload: OrderPlaced


class CreditReportUpdatedEvent(_Envelope):
    type: Literal["credit_report_updated"]
    payload: CreditReportUpdated


class LegalEventEvent(_Envelope):
    type: Literal["legal_event"]
    payload: LegalEventPayload


class FinancialStatementFiledEvent(_Envelope):
    type: Literal["financial_statement_filed"]
    payload: FinancialStatementFiled


class CustomerUpdatedEvent(_Envelope):
    type: Literal["customer_updated"]
    payload: CustomerUpdated


IncomingEvent = Annotated[
    InvoiceIssuedEvent
    | PaymentReceivedEvent
    | OrderPlacedEvent
    | CreditReportUpdatedEvent
    | LegalEventEvent
    | FinancialStatementFiledEvent
    | CustomerUpdatedEvent,
    Field(discriminator="type"),
]

EVENT_TYPES = (
    "invoice_issued",
    "payment_received",
    "order_placed",
    "credit_report_updated",
    "legal_event",
    "financial_statement_filed",
    "customer_updated",
)


class EventBatchIn(_Strict):
    events: list[IncomingEvent] = Field(min_length=1, max_length=MAX_BATCH)


class EventBatchOut(BaseModel):
    accepted: int = Field(description="events stored now")
    duplicates: int = Field(description="events whose event_id was already stored: unchanged")
    duplicate_event_ids: list[str]
