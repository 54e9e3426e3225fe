from __future__ import annotations

from datetime import date, datetime
from typing import Self

from pydantic import Field, field_validator, model_validator

from fengkong.customers.models import Customer
from fengkong.customers.status import CustomerStatus
from fengkong.customers.uscc import InvalidUSCC, validate_uscc
from fengkong.kit.schemas import InputModel, MoneyIn, MoneyOut, OutputModel
from fengkong.reference.classifications import (
    UnknownCode,
    validate_industry_code,
    validate_region_code,
)


def _uscc(value: str) -> str:
    try:
        return validate_uscc(value)
    except InvalidUSCC as exc:
        raise ValueError(str(exc)) from exc


def _industry(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return validate_industry_code(value)
    except UnknownCode as exc:
        raise ValueError(str(exc)) from exc


def _region(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return validate_region_code(value)
    except UnknownCode as exc:
        raise ValueError(str(exc)) from exc


class CustomerFields(InputModel):
    name_en: str | None = Field(default=None, max_length=200)
    industry_code: str | None = None
    region_code: str | None = None
    registered_capital: MoneyIn | None = None
    established_on: date | None = None
    legal_representative: str | None = Field(default=None, max_length=100)
    address: str | None = Field(default=None, max_length=300)

    @field_validator("industry_code")
    @classmethod
    def _known_industry(cls, value: str | None) -> str | None:
        return _industry(value)

    @field_validator("region_code")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        return _region(value)

    @field_validator("established_on")
    @classmethod
    def _not_in_future(cls, value: date | None) -> date | None:
        if value is not None and value > date.today():  # noqa: DTZ011 - a calendar date, any zone
            raise ValueError("establishment date is in the future")
        return value


class CustomerCreate(CustomerFields):
    uscc: str
    name: str = Field(min_length=1, max_length=200)

    @field_validator("uscc")
    @classmethod
    def _valid_uscc(cls, value: str) -> str:
        return _uscc(value)


class CustomerUpdate(CustomerFields):
    """Fields a user may change; only those sent are applied."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    status: CustomerStatus | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self


class CustomerRead(OutputModel):
    id: int
    uscc: str
    name: str
    name_en: str | None
    industry_code: str | None
    region_code: str | None
    registered_capital: MoneyOut | None
    established_on: date | None
    legal_representative: str | None
    address: str | None
    status: CustomerStatus
    owner_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, customer: Customer) -> CustomerRead:
        return cls.model_validate(
            {
                **{key: getattr(customer, key) for key in cls.model_fields},
                "registered_capital": MoneyOut.of(customer.registered_capital),
            }
        )
