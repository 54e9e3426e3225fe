from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field, field_validator

from fengkong.customers.schemas import CustomerReference
from fengkong.kit.amounts import NonNegativeMoneyIn
from fengkong.kit.schemas import InputModel, MoneyOut
from fengkong.legal_events.kinds import LegalEventType
from fengkong.records import RecordRead, RecordUpdate

MAX_DESCRIPTION_LENGTH = 10_000


def _not_in_future(value: date | None) -> date | None:
    if value is not None and value > date.today():  # noqa: DTZ011 - a calendar date, any zone
        raise ValueError("the date is in the future")
    return value


class LegalEventFields(InputModel):
    authority: str | None = Field(default=None, max_length=200)
    amount: NonNegativeMoneyIn | None = Field(
        default=None, description="the sum at stake: claim, judgment, fine or frozen assets"
    )
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION_LENGTH)
    resolved_on: date | None = None


class LegalEventCreate(CustomerReference, LegalEventFields):
    event_type: LegalEventType
    occurred_on: date
    case_number: str = Field(default="", max_length=100, description="'' when the source has none")
    verified: bool = False

    @field_validator("occurred_on")
    @classmethod
    def _happened(cls, value: date) -> date:
        _not_in_future(value)
        return value


class LegalEventUpdate(LegalEventFields, RecordUpdate):
    __not_null__: ClassVar[frozenset[str]] = frozenset(
        {"event_type", "occurred_on", "case_number", "verified"}
    )

    event_type: LegalEventType | None = None
    occurred_on: date | None = None
    case_number: str | None = Field(default=None, max_length=100)
    verified: bool | None = None

    @field_validator("occurred_on")
    @classmethod
    def _happened(cls, value: date | None) -> date | None:
        return _not_in_future(value)


class LegalEventRead(RecordRead):
    customer_id: int
    event_type: LegalEventType
    occurred_on: date
    case_number: str
    authority: str | None
    amount: MoneyOut | None
    description: str | None
    resolved_on: date | None
    verified: bool
