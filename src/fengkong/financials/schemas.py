from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import Field

from fengkong.customers.schemas import CustomerReference
from fengkong.kit.amounts import NonNegativeMoneyIn
from fengkong.kit.schemas import InputModel, MoneyIn, MoneyOut
from fengkong.records import RecordRead, RecordUpdate

PeriodMonths = Literal[3, 6, 9, 12]

BALANCE_SHEET_TOTALS: tuple[str, ...] = ("total_assets", "total_liabilities", "total_equity")
"""Lines every statement must carry: without them it cannot be checked, or scored."""


class OptionalLines(InputModel):
    """Lines a statement may carry. All lines share one currency, the statement's."""

    current_assets: NonNegativeMoneyIn | None = None
    cash: NonNegativeMoneyIn | None = None
    accounts_receivable: NonNegativeMoneyIn | None = None
    inventory: NonNegativeMoneyIn | None = None
    current_liabilities: NonNegativeMoneyIn | None = None
    revenue: NonNegativeMoneyIn | None = None
    net_profit: MoneyIn | None = None
    interest_expense: NonNegativeMoneyIn | None = None
    operating_cash_flow: MoneyIn | None = None


class FinancialStatementCreate(CustomerReference, OptionalLines):
    period_end: date
    period_months: PeriodMonths = Field(
        default=12, description="months the flow lines cover (year-to-date)"
    )
    published_on: date = Field(description="when the statement became known to us")
    audited: bool = False
    total_assets: NonNegativeMoneyIn
    total_liabilities: NonNegativeMoneyIn
    total_equity: MoneyIn


class FinancialStatementUpdate(OptionalLines, RecordUpdate):
    __not_null__: ClassVar[frozenset[str]] = frozenset(
        {"period_end", "period_months", "published_on", "audited", *BALANCE_SHEET_TOTALS}
    )

    period_end: date | None = None
    period_months: PeriodMonths | None = None
    published_on: date | None = None
    audited: bool | None = None
    total_assets: NonNegativeMoneyIn | None = None
    total_liabilities: NonNegativeMoneyIn | None = None
    total_equity: MoneyIn | None = None


class FinancialStatementRead(RecordRead):
    customer_id: int
    period_end: date
    period_months: int
    published_on: date
    audited: bool
    currency: str
    total_assets: MoneyOut | None
    current_assets: MoneyOut | None
    cash: MoneyOut | None
    accounts_receivable: MoneyOut | None
    inventory: MoneyOut | None
    total_liabilities: MoneyOut | None
    current_liabilities: MoneyOut | None
    total_equity: MoneyOut | None
    revenue: MoneyOut | None
    net_profit: MoneyOut | None
    interest_expense: MoneyOut | None
    operating_cash_flow: MoneyOut | None
