from __future__ import annotations

from datetime import date
from typing import ClassVar

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.db import Base
from fengkong.events.spec import OutboxSpec
from fengkong.kit.columns import (
    Archivable,
    Sourced,
    Timestamped,
    Versioned,
    minor_units,
    optional_money,
)
from fengkong.kit.money import Money

STATEMENT_LINES: tuple[str, ...] = (
    "total_assets",
    "current_assets",
    "cash",
    "accounts_receivable",
    "inventory",
    "total_liabilities",
    "current_liabilities",
    "total_equity",
    "revenue",
    "net_profit",
    "interest_expense",
    "operating_cash_flow",
)
"""Lines every statement may carry. Flow lines (revenue … operating_cash_flow) are year-to-date,
as Chinese Accounting Standards statements are filed: ``period_months`` says how many months."""


class FinancialStatement(Sourced, Archivable, Timestamped, Versioned, Base):
    __tablename__ = "financial_statements"
    __outbox__: ClassVar[OutboxSpec] = OutboxSpec(
        created="financial_statement_filed", updated="financial_statement_updated"
    )
    __table_args__ = (
        UniqueConstraint("customer_id", "period_end", "period_months"),
        CheckConstraint("period_months IN (3, 6, 9, 12)", name="period_months_allowed"),
        CheckConstraint("published_on >= period_end", name="published_after_period_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    period_end: Mapped[date] = mapped_column()
    period_months: Mapped[int] = mapped_column(default=12)
    # When the statement became known to us: point-in-time features must not read it earlier.
    published_on: Mapped[date] = mapped_column()
    audited: Mapped[bool] = mapped_column(default=False)
    currency: Mapped[str] = mapped_column(String(3))

    total_assets_minor: Mapped[int | None] = minor_units(nullable=True)
    current_assets_minor: Mapped[int | None] = minor_units(nullable=True)
    cash_minor: Mapped[int | None] = minor_units(nullable=True)
    accounts_receivable_minor: Mapped[int | None] = minor_units(nullable=True)
    inventory_minor: Mapped[int | None] = minor_units(nullable=True)
    total_liabilities_minor: Mapped[int | None] = minor_units(nullable=True)
    current_liabilities_minor: Mapped[int | None] = minor_units(nullable=True)
    total_equity_minor: Mapped[int | None] = minor_units(nullable=True)
    revenue_minor: Mapped[int | None] = minor_units(nullable=True)
    net_profit_minor: Mapped[int | None] = minor_units(nullable=True)
    interest_expense_minor: Mapped[int | None] = minor_units(nullable=True)
    operating_cash_flow_minor: Mapped[int | None] = minor_units(nullable=True)

    total_assets: Mapped[Money | None] = optional_money("total_assets_minor", "currency")
    current_assets: Mapped[Money | None] = optional_money("current_assets_minor", "currency")
    cash: Mapped[Money | None] = optional_money("cash_minor", "currency")
    accounts_receivable: Mapped[Money | None] = optional_money(
        "accounts_receivable_minor", "currency"
    )
    inventory: Mapped[Money | None] = optional_money("inventory_minor", "currency")
    total_liabilities: Mapped[Money | None] = optional_money("total_liabilities_minor", "currency")
    current_liabilities: Mapped[Money | None] = optional_money(
        "current_liabilities_minor", "currency"
    )
    total_equity: Mapped[Money | None] = optional_money("total_equity_minor", "currency")
    revenue: Mapped[Money | None] = optional_money("revenue_minor", "currency")
    net_profit: Mapped[Money | None] = optional_money("net_profit_minor", "currency")
    interest_expense: Mapped[Money | None] = optional_money("interest_expense_minor", "currency")
    operating_cash_flow: Mapped[Money | None] = optional_money(
        "operating_cash_flow_minor", "currency"
    )
