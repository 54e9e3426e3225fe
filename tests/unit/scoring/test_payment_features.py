from __future__ import annotations

from datetime import date

import pytest

from tests.unit.scoring.ledger_builders import (
    AS_OF,
    build,
    customer,
    features,
    invoice,
    payment,
)

PAYMENT = (
    "max_dpd_3m", "max_dpd_6m", "max_dpd_12m", "weighted_dpd_3m", "weighted_dpd_6m",
    "weighted_dpd_12m", "overdue_share", "on_time_payment_ratio_12m", "invoices_90plus_dpd",
    "dpd_trend",
)  # fmt: skip
# AS_OF is 2026-06-30: the 3-month window is (2026-03-30, 2026-06-30], 6 months starts after
# 2025-12-30, 12 months after 2025-06-30; dpd_trend looks back to 2026-03-30.


def test_windows_observe_payments_by_the_date_they_were_paid() -> None:
    values = features(
        build(
            invoice(1, issued=date(2026, 4, 5), due=date(2026, 5, 5), amount=1000),
            payment(1, paid_on=date(2026, 5, 15), amount=1000),  # 10 days late, in 3 months
            invoice(2, issued=date(2025, 12, 1), due=date(2025, 12, 31), amount=3000),
            payment(2, paid_on=date(2026, 2, 14), amount=3000),  # 45 days late, in 6 months
            invoice(3, issued=date(2025, 6, 2), due=date(2025, 7, 2), amount=2000),
            payment(3, paid_on=date(2025, 9, 30), amount=2000),  # 90 days late, in 12 months
            invoice(4, issued=date(2024, 9, 1), due=date(2024, 10, 1), amount=9000),
            payment(4, paid_on=date(2025, 4, 19), amount=9000),  # 200 days late, before all
        )
    )
    assert {name: values[name] for name in PAYMENT} == pytest.approx(
        {
            "max_dpd_3m": 10.0,
            "max_dpd_6m": 45.0,
            "max_dpd_12m": 90.0,
            "weighted_dpd_3m": 10.0,
            "weighted_dpd_6m": 36.25,  # (1000×10 + 3000×45) / 4000
            "weighted_dpd_12m": 325_000 / 6000,  # (10,000 + 135,000 + 2000×90) / 6000
            "overdue_share": None,  # nothing is open
            "on_time_payment_ratio_12m": 0.0,  # invoices 1-3 fell due in the year, all late
            "invoices_90plus_dpd": 0.0,
            "dpd_trend": -35.0,  # 10 now − 45 on 2026-03-30 (invoice 2, paid in its window)
        }
    )


def test_open_amounts_past_due_count_in_every_window_and_amounts_not_yet_due_in_none() -> None:
    values = features(
        build(
            invoice(1, issued=date(2026, 2, 1), due=date(2026, 3, 1), amount=4000),  # 121 late
            invoice(2, issued=date(2026, 6, 1), due=date(2026, 7, 1), amount=3000),  # not due
            invoice(3, issued=date(2026, 4, 1), due=date(2026, 5, 1), amount=1000),
            payment(3, paid_on=date(2026, 5, 11), amount=400),  # 10 late; 600 open 60 late
        )
    )
    assert {name: values[name] for name in PAYMENT} == pytest.approx(
        {
            "max_dpd_3m": 121.0,
            "max_dpd_6m": 121.0,
            "max_dpd_12m": 121.0,
            "weighted_dpd_3m": 104.8,  # (4000×121 + 400×10 + 600×60) / 5000
            "weighted_dpd_6m": 104.8,
            "weighted_dpd_12m": 104.8,
            "overdue_share": 4600 / 7600,  # (4000 + 600) open past due / 7600 open
            "on_time_payment_ratio_12m": 0.0,
            "invoices_90plus_dpd": 1.0,
            "dpd_trend": 75.8,  # 104.8 − 29 (on 2026-03-30 invoice 1 was open 29 days late)
        }
    )


def test_a_partly_early_partly_late_invoice_weighs_each_part_by_its_amount() -> None:
    values = features(
        build(
            invoice(1, issued=date(2026, 1, 1), due=date(2026, 2, 1), amount=2000),
            payment(1, paid_on=date(2026, 1, 20), amount=500),  # early: 0 days
            payment(1, paid_on=date(2026, 4, 11), amount=1500),  # 69 days late
        )
    )
    assert values["max_dpd_3m"] == 69.0
    assert values["weighted_dpd_3m"] == pytest.approx(69.0)
    assert values["weighted_dpd_6m"] == pytest.approx(51.75)  # (500×0 + 1500×69) / 2000
    assert values["on_time_payment_ratio_12m"] == pytest.approx(0.25)


def test_on_time_ratio_counts_what_was_paid_by_the_due_date_of_amounts_due_in_the_year() -> None:
    values = features(
        build(
            invoice(1, issued=date(2026, 5, 1), due=date(2026, 6, 30), amount=1000),
            payment(1, paid_on=date(2026, 6, 30), amount=1000),  # on the due date: on time
            invoice(2, issued=date(2026, 4, 1), due=date(2026, 6, 1), amount=3000),
            payment(2, paid_on=date(2026, 5, 25), amount=300),
            payment(2, paid_on=date(2026, 7, 2), amount=2700),  # after as_of: unknown
            invoice(3, issued=date(2025, 5, 1), due=date(2025, 6, 30), amount=5000),  # not due in
            invoice(4, issued=date(2026, 1, 1), due=date(2026, 3, 1), amount=1000),
            payment(4, paid_on=date(2026, 2, 1), amount=1200),  # over-paid: counts as 1000
        )
    )
    assert values["on_time_payment_ratio_12m"] == pytest.approx(2300 / 5000)


def test_invoices_open_more_than_90_days_past_due_are_counted() -> None:
    values = features(
        build(
            invoice(1, issued=date(2026, 3, 1), due=date(2026, 4, 1), amount=100),  # 90: not yet
            invoice(2, issued=date(2026, 3, 1), due=date(2026, 3, 31), amount=100),  # 91
            invoice(3, issued=date(2025, 12, 1), due=date(2026, 1, 1), amount=100),
            payment(3, paid_on=date(2026, 7, 5), amount=100),  # paid after as_of: open at it
            invoice(4, issued=date(2025, 12, 1), due=date(2026, 1, 1), amount=100),
            payment(4, paid_on=date(2026, 6, 1), amount=100),  # settled
        )
    )
    assert values["invoices_90plus_dpd"] == 2.0
    assert values["max_dpd_3m"] == 180.0  # invoice 3, open since 2026-01-01
    assert values["max_dpd_12m"] == 180.0


def test_dpd_trend_is_weighted_dpd_3m_now_minus_three_months_earlier() -> None:
    ledgers = build(
        invoice(1, issued=date(2026, 2, 20), due=date(2026, 3, 20), amount=1000),
        payment(1, paid_on=date(2026, 4, 19), amount=1000),  # 30 days late
        invoice(2, issued=date(2025, 11, 1), due=date(2025, 12, 1), amount=500),
        payment(2, paid_on=date(2026, 1, 10), amount=500),  # 40 days late, before the window
    )
    values = features(ledgers)
    earlier = features(ledgers, date(2026, 3, 30))
    assert values["weighted_dpd_3m"] == pytest.approx(30.0)
    # On 2026-03-30: invoice 1 open 10 days late (1000), invoice 2 paid 40 late (500).
    assert earlier["weighted_dpd_3m"] == pytest.approx((1000 * 10 + 500 * 40) / 1500)
    assert values["dpd_trend"] == pytest.approx(30.0 - 20.0)


def test_a_customer_without_invoices_has_every_payment_feature_missing() -> None:
    other = invoice(1, issued=date(2026, 1, 1), due=date(2026, 2, 1), amount=100, customer_id=2)
    values = features(build(other, customer(1)))
    assert all(values[name] is None for name in PAYMENT)


def test_invoices_not_yet_due_say_nothing_about_lateness_but_count_as_receivables() -> None:
    values = features(build(invoice(1, issued=date(2026, 6, 1), due=date(2026, 7, 31), amount=100)))
    assert {name: values[name] for name in PAYMENT} == {
        "max_dpd_3m": None,
        "max_dpd_6m": None,
        "max_dpd_12m": None,
        "weighted_dpd_3m": None,
        "weighted_dpd_6m": None,
        "weighted_dpd_12m": None,
        "overdue_share": 0.0,
        "on_time_payment_ratio_12m": None,
        "invoices_90plus_dpd": 0.0,
        "dpd_trend": None,
    }


def test_invoices_issued_and_payments_made_after_as_of_are_not_yet_known() -> None:
    known = [
        invoice(1, issued=date(2026, 4, 1), due=date(2026, 5, 1), amount=1000),
        payment(1, paid_on=date(2026, 5, 31), amount=600),
    ]
    later = [
        payment(1, paid_on=date(2026, 7, 1), amount=400),
        invoice(2, issued=date(2026, 7, 1), due=date(2026, 7, 2), amount=5000),
        payment(2, paid_on=date(2026, 12, 31), amount=5000),
    ]
    values = features(build(*known, *later))
    assert values == features(build(*known))
    assert values["max_dpd_3m"] == 60.0  # 400 still open on 2026-06-30, due 2026-05-01
    assert values["overdue_share"] == 1.0
    assert date(2026, 6, 30) == AS_OF
