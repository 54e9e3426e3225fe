"""The customer page's ratio trend: every statement's ratios by the scorecard's own formulas."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.financials import service
from fengkong.records import archive
from fengkong.risk.ledgers import load_ledgers
from fengkong.scoring.features.financial import financial_features
from tests import factories

ACTOR = Actor.system("test")


def test_each_statement_gets_its_ratios_oldest_first(session: Session) -> None:
    customer = factories.customer()
    factories.financial_statement(
        customer_id=customer.id,
        period_end=date(2024, 12, 31),
        published_on=date(2025, 4, 30),
        total_assets_minor=1_000_000_00,
        total_liabilities_minor=600_000_00,
        revenue_minor=2_000_000_00,
    )
    factories.financial_statement(
        customer_id=customer.id,
        period_end=date(2025, 6, 30),
        period_months=6,
        published_on=date(2025, 8, 31),
        total_assets_minor=1_000_000_00,
        total_liabilities_minor=500_000_00,
        current_assets_minor=800_000_00,
        current_liabilities_minor=400_000_00,
        net_profit_minor=50_000_00,
    )
    factories.financial_statement(
        customer_id=customer.id,
        period_end=date(2025, 12, 31),
        published_on=date(2026, 4, 30),
        total_assets_minor=2_000_000_00,
        total_liabilities_minor=500_000_00,
        revenue_minor=2_500_000_00,
        current_liabilities_minor=0,
    )
    trend = service.ratio_trend(session, ACTOR, customer_id=customer.id)
    assert [(row.period_end, row.period_months) for row in trend] == [
        (date(2024, 12, 31), 12),
        (date(2025, 6, 30), 6),
        (date(2025, 12, 31), 12),
    ]
    assert [row.ratios["debt_to_asset"] for row in trend] == [0.6, 0.5, 0.25]
    half_year = trend[1].ratios
    assert half_year["current_ratio"] == 2.0
    # Six months of profit, annualised against the assets: 50,000 × 2 / 1,000,000.
    assert half_year["return_on_assets"] == pytest.approx(0.1)
    latest = trend[2].ratios
    assert latest["revenue_growth_yoy"] == pytest.approx(0.25)
    # No current liabilities: no current ratio rather than an infinite one.
    assert latest["current_ratio"] is None


def test_the_trend_agrees_with_the_features_the_score_reads(session: Session) -> None:
    customer = factories.customer()
    for year in (2023, 2024, 2025):
        factories.financial_statement(
            customer_id=customer.id,
            period_end=date(year, 12, 31),
            published_on=date(year + 1, 4, 30),
            revenue_minor=10_000_000_00 + year * 1_000_00,
            net_profit_minor=500_000_00 - year * 100,
        )
    as_of = date(2026, 6, 30)
    latest = service.ratio_trend(session, ACTOR, customer_id=customer.id)[-1].ratios
    ledgers = load_ledgers(session, as_of=as_of, customer_ids=[customer.id])
    features = financial_features(ledgers.statements, as_of).collect()
    expected = features.filter(pl.col("customer_id") == customer.id).row(0, named=True)
    for name, value in latest.items():
        assert value == pytest.approx(expected[name], nan_ok=True), name


def test_only_the_latest_statements_are_shown_and_archived_ones_are_left_out(
    session: Session,
) -> None:
    customer = factories.customer()
    for year in range(2016, 2026):
        factories.financial_statement(
            customer_id=customer.id,
            period_end=date(year, 12, 31),
            published_on=date(year + 1, 4, 30),
            revenue_minor=1_000_000_00 * (year - 2000),
        )
    withdrawn = factories.financial_statement(
        customer_id=customer.id,
        period_end=date(2026, 6, 30),
        period_months=6,
        published_on=date(2026, 7, 31),
    )
    archive(withdrawn)
    session.flush()
    trend = service.ratio_trend(session, ACTOR, customer_id=customer.id, statements=3)
    assert [row.period_end.year for row in trend] == [2023, 2024, 2025]
    # The oldest shown still compares with the year before it, which is not shown.
    assert trend[0].ratios["revenue_growth_yoy"] == pytest.approx(23 / 22 - 1)
    assert service.ratio_trend(session, ACTOR, customer_id=factories.customer().id) == []
