"""Money inputs with a sign rule, checked where the amount is read so a 422 names the field.

Invoices, payments, orders and contracts are for positive amounts; fines and most statement lines
can be zero but never negative. Equity, profit and cash flow can be negative and use ``MoneyIn``.
"""

from __future__ import annotations

from typing import Self

from pydantic import model_validator

from fengkong.kit.schemas import MoneyIn


class PositiveMoneyIn(MoneyIn):
    @model_validator(mode="after")
    def _positive(self) -> Self:
        if self.amount <= 0:
            raise ValueError("amount must be greater than zero")
        return self


class NonNegativeMoneyIn(MoneyIn):
    @model_validator(mode="after")
    def _not_negative(self) -> Self:
        if self.amount < 0:
            raise ValueError("amount must not be negative")
        return self
