"""Pydantic building blocks shared by areas' schemas."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, model_validator

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


class InputModel(BaseModel):
    """Inputs refuse unknown fields: a client cannot set what the server owns (mass assignment)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


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
