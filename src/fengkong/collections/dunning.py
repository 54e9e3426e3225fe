"""Which overdue invoices move to which dunning level today, grouped into notices. Pure.

Rules (docs/collections.md):
- an invoice is dunnable once it is more than ``grace_days`` past due; it moves to the highest
  level its days past due reach (as SAP's dunning run does: an invoice first seen 40 days late
  goes straight to the final notice, which says how late it is), and only upwards: an invoice
  already at that level gets no new letter;
- an open amount below the residue tolerance of its currency is never dunned;
- an invoice with an open dispute, or covered by an open promise to pay not yet due, is held back;
- invoices of one customer, currency and level make one notice, issued only when their total
  reaches the level's minimum; at most one notice per customer, level and currency a day, so a
  second run the same day issues nothing new.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from fengkong.collections.config import DunningConfig


@dataclass(frozen=True, slots=True)
class OpenInvoice:
    invoice_id: int
    customer_id: int
    invoice_number: str
    issue_date: date
    due_date: date
    currency: str
    outstanding: int  # minor units
    current_level: int = 0

    def days_past_due(self, today: date) -> int:
        return (today - self.due_date).days


@dataclass(frozen=True, slots=True)
class PlannedItem:
    invoice: OpenInvoice
    days_past_due: int


@dataclass(frozen=True, slots=True)
class PlannedNotice:
    customer_id: int
    currency: str
    level: int
    items: tuple[PlannedItem, ...]

    @property
    def total(self) -> int:
        return sum(item.invoice.outstanding for item in self.items)


class SkipReason:
    RESIDUE = "residue"
    DISPUTED = "disputed"
    PROMISED = "promised"
    BELOW_MINIMUM = "below_minimum"
    ALREADY_ISSUED = "already_issued"


@dataclass(frozen=True, slots=True)
class DunningPlan:
    notices: tuple[PlannedNotice, ...]
    skipped: Mapping[str, int] = field(default_factory=dict)
    """Invoices held back that would otherwise have moved up, by reason."""


def plan_dunning(
    invoices: Iterable[OpenInvoice],
    config: DunningConfig,
    today: date,
    *,
    disputed: Collection[int] = frozenset(),
    promised: Collection[int] = frozenset(),
    issued_today: Collection[tuple[int, int, str]] = frozenset(),
) -> DunningPlan:
    """The notices to issue on ``today``. ``disputed`` and ``promised`` are invoice ids held
    back; ``issued_today`` the (customer, level, currency) notices the day already has."""
    skipped: Counter[str] = Counter()
    groups: dict[tuple[int, str, int], list[PlannedItem]] = defaultdict(list)
    for invoice in invoices:
        days = invoice.days_past_due(today)
        reached = config.level_for(days)
        if reached <= invoice.current_level:
            continue
        if invoice.outstanding < config.tolerance_of(invoice.currency):
            skipped[SkipReason.RESIDUE] += 1
        elif invoice.invoice_id in disputed:
            skipped[SkipReason.DISPUTED] += 1
        elif invoice.invoice_id in promised:
            skipped[SkipReason.PROMISED] += 1
        else:
            groups[(invoice.customer_id, invoice.currency, reached)].append(
                PlannedItem(invoice, days)
            )
    notices: list[PlannedNotice] = []
    for (customer_id, currency, level), items in sorted(groups.items()):
        notice = PlannedNotice(
            customer_id=customer_id,
            currency=currency,
            level=level,
            items=tuple(
                sorted(items, key=lambda item: (item.invoice.due_date, item.invoice.invoice_id))
            ),
        )
        if (customer_id, level, currency) in issued_today:
            skipped[SkipReason.ALREADY_ISSUED] += len(items)
        elif notice.total < config.level(level).minimum_of(currency):
            skipped[SkipReason.BELOW_MINIMUM] += len(items)
        else:
            notices.append(notice)
    return DunningPlan(notices=tuple(notices), skipped=dict(skipped))
