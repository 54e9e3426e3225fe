"""Money as an exact ``Decimal`` amount with an ISO 4217 currency.

Amounts are stored as integer minor units (fen for CNY, cents for USD, yen for JPY) so no database
or float can round them. Arithmetic across currencies is refused rather than silently mixed; there
is no exchange-rate service here on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Self

from babel.numbers import get_currency_precision, list_currencies

ROUNDING = ROUND_HALF_UP  # 四舍五入, as Chinese accounting expects; never banker's rounding.


class MoneyError(ValueError):
    """An amount or currency that cannot be represented exactly."""


class CurrencyMismatch(MoneyError):
    pass


@lru_cache(maxsize=1)
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


@lru_cache(maxsize=512)
def currency_exponent(currency: str) -> int:
    """Digits after the decimal point for ``currency`` (2 for CNY, 0 for JPY, 3 for KWD)."""
    return int(get_currency_precision(currency))


def normalise_currency(currency: str) -> str:
    code = currency.strip().upper()
    if code not in _known_currencies():
        raise MoneyError(f"unknown currency code {currency!r} (expected ISO 4217, e.g. CNY)")
    return code


def parse_amount(value: object) -> Decimal:
    """Read an amount from user input without ever passing through float."""
    if isinstance(value, bool | float):
        raise MoneyError(
            f"amount {value!r} must be given as a decimal string or integer, not float"
        )
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            amount = Decimal(text)
        except InvalidOperation as exc:
            raise MoneyError(f"{value!r} is not a number") from exc
    else:
        raise MoneyError(f"{value!r} is not an amount")
    if not amount.is_finite():
        raise MoneyError(f"{value!r} is not a finite amount")
    return amount


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        currency = normalise_currency(self.currency)
        amount = parse_amount(self.amount)
        exponent = currency_exponent(currency)
        quantum = Decimal(1).scaleb(-exponent)
        if amount != amount.quantize(quantum, rounding=ROUNDING):
            raise MoneyError(
                f"{amount} has more decimal places than {currency} allows ({exponent})"
            )
        object.__setattr__(self, "currency", currency)
        object.__setattr__(self, "amount", amount.quantize(quantum))

    @classmethod
    def of(cls, amount: object, currency: str) -> Self:
        return cls(parse_amount(amount), currency)

    @classmethod
    def rounded(cls, amount: object, currency: str) -> Self:
        """Round half-up to the currency's minor unit (for computed amounts such as shares)."""
        code = normalise_currency(currency)
        quantum = Decimal(1).scaleb(-currency_exponent(code))
        return cls(parse_amount(amount).quantize(quantum, rounding=ROUNDING), code)

    @classmethod
    def zero(cls, currency: str) -> Self:
        return cls(Decimal(0), currency)

    @classmethod
    def from_minor_units(cls, minor_units: int, currency: str) -> Self:
        code = normalise_currency(currency)
        return cls(Decimal(minor_units).scaleb(-currency_exponent(code)), code)

    @property
    def minor_units(self) -> int:
        return int(self.amount.scaleb(currency_exponent(self.currency)))

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        return Money.rounded(self.amount * factor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount >= other.amount

    def is_zero(self) -> bool:
        return self.amount == 0

    def __str__(self) -> str:
        return f"{self.currency} {self.amount:,}"

    def __composite_values__(self) -> tuple[int, str]:
        return (self.minor_units, self.currency)


def money_or_none(minor_units: int | None, currency: str | None) -> Money | None:
    """Composite loader for optional money columns (both parts NULL means no amount)."""
    if minor_units is None or currency is None:
        return None
    return Money.from_minor_units(minor_units, currency)
