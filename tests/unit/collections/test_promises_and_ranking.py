"""Promise coverage and judgement, and the worklist ranking, on hand-computed figures."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from fengkong.collections.dunning import OpenInvoice
from fengkong.collections.promises import OpenPromise, held_back, judge
from fengkong.collections.status import PromiseStatus
from fengkong.collections.worklist import WorklistEntry, rank

TODAY = date(2026, 6, 30)


def invoice(invoice_id: int, due: date, outstanding: int) -> OpenInvoice:
    return OpenInvoice(invoice_id, 1, f"INV-{invoice_id}", due, due, "CNY", outstanding)


def promise(amount: int, due_on: date, invoice_id: int | None = None) -> OpenPromise:
    return OpenPromise(1, 1, invoice_id, "CNY", amount, date(2026, 6, 1), due_on)


def test_a_promise_for_one_invoice_holds_it_back_until_its_due_date() -> None:
    invoices = [invoice(1, date(2026, 5, 1), 100_000)]
    assert held_back([promise(10_000, TODAY, invoice_id=1)], invoices, TODAY) == {1}
    assert held_back([promise(10_000, TODAY - timedelta(days=1), 1)], invoices, TODAY) == set()


def test_a_customer_promise_covers_whole_invoices_oldest_first() -> None:
    invoices = [
        invoice(3, date(2026, 6, 1), 30_000),
        invoice(1, date(2026, 5, 1), 50_000),
        invoice(2, date(2026, 5, 15), 40_000),
    ]
    # 100,000 covers invoice 1 (50,000) and 2 (40,000); 10,000 left does not cover invoice 3.
    assert held_back([promise(100_000, date(2026, 7, 10))], invoices, TODAY) == {1, 2}


def test_a_promise_is_kept_when_the_payments_reach_it_even_before_it_is_due() -> None:
    due = date(2026, 7, 10)
    assert judge(promise(100_000, due), 100_000, TODAY, 3) is PromiseStatus.KEPT
    assert judge(promise(100_000, due), 99_999, TODAY, 3) is PromiseStatus.OPEN


def test_a_promise_is_broken_only_after_its_due_date_and_grace_days() -> None:
    due = date(2026, 6, 26)
    assert judge(promise(100_000, due), 0, date(2026, 6, 29), 3) is PromiseStatus.OPEN
    assert judge(promise(100_000, due), 50_000, date(2026, 6, 30), 3) is PromiseStatus.BROKEN


def entry(customer_id: int, overdue: int, pd: float, oldest: int = 10) -> WorklistEntry:
    return WorklistEntry(
        customer_id=customer_id,
        customer_name=f"C{customer_id}",
        owner_id=None,
        region_code=None,
        currency="CNY",
        overdue=overdue,
        disputed=0,
        oldest_days_past_due=oldest,
        dunning_level=0,
        pd=pd,
        grade=None,
        open_promised=0,
        next_promise_due=None,
        broken_promises=0,
    )


def test_the_worklist_ranks_by_overdue_amount_times_pd() -> None:
    # priorities: 1 → 100,000.00 × 0.01 = 1,000.00; 2 → 20,000.00 × 0.10 = 2,000.00;
    # 3 → 50,000.00 × 0.02 = 1,000.00 (ties with 1; 1 has more overdue); 4 → 1,000 × 0.5 = 500.
    entries = [
        entry(1, 10_000_000, 0.01),
        entry(2, 2_000_000, 0.10),
        entry(3, 5_000_000, 0.02),
        entry(4, 100_000, 0.5),
    ]
    ranked = rank(entries)
    assert [item.customer_id for item in ranked] == [2, 1, 3, 4]
    assert [item.priority for item in ranked] == [
        Decimal("2000.00"),
        Decimal("1000.00"),
        Decimal("1000.00"),
        Decimal("500.00"),
    ]
