"""Promises to pay: which overdue invoices an open promise holds back from dunning, and whether a
promise was kept or broken. Pure.

- A promise for one invoice holds that invoice back until its due date, whatever the amount.
- A promise for the customer as a whole covers the customer's overdue invoices of its currency
  oldest first, up to the promised amount; an invoice is held back only when the promise (with
  the earlier invoices) covers all of it.
- A promise is kept once the payments received from the day it was made until its due date plus
  the grace days reach its amount (it may be kept early); broken when that day has passed and
  they do not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from fengkong.collections.dunning import OpenInvoice
from fengkong.collections.status import PromiseStatus


@dataclass(frozen=True, slots=True)
class OpenPromise:
    promise_id: int
    customer_id: int
    invoice_id: int | None
    currency: str
    amount: int  # minor units
    promised_on: date
    due_on: date

    def deadline(self, grace_days: int) -> date:
        """The last day a payment counts towards the promise."""
        return self.due_on + timedelta(days=grace_days)


def held_back(
    promises: Iterable[OpenPromise], invoices: Iterable[OpenInvoice], today: date
) -> set[int]:
    """Invoice ids that open promises not yet due cover on ``today``."""
    pending = [promise for promise in promises if promise.due_on >= today]
    covered = {promise.invoice_id for promise in pending if promise.invoice_id is not None}
    budget: dict[tuple[int, str], int] = defaultdict(int)
    for promise in pending:
        if promise.invoice_id is None:
            budget[(promise.customer_id, promise.currency)] += promise.amount
    if not budget:
        return covered
    oldest_first = sorted(invoices, key=lambda item: (item.due_date, item.invoice_id))
    for invoice in oldest_first:
        key = (invoice.customer_id, invoice.currency)
        if invoice.invoice_id in covered or budget.get(key, 0) <= 0:
            continue
        if budget[key] >= invoice.outstanding:
            covered.add(invoice.invoice_id)
        budget[key] -= invoice.outstanding
    return covered


def judge(promise: OpenPromise, paid: int, today: date, grace_days: int) -> PromiseStatus:
    """The promise's status on ``today`` given ``paid`` (minor units received towards it)."""
    if paid >= promise.amount:
        return PromiseStatus.KEPT
    if today > promise.deadline(grace_days):
        return PromiseStatus.BROKEN
    return PromiseStatus.OPEN
