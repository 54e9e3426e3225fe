"""Pydantic building blocks shared by areas' schemas."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    ValidationInfo,
    field_validator,
    model_validator,
)

from fengkong.kit.money import Money, MoneyError, parse_amount


def _amount(value: object) -> Decimal:
    if isinstance(value, float):
        value = repr(value)
    try:
        return parse_amount(value)
    except MoneyError as exc:
        raise ValueError(str(exc)) from exc


Amount = Annotated[Decimal, BeforeValidator(_amount), PlainSerializer(str, return_type=str)]
"""A decimal amount that travels as a string in JSON, so no client rounds it through float."""


MAX_STORABLE_INT = 2**63 - 1
"""The largest integer a BIGINT column (PostgreSQL, SQLite) holds: amounts in minor units."""
MAX_RECORD_ID = 2**31 - 1
"""The largest id an INTEGER primary key holds on PostgreSQL."""


def is_record_id(name: str) -> bool:
    """Fields named ``id``, ``…_id``, ``…_ids`` or ``…version`` hold record ids or versions,
    INTEGER columns."""
    return name == "id" or name.endswith(("_id", "_ids", "version"))


EARLIEST_YEAR = 1000
LATEST_YEAR = 2999
"""Business dates lie well inside Python's years 1–9999, so date arithmetic (terms, ageing,
look-backs) never leaves the calendar."""


def check_storable(value: object, *, record_id: bool = False) -> None:
    """Refuse what no database column can hold or no date arithmetic survive, so it is a 422
    naming the field rather than a driver error or an overflow: U+0000 in text (PostgreSQL
    rejects it), integers beyond 64 bits, ids beyond the 32 bits of a primary key, and dates
    outside the years 1000–2999."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text must not contain NUL characters (U+0000)")
    elif isinstance(value, date):  # datetimes too
        if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            raise ValueError(f"a date must lie in the years {EARLIEST_YEAR}–{LATEST_YEAR}")
    elif isinstance(value, int) and not isinstance(value, bool):
        limit = MAX_RECORD_ID if record_id else MAX_STORABLE_INT
        if not -limit - 1 <= value <= limit:
            raise ValueError(f"a whole number must lie within ±{limit}")
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            check_storable(item, record_id=record_id)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_storable(key)
            check_storable(item)


class InputModel(BaseModel):
    """Inputs refuse unknown fields: a client cannot set what the server owns (mass assignment).
    Every field also refuses values no column can store (``check_storable``)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _storable(cls, value: object, info: ValidationInfo) -> object:
        check_storable(value, record_id=is_record_id(info.field_name or ""))
        return value


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class MoneyIn(InputModel):
    amount: Amount
    currency: str

    @model_validator(mode="after")
    def _representable(self) -> Self:
        try:
            money = Money(self.amount, self.currency)
        except MoneyError as exc:
            raise ValueError(str(exc)) from exc
        self.currency = money.currency
        return self

    def to_money(self) -> Money:
        return Money(self.amount, self.currency)


class MoneyOut(OutputModel):
    amount: Amount
    currency: str

    @classmethod
    def of(cls, money: Money | None) -> MoneyOut | None:
        return None if money is None else cls(amount=money.amount, currency=money.currency)


class PageOut(BaseModel):
    total: int
    page: int
    page_size: int
    pages: int
