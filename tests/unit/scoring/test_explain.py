from __future__ import annotations

import polars as pl
import pytest

from fengkong.scoring.explain import Reason, explain, format_value
from fengkong.scoring.features.catalogue import FEATURE_NAMES
from fengkong.scoring.scorecard import Scorecard, score_features
from tests.unit.scoring.scorecard_builders import debt_bins, small, table


def test_the_factors_that_lost_most_points_come_first_with_their_values_and_edges() -> None:
    card = small()
    batch = score_features(card, table([{"debt_to_asset": 0.86, "current_ratio": 0.5}]))
    assert explain(card, batch, 0) == (
        Reason(
            code="DEBT_TO_ASSET_HIGH",
            feature="debt_to_asset",
            value=0.86,
            points=0.0,
            lost=600.0,
            text_zh="资产负债率 0.86 高于 0.80",
            text_en="Debt 0.86 > 0.80",
        ),
        Reason(
            code="CURRENT_RATIO_LOW",
            feature="current_ratio",
            value=0.5,
            points=80.0,
            lost=320.0,
            text_zh="流动比率 0.50 低于 1.00",
            text_en="Current 0.50 < 1.00",
        ),
    )


def test_a_factor_at_full_points_is_no_reason() -> None:
    card = small()
    batch = score_features(card, table([{"debt_to_asset": 0.1, "current_ratio": 1.5}]))
    assert explain(card, batch, 0) == ()


def test_a_missing_value_is_a_reason_when_it_costs_points() -> None:
    card = small()
    batch = score_features(card, table([{"current_ratio": 1.5}]))
    (reason,) = explain(card, batch, 0)
    assert (reason.code, reason.value) == ("DEBT_TO_ASSET_MISSING", None)
    assert (reason.points, reason.lost) == pytest.approx((300.0, 300.0))
    assert reason.text_en == "Debt-to-asset ratio is not available and is scored cautiously"
    assert reason.text_zh == "资产负债率无数据，按谨慎分值计分"


def test_a_middle_band_points_at_the_edge_of_the_better_neighbour() -> None:
    # Scores 100 | 70 | 40 | 0 rising with debt: 0.6 sits in [0.5, 0.8), whose better neighbour
    # is below it, so the reason is "above 0.50"; a falling card says "below" the upper edge.
    card = small(debt_bins((None, 0.5, 100), (0.5, 0.8, 40), (0.8, None, 0)))
    batch = score_features(card, table([{"debt_to_asset": 0.6, "current_ratio": 1}]))
    assert [(r.code, r.text_en) for r in explain(card, batch, 0)] == [
        ("DEBT_TO_ASSET_HIGH", "Debt 0.60 > 0.50")
    ]
    rising = small(debt_bins((None, 0.5, 0), (0.5, 0.8, 40), (0.8, None, 100)))
    batch = score_features(rising, table([{"debt_to_asset": 0.6, "current_ratio": 1}]))
    assert [(r.code, r.text_en) for r in explain(rising, batch, 0)] == [
        ("DEBT_TO_ASSET_LOW", "Debt 0.60 > 0.80")
    ]


def test_knock_outs_come_first_worst_grade_first_and_the_limit_counts_them() -> None:
    card = small()
    batch = score_features(
        card,
        table(
            [
                {
                    "debt_to_asset": 0.9,
                    "current_ratio": 0.2,
                    "enforcement_flag": 1,
                    "dishonest_debtor_flag": 1,
                }
            ]
        ),
    )
    assert [r.code for r in explain(card, batch, 0)] == [
        "KO_DISHONEST_DEBTOR_FLAG",
        "KO_ENFORCEMENT_FLAG",
        "DEBT_TO_ASSET_HIGH",
    ]
    assert [r.code for r in explain(card, batch, 0, limit=4)][-1] == "CURRENT_RATIO_LOW"
    knockout = explain(card, batch, 0)[0]
    assert (knockout.value, knockout.text_en, knockout.text_zh) == (
        1.0,
        "Dishonest debtor",
        "失信被执行人",
    )


def test_equal_losses_keep_the_scorecard_order() -> None:
    card = small()
    batch = score_features(card, table([{}]))  # both missing: 300 and 160 lost
    assert [r.code for r in explain(card, batch, 0)] == [
        "DEBT_TO_ASSET_MISSING",
        "CURRENT_RATIO_MISSING",
    ]
    rows = table([{"debt_to_asset": 0.6}, {"debt_to_asset": 0.6}])
    batch = score_features(card, rows)
    assert explain(card, batch, 0) == explain(card, batch, 1)


@pytest.mark.parametrize(
    ("feature", "value", "shown"),
    [
        ("debt_to_asset", 0.8567, "0.86"),
        ("current_ratio", 1.0, "1.00"),
        ("max_dpd_12m", 95.0, "95"),
        ("registered_capital", 5_000_000.0, "5,000,000"),
        ("relationship_age_years", 2.46, "2.5"),
        ("agency_rating_ordinal", 4.333, "4.33"),
    ],
)
def test_values_are_shown_in_their_unit(feature: str, value: float, shown: str) -> None:
    assert format_value(feature, value) == shown


def test_the_default_scorecard_explains_in_both_languages() -> None:
    card = Scorecard.default()
    features = pl.DataFrame(
        {"customer_id": [1], **{name: [None] for name in FEATURE_NAMES}},
        schema={"customer_id": pl.Int64, **dict.fromkeys(FEATURE_NAMES, pl.Float64)},
    ).with_columns(
        debt_to_asset=pl.lit(0.86), max_dpd_12m=pl.lit(95.0), weighted_dpd_3m=pl.lit(40.0)
    )
    batch = score_features(card, features)
    reasons = explain(card, batch, 0)
    assert [r.code for r in reasons] == [
        "DEBT_TO_ASSET_HIGH",
        "MAX_DPD_12M_HIGH",
        "WEIGHTED_DPD_3M_HIGH",
    ]
    assert reasons[0].text_en == "Debt-to-asset ratio 0.86 is at or above 0.85"
    assert reasons[0].text_zh == "资产负债率 0.86，不低于 0.85"
    assert reasons[1].text_en == "Max days past due in 12 months is 95, 90 or more"
    # 0.08 × 10 × (100 − 5) twice, then 0.07 × 10 × (100 − 15)
    assert [r.lost for r in reasons] == pytest.approx([76.0, 76.0, 59.5])
