"""Plausibility rules for financial statements, shared by the API and file imports."""

from __future__ import annotations

from decimal import Decimal

BALANCE_TOLERANCE = Decimal("0.005")
"""Assets may differ from liabilities + equity by 0.5 % (rounding in filed statements)."""

NON_NEGATIVE_LINES: tuple[str, ...] = (
    "total_assets",
    "current_assets",
    "cash",
    "accounts_receivable",
    "inventory",
    "total_liabilities",
    "current_liabilities",
    "revenue",
    "interest_expense",
)
"""Lines that cannot be negative. Equity, profit and cash flow can (a loss-making or insolvent
customer is exactly what we need to see)."""


def balance_sheet_gap(
    total_assets: int | Decimal, total_liabilities: int | Decimal, total_equity: int | Decimal
) -> Decimal:
    """How far assets miss liabilities + equity, relative to assets (0 when they balance)."""
    assets = Decimal(total_assets)
    difference = abs(assets - Decimal(total_liabilities) - Decimal(total_equity))
    if assets == 0:
        return Decimal(0) if difference == 0 else Decimal(1)
    return difference / abs(assets)


def balances(
    total_assets: int | Decimal, total_liabilities: int | Decimal, total_equity: int | Decimal
) -> bool:
    return balance_sheet_gap(total_assets, total_liabilities, total_equity) <= BALANCE_TOLERANCE
