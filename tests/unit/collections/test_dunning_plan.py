"""Level assignment, tolerance, minimums and idempotency of the pure dunning plan."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fengkong.collections.config import DunningConfig, DunningConfigError, shipped, shipped_yaml
from fengkong.collections.dunning import OpenInvoice, SkipReason, plan_dunning

TODAY = date(2026, 6, 30)
CONFIG = shipped()


def invoice(
    invoice_id: int,
    days_past_due: int,
    outstanding: int = 100_000,
    *,
    customer_id: int = 1,
    current_level: int = 0,
    currency: str = "CNY",
) -> OpenInvoice:
    due = TODAY - timedelta(days=days_past_due)
    return OpenInvoice(
        invoice_id=invoice_id,
        customer_id=customer_id,
        invoice_number=f"INV-{invoice_id}",
        issue_date=due - timedelta(days=30),
        due_date=due,
        currency=currency,
        outstanding=outstanding,
        current_level=current_level,
    )


@pytest.mark.parametrize(
    ("days", "level"),
    [(-5, 0), (0, 0), (1, 1), (14, 1), (15, 2), (29, 2), (30, 3), (59, 3), (60, 4), (400, 4)],
)
def test_an_invoice_reaches_the_highest_level_its_days_past_due_allow(
    days: int, level: int
) -> None:
    assert CONFIG.level_for(days) == level


def test_each_invoice_moves_to_its_reached_level_and_one_notice_is_made_per_level() -> None:
    invoices = [invoice(1, 1), invoice(2, 14), invoice(3, 15), invoice(4, 30), invoice(5, 60)]
    plan = plan_dunning(invoices, CONFIG, TODAY)
    assert [(n.level, [i.invoice.invoice_id for i in n.items]) for n in plan.notices] == [
        (1, [2, 1]),  # oldest due first
        (2, [3]),
        (3, [4]),
        (4, [5]),
    ]
    assert plan.notices[0].total == 200_000
    assert plan.skipped == {}


def test_an_invoice_is_not_dunned_again_at_the_level_it_already_has() -> None:
    plan = plan_dunning(
        [invoice(1, 20, current_level=2), invoice(2, 20, current_level=1)], CONFIG, TODAY
    )
    assert [(n.level, [i.invoice.invoice_id for i in n.items]) for n in plan.notices] == [(2, [2])]


def test_a_residue_below_the_tolerance_is_never_dunned() -> None:
    # Tolerance CNY 10.00: 9.99 stays quiet, 10.00 is dunned (with a bigger invoice, so the
    # notice reaches the level minimum of CNY 100.00).
    plan = plan_dunning(
        [invoice(1, 5, 999), invoice(2, 5, 1_000), invoice(3, 5, 9_900)], CONFIG, TODAY
    )
    assert plan.skipped == {SkipReason.RESIDUE: 1}
    assert [i.invoice.invoice_id for i in plan.notices[0].items] == [2, 3]
    assert plan.notices[0].total == 10_900


def test_a_notice_below_the_level_minimum_is_not_issued() -> None:
    plan = plan_dunning([invoice(1, 5, 5_000), invoice(2, 5, 4_999)], CONFIG, TODAY)
    assert plan.notices == ()
    assert plan.skipped == {SkipReason.BELOW_MINIMUM: 2}


def test_disputed_and_promised_invoices_are_held_back() -> None:
    plan = plan_dunning(
        [invoice(1, 5), invoice(2, 5), invoice(3, 5)], CONFIG, TODAY, disputed={1}, promised={2}
    )
    assert [i.invoice.invoice_id for i in plan.notices[0].items] == [3]
    assert plan.skipped == {SkipReason.DISPUTED: 1, SkipReason.PROMISED: 1}


def test_a_notice_already_issued_today_is_not_issued_again() -> None:
    plan = plan_dunning([invoice(1, 5)], CONFIG, TODAY, issued_today={(1, 1, "CNY")})
    assert plan.notices == ()
    assert plan.skipped == {SkipReason.ALREADY_ISSUED: 1}


def test_customers_and_currencies_get_separate_notices() -> None:
    plan = plan_dunning(
        [invoice(1, 5), invoice(2, 5, customer_id=2), invoice(3, 5, 50_000, currency="USD")],
        CONFIG,
        TODAY,
    )
    assert [(n.customer_id, n.currency) for n in plan.notices] == [
        (1, "CNY"),
        (1, "USD"),
        (2, "CNY"),
    ]


def test_grace_days_postpone_the_first_level() -> None:
    config = DunningConfig.from_yaml(shipped_yaml().replace("grace_days: 0", "grace_days: 3"))
    assert [config.level_for(days) for days in (1, 3, 4, 15)] == [0, 0, 1, 2]


def test_levels_out_of_order_are_refused_with_the_field_named() -> None:
    broken = shipped_yaml().replace("days: 15", "days: 70")
    with pytest.raises(DunningConfigError, match=r"levels\[2\].days"):
        DunningConfig.from_yaml(broken)


def test_the_shipped_configuration_has_four_levels_and_legal_handover_last() -> None:
    assert [(level.level, level.days) for level in CONFIG.levels] == [
        (1, 1),
        (2, 15),
        (3, 30),
        (4, 60),
    ]
    assert [level.legal_handover for level in CONFIG.levels] == [False, False, False, True]
    assert CONFIG.tolerance_of("CNY") == 1_000
    assert len(CONFIG.sha256) == 64
