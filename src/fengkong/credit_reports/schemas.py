from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field, field_validator

from fengkong.customers.schemas import CustomerReference
from fengkong.kit.schemas import InputModel
from fengkong.records import RecordRead, RecordUpdate

MAX_SUMMARY_LENGTH = 10_000


def _not_in_future(value: date | None) -> date | None:
    if value is not None and value > date.today():  # noqa: DTZ011 - a calendar date, any zone
        raise ValueError("a report cannot be dated in the future")
    return value


class CreditReportFields(InputModel):
    rating: str | None = Field(default=None, max_length=16)
    score: float | None = Field(default=None, ge=0, le=1000, allow_inf_nan=False)
    valid_until: date | None = None
    summary: str | None = Field(default=None, max_length=MAX_SUMMARY_LENGTH)


class CreditReportCreate(CustomerReference, CreditReportFields):
    agency: str = Field(min_length=1, max_length=100)
    report_date: date
    verified: bool = False

    @field_validator("report_date")
    @classmethod
    def _dated_today_or_earlier(cls, value: date) -> date:
        _not_in_future(value)
        return value


class CreditReportUpdate(CreditReportFields, RecordUpdate):
    __not_null__: ClassVar[frozenset[str]] = frozenset({"agency", "report_date", "verified"})

    agency: str | None = Field(default=None, min_length=1, max_length=100)
    report_date: date | None = None
    verified: bool | None = None

    @field_validator("report_date")
    @classmethod
    def _dated_today_or_earlier(cls, value: date | None) -> date | None:
        return _not_in_future(value)


class CreditReportRead(RecordRead):
    customer_id: int
    agency: str
    rating: str | None
    score: float | None
    report_date: date
    valid_until: date | None
    summary: str | None
    verified: bool
