from __future__ import annotations

from decimal import Decimal

from fengkong.financials.checks import balance_sheet_gap, balances


def test_a_balance_sheet_within_half_a_percent_balances() -> None:
    assert balances(1_000_000, 600_000, 400_000)
    assert balances(1_000_000, 600_000, 395_000)
    assert not balances(1_000_000, 600_000, 394_000)
    assert balance_sheet_gap(1_000_000, 600_000, 394_000) == Decimal("0.006")


def test_negative_equity_balances_when_liabilities_exceed_assets() -> None:
    assert balances(1_000_000, 1_300_000, -300_000)


def test_an_empty_balance_sheet_balances_only_when_everything_is_zero() -> None:
    assert balances(0, 0, 0)
    assert not balances(0, 100, 0)
