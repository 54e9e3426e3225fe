from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fengkong.kit.money import CurrencyMismatch, Money, MoneyError, currency_exponent


def test_amounts_are_exact_where_floats_are_not() -> None:
    total = Money.of("0.10", "CNY") + Money.of("0.20", "CNY")
    assert total == Money.of("0.30", "CNY")


def test_money_is_stored_in_the_currency_minor_units() -> None:
    assert Money.of("1234.56", "CNY").minor_units == 123456
    assert Money.of("1234", "JPY").minor_units == 1234
    assert Money.of("1.234", "KWD").minor_units == 1234
    assert [currency_exponent(code) for code in ("CNY", "JPY", "KWD")] == [2, 0, 3]


def test_more_decimal_places_than_the_currency_allows_is_refused() -> None:
    with pytest.raises(MoneyError, match="more decimal places than CNY"):
        Money.of("1.005", "CNY")
    with pytest.raises(MoneyError, match="JPY"):
        Money.of("10.5", "JPY")


def test_rounded_uses_half_up_as_chinese_accounting_expects() -> None:
    assert Money.rounded("2.345", "CNY").amount == Decimal("2.35")
    assert Money.rounded("2.325", "CNY").amount == Decimal("2.33")  # banker's would give 2.32
    assert (Money.of("10.00", "CNY") * Decimal("0.3333")).amount == Decimal("3.33")


def test_currencies_are_never_mixed() -> None:
    with pytest.raises(CurrencyMismatch):
        _ = Money.of("1", "CNY") + Money.of("1", "USD")
    with pytest.raises(CurrencyMismatch):
        _ = Money.of("1", "CNY") < Money.of("2", "USD")


@pytest.mark.parametrize("bad", [0.1, float("nan"), "abc", "1e", "NaN", "Infinity", None, True])
def test_amounts_that_are_not_exact_numbers_are_refused(bad: object) -> None:
    with pytest.raises(MoneyError):
        Money.of(bad, "CNY")


def test_unknown_currency_codes_are_refused_and_known_ones_normalised() -> None:
    with pytest.raises(MoneyError, match="unknown currency"):
        Money.of("1", "RMB")
    assert Money.of("1", " usd ").currency == "USD"


def test_amount_strings_may_carry_thousands_separators() -> None:
    assert Money.of("1,234,567.50", "CNY").amount == Decimal("1234567.50")


@given(
    minor=st.integers(min_value=-(10**15), max_value=10**15),
    currency=st.sampled_from(["CNY", "USD", "JPY", "KWD", "EUR", "HKD"]),
)
def test_minor_units_round_trip_exactly(minor: int, currency: str) -> None:
    money = Money.from_minor_units(minor, currency)
    assert money.minor_units == minor
    assert Money.from_minor_units(money.minor_units, money.currency) == money
