"""The collections worklist: customers with overdue invoices ranked by what their overdue amount
puts at risk. Pure.

Priority = overdue amount (undisputed, in major units of its currency) × the customer's PD: the
expected loss on the money already late, so a large overdue amount at a safe customer and a
smaller one at a risky customer compare on one scale. Unrated customers use the configured PD.
Amounts in different currencies are ranked at their nominal value (no exchange rates here).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fengkong.kit.money import Money


@dataclass(frozen=True, slots=True)
class WorklistEntry:
    customer_id: int
    customer_name: str
    owner_id: int | None
    region_code: str | None
    currency: str
    overdue: int  # undisputed overdue, minor units
    disputed: int  # overdue under open dispute, minor units
    oldest_days_past_due: int
    dunning_level: int
    pd: float
    grade: str | None  # None: unrated
    open_promised: int  # open promises in this currency, minor units
    next_promise_due: date | None
    broken_promises: int

    @property
    def overdue_money(self) -> Money:
        return Money.from_minor_units(self.overdue, self.currency)

    @property
    def disputed_money(self) -> Money:
        return Money.from_minor_units(self.disputed, self.currency)

    @property
    def promised_money(self) -> Money:
        return Money.from_minor_units(self.open_promised, self.currency)

    @property
    def priority(self) -> Decimal:
        """Expected loss on the overdue amount, in major units (rounded to cents for display)."""
        return (self.overdue_money.amount * Decimal(repr(self.pd))).quantize(Decimal("0.01"))


def rank(entries: Iterable[WorklistEntry]) -> list[WorklistEntry]:
    """Highest priority first; ties by larger overdue, then older, then customer id."""
    return sorted(
        entries,
        key=lambda entry: (
            -entry.priority,
            -entry.overdue_money.amount,
            -entry.oldest_days_past_due,
            entry.customer_id,
        ),
    )
