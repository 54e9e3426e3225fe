"""The policy replay on a hand-built ledger, without a database: exposure rebuilt as of each
order date, and bad debts (unpaid 60 days after due) attributed to the orders that caused them."""

from __future__ import annotations

from datetime import date

from fengkong.credit_checks.replay import (
    Ledger,
    PastAllocation,
    PastInvoice,
    PastOrder,
    PastPayment,
    replay,
)
from fengkong.credit_checks.rules import RuleSet
from fengkong.credit_checks.status import Decision

TODAY = date(2026, 9, 30)


def _rules(*steps: dict[str, object]) -> RuleSet:
    return RuleSet.from_mapping({"name": "t", "classes": {"unrated": list(steps)}})


def _ledger() -> Ledger:
    """A ¥30,000 order of 1 Feb never paid; a ¥20,000 order of 1 Apr paid early; a ¥10,000
    order of 20 May, delivered in September, half paid late."""
    orders = (
        PastOrder(1, "SO-1", 7, date(2026, 2, 1), None, 3_000_000, cancelled=False),
        PastOrder(2, "SO-2", 7, date(2026, 4, 1), None, 2_000_000, cancelled=False),
        PastOrder(3, "SO-3", 7, date(2026, 5, 20), date(2026, 9, 1), 1_000_000, cancelled=False),
        PastOrder(4, "SO-4", 7, date(2026, 5, 21), None, 9_000_000, cancelled=True),
    )
    invoices = (
        PastInvoice(11, 7, 1, date(2026, 2, 5), date(2026, 3, 7), 3_000_000, False, False),
        PastInvoice(12, 7, 2, date(2026, 4, 5), date(2026, 5, 5), 2_000_000, False, False),
        PastInvoice(13, 7, 3, date(2026, 5, 21), date(2026, 6, 20), 1_000_000, False, False),
    )
    allocations = (
        PastAllocation(12, date(2026, 5, 1), 2_000_000),
        PastAllocation(13, date(2026, 9, 1), 500_000),  # after due + 60 days: still bad
    )
    payments = (
        PastPayment(7, date(2026, 5, 1), 2_000_000),
        PastPayment(7, date(2026, 5, 10), 300_000),  # never applied
        PastPayment(7, date(2026, 9, 1), 500_000),
    )
    return Ledger(orders, invoices, allocations, payments)


def test_exposure_is_rebuilt_as_of_each_order_date_and_bad_debt_goes_to_its_order() -> None:
    # A limit of ¥49,000: SO-2 sees ¥30,000 owed (SO-1 is invoiced by then) → ¥50,000 after: held.
    # SO-3 sees SO-1's ¥30,000 (SO-2's invoice is paid) less ¥3,000 unapplied → ¥37,000: passes.
    result = replay(
        _ledger(),
        _rules({"step": "static_limit", "on_fail": "block"}),
        today=TODAY,
        risk_class_of=lambda customer_id: "low",
        limit_of=lambda customer_id, day: 4_900_000,
    )

    assert (result.orders, result.value) == (4, 15_000_000)
    assert [(held.order_number, held.reasons) for held in result.held] == [
        ("SO-2", ("limit_exceeded",)),
        ("SO-4", ("limit_exceeded",)),
    ]
    assert result.bad_total == 3_000_000 + 1_000_000  # SO-1 all; SO-3 all (paid after due + 60)
    assert (result.bad_avoided, result.good_value_held) == (0, 11_000_000)


def test_the_overdue_rules_see_the_oldest_item_as_of_the_order_date() -> None:
    result = replay(
        _ledger(),
        _rules({"step": "oldest_open_item", "on_fail": "reject", "max_days": 30}),
        today=TODAY,
        risk_class_of=lambda customer_id: "high",
        limit_of=lambda customer_id, day: None,
    )

    # SO-2 on 1 Apr: SO-1's invoice 25 days past due (passes); SO-3 on 20 May: 74 days (rejected).
    assert [(held.order_number, held.decision) for held in result.held] == [
        ("SO-3", Decision.REJECT),
        ("SO-4", Decision.REJECT),
    ]
    assert (result.rejected_orders, result.rejected_value) == (2, 10_000_000)
    assert result.bad_avoided == 1_000_000
    assert round(result.avoided_share, 2) == 0.25


def test_an_order_delivered_beyond_the_horizon_does_not_count_against_the_dynamic_limit() -> None:
    result = replay(
        _ledger(),
        _rules({"step": "dynamic_limit", "horizon_days": 30}),
        today=TODAY,
        risk_class_of=lambda customer_id: "low",
        limit_of=lambda customer_id, day: 3_000_000,
    )

    # SO-3 (delivery 1 Sep, beyond 20 May + 30) counts only what is due within the horizon:
    # ¥30,000 overdue less ¥3,000 unapplied = ¥27,000 ≤ ¥30,000.
    assert "SO-3" not in [held.order_number for held in result.held]
    assert "SO-2" in [held.order_number for held in result.held]
