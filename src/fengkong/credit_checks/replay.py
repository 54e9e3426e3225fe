"""Replay past orders under a rule set, from the ledger as it stood on each order's date. Pure:
the loader (``simulation.py``) hands over frozen rows, this module rebuilds exposure and overdue
figures as of each order date and runs the engine.

What is rebuilt as of the order date: open receivables (invoices issued by then, less payments
allocated by then), open orders (placed by then, not yet invoiced, not cancelled), unapplied cash,
the overdue amount, its amount × days weighting and the oldest open item. The limit comes from
the limit history. What is not rebuilt: dunning levels, promises to pay, blocks and payment
behaviour, which have no history here; their steps are evaluated as if clean, so the simulation
shows what the ledger-based rules alone would have done.

History is not rewritten: an order the rules would have held still counts in the exposure of
later orders, as it did in reality. Cancelled orders are replayed (they were asked for) but never
count in later exposure.

Outcome: an invoice *went bad* when part of it was still unpaid 60 days after its due date (or it
was written off). The bad exposure a rule set *would have avoided* is the bad part of the invoices
of the orders it would have held or rejected.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from fengkong.credit_checks.rules import CheckFacts, RuleSet, check
from fengkong.credit_checks.status import Decision, Stage

BAD_DAYS_PAST_DUE = 60
_STAGES = (Stage.QUOTATION, Stage.ORDER, Stage.DELIVERY, Stage.INVOICE)


@dataclass(frozen=True, slots=True)
class PastOrder:
    order_id: int
    order_number: str
    customer_id: int
    ordered_on: date
    requested_delivery_on: date | None
    amount: int
    cancelled: bool


@dataclass(frozen=True, slots=True)
class PastInvoice:
    invoice_id: int
    customer_id: int
    order_id: int | None
    issue_date: date
    due_date: date
    amount: int
    written_off: bool
    cancelled: bool


@dataclass(frozen=True, slots=True)
class PastAllocation:
    invoice_id: int
    paid_on: date
    amount: int


@dataclass(frozen=True, slots=True)
class PastPayment:
    customer_id: int
    paid_on: date
    amount: int


@dataclass(frozen=True, slots=True)
class Ledger:
    """One currency's past: orders to replay and everything needed to rebuild exposure."""

    orders: tuple[PastOrder, ...]
    invoices: tuple[PastInvoice, ...]
    allocations: tuple[PastAllocation, ...]
    payments: tuple[PastPayment, ...]


@dataclass(frozen=True, slots=True)
class HeldOrder:
    order_number: str
    customer_id: int
    ordered_on: date
    amount: int
    decision: Decision
    reasons: tuple[str, ...]
    went_bad: int


@dataclass(frozen=True, slots=True)
class ReplayResult:
    orders: int
    value: int
    held_orders: int
    held_value: int
    rejected_orders: int
    rejected_value: int
    bad_total: int
    """Bad exposure (unpaid 60 days after due, or written off) from all replayed orders."""
    bad_avoided: int
    """The part of ``bad_total`` from orders the rules would have held or rejected."""
    good_value_held: int
    """Value held or rejected of orders that were paid well: the business the rules would cost."""
    held: tuple[HeldOrder, ...] = field(default=())

    @property
    def avoided_share(self) -> float:
        return self.bad_avoided / self.bad_total if self.bad_total else 0.0


class _Book:
    """Per customer, the ledger indexed for as-of questions."""

    def __init__(self) -> None:
        self.invoices: list[PastInvoice] = []
        self.orders: list[PastOrder] = []
        self.payments: list[PastPayment] = []


def _went_bad(invoice: PastInvoice, paid: Sequence[PastAllocation]) -> int:
    if invoice.cancelled:
        return 0
    if invoice.written_off:
        return max(0, invoice.amount - sum(a.amount for a in paid))
    cutoff = invoice.due_date + timedelta(days=BAD_DAYS_PAST_DUE)
    settled = sum(a.amount for a in paid if a.paid_on <= cutoff)
    return max(0, invoice.amount - settled)


def replay(
    ledger: Ledger,
    rule_set: RuleSet,
    *,
    today: date,
    risk_class_of: Callable[[int], str],
    limit_of: Callable[[int, date], int | None],
    keep_held: int = 50,
) -> ReplayResult:
    books: dict[int, _Book] = defaultdict(_Book)
    for invoice in ledger.invoices:
        books[invoice.customer_id].invoices.append(invoice)
    for order in ledger.orders:
        books[order.customer_id].orders.append(order)
    for payment in ledger.payments:
        books[payment.customer_id].payments.append(payment)
    paid: dict[int, list[PastAllocation]] = defaultdict(list)
    for allocation in ledger.allocations:
        paid[allocation.invoice_id].append(allocation)
    invoiced_on: dict[int, date] = {}
    bad_of_order: dict[int, int] = defaultdict(int)
    for invoice in ledger.invoices:
        if invoice.order_id is None or invoice.cancelled:
            continue
        first = invoiced_on.get(invoice.order_id)
        invoiced_on[invoice.order_id] = (
            invoice.issue_date if first is None else min(first, invoice.issue_date)
        )
        # Only bad debts that could be known by today count as outcomes.
        if invoice.due_date + timedelta(days=BAD_DAYS_PAST_DUE) <= today or invoice.written_off:
            bad_of_order[invoice.order_id] += _went_bad(invoice, paid[invoice.invoice_id])

    horizons = tuple(sorted(rule_set.horizons))
    stage = (
        Stage.ORDER if Stage.ORDER in rule_set.stages else min(rule_set.stages, key=_STAGES.index)
    )
    totals: dict[str, int] = defaultdict(int)
    held: list[HeldOrder] = []
    for order in sorted(ledger.orders, key=lambda o: (o.ordered_on, o.order_id)):
        facts = _facts_on(
            books[order.customer_id], order, paid, invoiced_on, horizons, stage, rule_set.currency
        )
        verdict = check(rule_set, risk_class_of(order.customer_id), _with_limit(facts, limit_of))
        bad = bad_of_order.get(order.order_id, 0)
        totals["orders"] += 1
        totals["value"] += order.amount
        totals["bad_total"] += bad
        if verdict.decision is Decision.APPROVE:
            continue
        key = "rejected" if verdict.decision is Decision.REJECT else "held"
        totals[f"{key}_orders"] += 1
        totals[f"{key}_value"] += order.amount
        totals["bad_avoided"] += bad
        if bad == 0:
            totals["good_value_held"] += order.amount
        if len(held) < keep_held:
            held.append(
                HeldOrder(
                    order.order_number,
                    order.customer_id,
                    order.ordered_on,
                    order.amount,
                    verdict.decision,
                    tuple(r.reason_code for r in verdict.results if r.outcome.value != "pass"),
                    bad,
                )
            )
    return ReplayResult(
        orders=totals["orders"],
        value=totals["value"],
        held_orders=totals["held_orders"],
        held_value=totals["held_value"],
        rejected_orders=totals["rejected_orders"],
        rejected_value=totals["rejected_value"],
        bad_total=totals["bad_total"],
        bad_avoided=totals["bad_avoided"],
        good_value_held=totals["good_value_held"],
        held=tuple(held),
    )


@dataclass(frozen=True, slots=True)
class _Partial:
    customer_id: int
    facts: CheckFacts


def _with_limit(partial: _Partial, limit_of: Callable[[int, date], int | None]) -> CheckFacts:
    facts = partial.facts
    limit = limit_of(partial.customer_id, facts.as_of)
    return CheckFacts(
        currency=facts.currency,
        stage=facts.stage,
        as_of=facts.as_of,
        order_amount=facts.order_amount,
        exposure_before=facts.exposure_before,
        limit=limit,
        open_receivables=facts.open_receivables,
        open_orders=facts.open_orders,
        unapplied_payments=facts.unapplied_payments,
        overdue=facts.overdue,
        overdue_weighted=facts.overdue_weighted,
        oldest_days_past_due=facts.oldest_days_past_due,
        order_due_on=facts.order_due_on,
        beyond_horizon=facts.beyond_horizon,
    )


def _allocated_by(allocations: Iterable[PastAllocation], day: date) -> int:
    return sum(a.amount for a in allocations if a.paid_on <= day)


def _facts_on(
    book: _Book,
    order: PastOrder,
    paid: dict[int, list[PastAllocation]],
    invoiced_on: dict[int, date],
    horizons: tuple[int, ...],
    stage: Stage,
    currency: str,
) -> _Partial:
    day = order.ordered_on
    receivables = overdue = weighted = oldest = 0
    far: dict[int, int] = defaultdict(int)
    for invoice in book.invoices:
        if invoice.cancelled or invoice.issue_date > day:
            continue
        outstanding = invoice.amount - _allocated_by(paid[invoice.invoice_id], day)
        if outstanding <= 0:
            continue
        receivables += outstanding
        days_past_due = (day - invoice.due_date).days
        if days_past_due > 0:
            overdue += outstanding
            weighted += outstanding * days_past_due
            oldest = max(oldest, days_past_due)
        for horizon in horizons:
            if invoice.due_date > day + timedelta(days=horizon):
                far[horizon] += outstanding
    open_orders = 0
    for other in book.orders:
        if other.order_id == order.order_id or other.cancelled or other.ordered_on > day:
            continue
        if other.ordered_on == day and other.order_id > order.order_id:
            continue
        invoiced = invoiced_on.get(other.order_id)
        if invoiced is not None and invoiced <= day:
            continue
        open_orders += other.amount
        delivery = other.requested_delivery_on
        for horizon in horizons:
            if delivery is not None and delivery > day + timedelta(days=horizon):
                far[horizon] += other.amount
    cash = sum(p.amount for p in book.payments if p.paid_on <= day)
    applied = sum(
        _allocated_by(paid[invoice.invoice_id], day)
        for invoice in book.invoices
        if not invoice.cancelled
    )
    unapplied = max(0, cash - applied)
    exposure = max(0, receivables + open_orders - unapplied)
    return _Partial(
        order.customer_id,
        CheckFacts(
            currency=currency,
            stage=stage,
            as_of=day,
            order_amount=order.amount,
            exposure_before=exposure,
            limit=None,
            open_receivables=receivables,
            open_orders=open_orders,
            unapplied_payments=unapplied,
            overdue=overdue,
            overdue_weighted=weighted,
            oldest_days_past_due=oldest,
            order_due_on=order.requested_delivery_on,
            beyond_horizon=dict(far),
        ),
    )
