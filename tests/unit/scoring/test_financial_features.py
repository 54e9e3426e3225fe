from __future__ import annotations

from datetime import date

import pytest

from tests.unit.scoring.ledger_builders import build, customer, features, statement

FY2025: dict[str, float | None] = dict(
    total_assets=1000.0, current_assets=400.0, cash=100.0, accounts_receivable=150.0,
    inventory=100.0, total_liabilities=600.0, current_liabilities=200.0, total_equity=400.0,
    revenue=2000.0, net_profit=100.0, interest_expense=25.0, operating_cash_flow=120.0,
)  # fmt: skip
FY2024: dict[str, float | None] = {**FY2025, "revenue": 1600.0, "total_equity": 320.0}
FINANCIAL = (
    "debt_to_asset", "current_ratio", "quick_ratio", "net_profit_margin", "return_on_assets",
    "return_on_equity", "interest_coverage", "revenue_growth_yoy",
    "operating_cash_flow_to_liabilities", "equity_growth_yoy",
)  # fmt: skip


def test_ratios_come_from_the_latest_annual_statement_and_the_one_a_year_before() -> None:
    values = features(
        build(statement(date(2025, 12, 31), FY2025), statement(date(2024, 12, 31), FY2024))
    )
    assert {name: values[name] for name in FINANCIAL} == pytest.approx(
        {
            "debt_to_asset": 0.6,  # 600 / 1000
            "current_ratio": 2.0,  # 400 / 200
            "quick_ratio": 1.5,  # (400 - 100) / 200
            "net_profit_margin": 0.05,  # 100 / 2000
            "return_on_assets": 0.1,  # 100 / 1000
            "return_on_equity": 0.25,  # 100 / 400
            "interest_coverage": 5.0,  # (100 + 25) / 25
            "revenue_growth_yoy": 0.25,  # 2000 / 1600 - 1
            "operating_cash_flow_to_liabilities": 0.2,  # 120 / 600
            "equity_growth_yoy": 0.25,  # 400 / 320 - 1
        }
    )


def test_a_half_year_statement_annualises_flows_against_balances_and_compares_half_years() -> None:
    as_of = date(2026, 10, 31)
    half = {**FY2025, "total_assets": 1200.0, "net_profit": 60.0, "revenue": 1100.0,
            "operating_cash_flow": 30.0}  # fmt: skip
    values = features(
        build(
            statement(date(2026, 6, 30), half, period_months=6, published_on=date(2026, 8, 31)),
            statement(date(2025, 12, 31), FY2025),
            statement(date(2025, 6, 30), {**FY2025, "revenue": 1000.0}, period_months=6),
        ),
        as_of,
    )
    assert values["return_on_assets"] == pytest.approx(0.1)  # 60 × 12/6 / 1200
    assert values["return_on_equity"] == pytest.approx(0.3)  # 60 × 2 / 400
    assert values["operating_cash_flow_to_liabilities"] == pytest.approx(0.1)  # 30 × 2 / 600
    assert values["net_profit_margin"] == pytest.approx(60 / 1100)  # two flows: no annualising
    assert values["revenue_growth_yoy"] == pytest.approx(0.1)  # 1100 / 1000 - 1
    assert values["equity_growth_yoy"] == pytest.approx(0.0)  # 400 / 400 - 1


def test_a_statement_published_after_as_of_is_not_yet_known() -> None:
    later = {**FY2025, "total_liabilities": 900.0}
    values = features(
        build(
            statement(date(2025, 12, 31), FY2025, published_on=date(2026, 4, 30)),
            statement(date(2026, 3, 31), later, period_months=3, published_on=date(2026, 7, 1)),
        )
    )
    assert values["debt_to_asset"] == pytest.approx(0.6)
    on_publication = features(
        build(
            statement(date(2025, 12, 31), FY2025, published_on=date(2026, 4, 30)),
            statement(date(2026, 3, 31), later, period_months=3, published_on=date(2026, 7, 1)),
        ),
        date(2026, 7, 1),
    )
    assert on_publication["debt_to_asset"] == pytest.approx(0.9)


def test_on_the_same_period_end_the_full_year_wins_over_the_quarter() -> None:
    quarter = {**FY2025, "total_liabilities": 100.0}
    values = features(
        build(
            statement(date(2025, 12, 31), FY2025, period_months=12),
            statement(date(2025, 12, 31), quarter, period_months=3),
        )
    )
    assert values["debt_to_asset"] == pytest.approx(0.6)


def test_growth_is_missing_when_the_year_earlier_statement_was_not_yet_published() -> None:
    values = features(
        build(
            statement(date(2025, 12, 31), FY2025),
            statement(date(2024, 12, 31), FY2024, published_on=date(2026, 7, 15)),
        )
    )
    assert values["revenue_growth_yoy"] is None
    assert values["equity_growth_yoy"] is None


def test_growth_compares_only_statements_of_the_same_length() -> None:
    values = features(
        build(
            statement(date(2025, 12, 31), FY2025),
            statement(date(2024, 12, 31), FY2024, period_months=3),
        )
    )
    assert values["revenue_growth_yoy"] is None


@pytest.mark.parametrize(
    ("lines", "missing"),
    [
        ({"total_assets": 0.0}, {"debt_to_asset", "return_on_assets"}),
        ({"current_liabilities": None}, {"current_ratio", "quick_ratio"}),
        ({"inventory": None}, {"quick_ratio"}),
        ({"revenue": 0.0}, {"net_profit_margin"}),
        ({"total_equity": -50.0}, {"return_on_equity"}),
        ({"interest_expense": 0.0}, {"interest_coverage"}),
        ({"operating_cash_flow": None}, {"operating_cash_flow_to_liabilities"}),
        ({"total_liabilities": None}, {"debt_to_asset", "operating_cash_flow_to_liabilities"}),
    ],
)
def test_a_missing_line_or_a_base_that_is_not_positive_makes_the_ratio_missing_not_zero(
    lines: dict[str, float | None], missing: set[str]
) -> None:
    values = features(
        build(
            statement(date(2025, 12, 31), {**FY2025, **lines}),
            statement(date(2024, 12, 31), FY2024),
        )
    )
    assert {name for name in FINANCIAL if values[name] is None} == missing


def test_a_fall_to_zero_revenue_or_negative_equity_is_a_growth_of_minus_100_percent_or_worse() -> (
    None
):
    values = features(
        build(
            statement(date(2025, 12, 31), {**FY2025, "revenue": 0.0, "total_equity": -80.0}),
            statement(date(2024, 12, 31), FY2024),
        )
    )
    assert values["revenue_growth_yoy"] == pytest.approx(-1.0)
    assert values["equity_growth_yoy"] == pytest.approx(-1.25)  # -80 / 320 - 1


def test_a_growth_over_a_base_that_is_not_positive_is_missing() -> None:
    values = features(
        build(
            statement(date(2025, 12, 31), FY2025),
            statement(date(2024, 12, 31), {**FY2024, "revenue": 0.0, "total_equity": -10.0}),
        )
    )
    assert values["revenue_growth_yoy"] is None
    assert values["equity_growth_yoy"] is None


def test_a_loss_gives_negative_margins_and_returns() -> None:
    values = features(build(statement(date(2025, 12, 31), {**FY2025, "net_profit": -200.0})))
    assert values["net_profit_margin"] == pytest.approx(-0.1)
    assert values["return_on_assets"] == pytest.approx(-0.2)
    assert values["interest_coverage"] == pytest.approx(-7.0)  # (-200 + 25) / 25


def test_a_customer_without_statements_has_every_financial_feature_missing() -> None:
    values = features(build(customer(1), statement(date(2025, 12, 31), FY2025, customer_id=2)))
    assert all(values[name] is None for name in FINANCIAL)
