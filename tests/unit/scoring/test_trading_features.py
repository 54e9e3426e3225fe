from __future__ import annotations

from datetime import date

import pytest

from tests.unit.scoring.ledger_builders import (
    AS_OF,
    build,
    credit_limit,
    customer,
    features,
    invoice,
    order,
    payment,
)

# AS_OF is 2026-06-30: recent orders fall in (2026-03-30, 2026-06-30], the same months a year
# earlier in (2025-03-30, 2025-06-30].


def test_order_trends_compare_the_last_three_months_with_the_same_months_a_year_earlier() -> None:
    values = features(
        build(
            order(date(2026, 3, 31), 1000),
            order(date(2026, 6, 30), 3000),
            order(date(2026, 3, 30), 500),  # the window's start is excluded
            order(date(2026, 7, 1), 9000),  # after as_of
            order(date(2025, 6, 30), 1000),
            order(date(2025, 4, 1), 1000),
            order(date(2025, 3, 30), 700),  # before the year-earlier window
            order(date(2025, 7, 1), 900),  # after it
        )
    )
    assert values["order_count_trend"] == pytest.approx(0.0)  # 2 / 2 - 1
    assert values["order_amount_trend"] == pytest.approx(1.0)  # 4000 / 2000 - 1


def test_no_orders_now_against_orders_a_year_ago_is_a_fall_of_100_percent() -> None:
    values = features(build(order(date(2025, 5, 1), 1000)))
    assert values["order_count_trend"] == -1.0
    assert values["order_amount_trend"] == -1.0


def test_order_trends_are_missing_without_orders_a_year_earlier() -> None:
    values = features(build(order(date(2026, 5, 1), 1000), order(date(2024, 5, 1), 1000)))
    assert values["order_count_trend"] is None
    assert values["order_amount_trend"] is None


def test_relationship_age_starts_at_the_first_trade_known_at_as_of() -> None:
    values = features(
        build(
            invoice(1, issued=date(2025, 1, 1), due=date(2025, 2, 1), amount=10),
            order(date(2024, 6, 30)),
        )
    )
    assert values["relationship_age_years"] == pytest.approx(730 / 365.25)
    recorded = features(
        build(customer(1, first_trade_on=date(2020, 6, 30)), order(date(2024, 6, 30)))
    )
    assert recorded["relationship_age_years"] == pytest.approx(
        (AS_OF - date(2020, 6, 30)).days / 365.25
    )


def test_relationship_age_is_missing_before_the_first_trade() -> None:
    values = features(
        build(
            customer(1, first_trade_on=date(2026, 8, 1)),
            invoice(1, issued=date(2026, 8, 1), due=date(2026, 9, 1), amount=10),
        )
    )
    assert values["relationship_age_years"] is None


def test_limit_utilisation_is_open_receivables_over_the_credit_limit() -> None:
    values = features(
        build(
            credit_limit(10_000),
            invoice(1, issued=date(2026, 5, 1), due=date(2026, 6, 1), amount=4000),
            invoice(2, issued=date(2026, 6, 1), due=date(2026, 7, 1), amount=2000),
            payment(2, paid_on=date(2026, 6, 15), amount=500),
            invoice(3, issued=date(2026, 7, 1), due=date(2026, 8, 1), amount=7000),  # after as_of
        )
    )
    assert values["limit_utilisation"] == pytest.approx(0.55)  # (4000 + 1500) / 10,000


def test_a_limit_with_nothing_open_is_unused_and_no_limit_is_missing() -> None:
    assert features(build(credit_limit(10_000)))["limit_utilisation"] == 0.0
    assert features(build(credit_limit(0)))["limit_utilisation"] is None
    no_limit = build(invoice(1, issued=date(2026, 5, 1), due=date(2026, 6, 1), amount=4000))
    assert features(no_limit)["limit_utilisation"] is None
