from __future__ import annotations

import math
import re
from collections.abc import Callable
from itertools import pairwise

import numpy as np
import polars as pl
import pytest
import yaml

from fengkong.scoring.features.catalogue import FEATURE_NAMES
from fengkong.scoring.scorecard import (
    NO_KNOCKOUT,
    Bin,
    Factor,
    KnockOut,
    Scorecard,
    ScorecardError,
    Texts,
    bin_slots,
    score_features,
    scorecard_to_dict,
)
from tests.unit.scoring.scorecard_builders import SMALL, Document, debt_bins, setting, small, table


def test_the_small_scorecard_is_valid() -> None:
    card = small()
    assert card.features == ("debt_to_asset", "current_ratio")
    assert card.factor("current_ratio").bins[1] == Bin(1.0, None, 100.0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            debt_bins((None, 0.5, 100), (0.55, None, 0)),
            "factor debt_to_asset: bins leave a gap between 0.5 and 0.55 (bins 1 and 2)",
        ),
        (
            debt_bins((None, 0.5, 100), (0.45, 0.8, 40), (0.8, None, 0)),
            "factor debt_to_asset: bins 1 and 2 overlap between 0.45 and 0.5",
        ),
        (
            debt_bins((None, 0.5, 100), (0.8, 0.9, 10), (0.5, 0.8, 40), (0.9, None, 0)),
            "factor debt_to_asset: bins are not in ascending order: bin 3 starts at 0.5, "
            "not above bin 2's start 0.8",
        ),
        (
            debt_bins((0, 0.5, 100), (0.5, None, 0)),
            "factor debt_to_asset, bin 1: the first bin must be open below (lower: null), got 0",
        ),
        (
            debt_bins((None, 0.5, 100), (0.5, 2, 0)),
            "factor debt_to_asset, bin 2: the last bin must be open above (upper: null), got 2",
        ),
        (
            debt_bins((None, 0.5, 100), (0.5, None, 40), (0.8, None, 0)),
            "factor debt_to_asset, bin 2: only the last bin may be open above",
        ),
        (
            debt_bins((None, 0.5, 100), (0.7, 0.6, 40), (0.6, None, 0)),
            "factor debt_to_asset, bin 2: lower 0.7 must be below upper 0.6",
        ),
        (
            debt_bins((None, None, 100)),
            "factor debt_to_asset: needs at least two bins, got 1",
        ),
        (
            debt_bins((None, 0.5, 100), (0.5, None, 120)),
            "factor debt_to_asset, bin 2: score 120 is outside 0..100",
        ),
        (
            setting("factors.1.missing_score", -5),
            "factor current_ratio: missing_score -5 is outside 0..100",
        ),
        (
            setting("factors.1.weight", 0.3),
            "scorecard small: factor weights sum to 0.9, not 1",
        ),
        (
            setting("factors.1.weight", -0.4),
            "factor current_ratio: weight must be above 0, got -0.4",
        ),
        (
            setting("factors.1.weight", "0.4"),
            "factor current_ratio: weight must be a number, got '0.4'",
        ),
        (
            setting("factors.0.feature", "debt_ratio"),
            "factor debt_ratio: unknown feature 'debt_ratio' (not in the feature catalogue)",
        ),
        (
            setting("factors.1.feature", "debt_to_asset"),
            "factor debt_to_asset: appears twice (one factor per feature)",
        ),
        (
            setting("knockouts.0.feature", "bankrupt"),
            "knock-out 1 (bankrupt): unknown feature 'bankrupt' (not in the feature catalogue)",
        ),
        (
            setting("knockouts.1.operator", "=>"),
            "knock-out 2 (dishonest_debtor_flag): operator '=>' is not one of >=, >, <=, <, ==",
        ),
        (
            setting("knockouts.1.grade", "F"),
            "knock-out 2 (dishonest_debtor_flag): grade 'F' is not one of A, B, C, D, E",
        ),
        (
            setting("factors.0.reason.en", "Debt {val} is high"),
            "factor debt_to_asset: reason.en uses {val}; only {value} and {threshold} are allowed",
        ),
        (
            setting("factors.0.reason.zh", "资产负债率 {value:.1%}"),
            "factor debt_to_asset: reason.zh uses {value}; only {value} and {threshold} are "
            "allowed, without format specs",
        ),
        (
            lambda document: document["factors"][0].update(wieght=0.6),
            "factor debt_to_asset: unknown field wieght",
        ),
        (
            lambda document: document["factors"][1].pop("missing_score"),
            "factor current_ratio: missing missing_score",
        ),
        (
            setting("factors.0.bins.1.upper", math.inf),
            "factor debt_to_asset, bin 2: upper must be finite",
        ),
        (setting("factors", []), "scorecard small: needs at least one factor"),
    ],
)
def test_a_malformed_scorecard_is_refused_with_a_message_naming_the_place(
    change: Callable[[Document], None], message: str
) -> None:
    with pytest.raises(ScorecardError, match=re.escape(message)):
        small(change)


def test_a_scorecard_built_in_code_is_validated_too() -> None:
    reason = Texts(zh="x", en="x")
    bins = (Bin(None, 0.5, 100), Bin(0.6, None, 0))
    with pytest.raises(ScorecardError, match=re.escape("gap between 0.5 and 0.6")):
        Scorecard("code", "1", "", (Factor("debt_to_asset", 1.0, bins, 50, reason),))


def test_weights_may_miss_1_by_rounding_but_no_more() -> None:
    small(setting("factors.1.weight", 0.4 + 5e-10))
    with pytest.raises(ScorecardError, match="weights sum to"):
        small(setting("factors.1.weight", 0.4 + 5e-9))


def test_text_that_is_not_yaml_or_not_a_scorecard_is_refused() -> None:
    with pytest.raises(ScorecardError, match="not valid YAML"):
        Scorecard.from_yaml("factors: [unclosed")
    with pytest.raises(ScorecardError, match="expected a mapping"):
        Scorecard.from_yaml("- just a list")
    with pytest.raises(ScorecardError, match="scorecard: missing factors"):
        Scorecard.from_yaml("name: x\nversion: 1\n")


def test_points_are_weight_times_bin_score_times_ten_summed_over_factors() -> None:
    batch = score_features(
        small(),
        table(
            [
                {"debt_to_asset": 0.3, "current_ratio": 0.5},  # 600 + 80
                {"debt_to_asset": 0.6, "current_ratio": 2.0},  # 240 + 400
                {"debt_to_asset": 0.95, "current_ratio": 0.99},  # 0 + 80
            ]
        ),
    )
    np.testing.assert_allclose(batch.points, [[600, 80], [240, 400], [0, 80]], atol=1e-9)
    np.testing.assert_allclose(batch.score, [680, 640, 80], atol=1e-9)
    assert batch.customer_id.tolist() == [1, 2, 3]
    assert len(batch) == 3


def test_a_lower_edge_belongs_to_its_bin_and_an_upper_edge_to_the_next() -> None:
    batch = score_features(
        small(),
        table(
            [
                {"debt_to_asset": 0.5, "current_ratio": 1.0},  # lower edges: 240 + 400
                {"debt_to_asset": math.nextafter(0.5, 0), "current_ratio": 0.9999999},  # 600 + 80
                {"debt_to_asset": 0.8, "current_ratio": 1.0000001},  # 0 + 400
            ]
        ),
    )
    np.testing.assert_allclose(batch.score, [640, 680, 400], atol=1e-9)


def test_infinite_values_fall_in_the_open_end_bins() -> None:
    batch = score_features(
        small(), table([{"debt_to_asset": -math.inf, "current_ratio": math.inf}])
    )
    np.testing.assert_allclose(batch.points, [[600, 400]], atol=1e-9)


def test_a_missing_value_earns_the_missing_score_and_stays_nan_in_values() -> None:
    features = table([{"debt_to_asset": None, "current_ratio": 1.5}]).vstack(
        table([{"debt_to_asset": 0.2}]).with_columns(
            pl.lit(float("nan")).alias("current_ratio"),
            pl.lit(2).cast(pl.Int64).alias("customer_id"),
        )
    )
    batch = score_features(small(), features)
    np.testing.assert_allclose(batch.points, [[300, 400], [600, 240]], atol=1e-9)
    np.testing.assert_allclose(batch.score, [700, 840], atol=1e-9)
    assert math.isnan(batch.values[0, 0])
    assert batch.values[0, 1] == 1.5
    assert math.isnan(batch.values[1, 1])


def test_a_table_without_a_scorecard_feature_is_refused() -> None:
    features = table([{"debt_to_asset": 0.3}]).drop("current_ratio", "enforcement_flag")
    with pytest.raises(
        ScorecardError, match="the feature table lacks current_ratio, enforcement_flag"
    ):
        score_features(small(), features)


def test_integer_feature_columns_are_scored_as_numbers() -> None:
    features = table([{"debt_to_asset": 0.3}]).with_columns(
        pl.Series("current_ratio", [3], dtype=pl.Int64),
        pl.Series("dishonest_debtor_flag", [1], dtype=pl.Int8),
    )
    batch = score_features(small(), features)
    np.testing.assert_allclose(batch.score, [1000], atol=1e-9)
    assert batch.knocked_out_by.tolist() == [1]


def test_the_worst_knock_out_that_fires_is_recorded_whatever_its_position() -> None:
    batch = score_features(
        small(),
        table(
            [
                {"debt_to_asset": 0.1, "current_ratio": 2},
                {"debt_to_asset": 0.1, "current_ratio": 2, "enforcement_flag": 1},
                {"enforcement_flag": 1, "dishonest_debtor_flag": 1},
                {"enforcement_flag": 0, "dishonest_debtor_flag": None},
            ]
        ),
    )
    assert batch.knocked_out_by.tolist() == [NO_KNOCKOUT, 0, 1, NO_KNOCKOUT]
    assert batch.knockout_grades.tolist() == ["", "D", "E", ""]
    # Knock-outs cap the grade; they do not change the points.
    np.testing.assert_allclose(batch.score, [1000, 1000, 540, 540], atol=1e-9)


def test_among_equally_bad_knock_outs_the_first_listed_is_recorded() -> None:
    card = small(setting("knockouts.0.grade", "E"))
    batch = score_features(card, table([{"enforcement_flag": 1, "dishonest_debtor_flag": 1}]))
    assert batch.knocked_out_by.tolist() == [0]


@pytest.mark.parametrize(
    ("operator", "fires_at"),
    [(">=", [False, True, True]), (">", [False, False, True]), ("<=", [True, True, False]),
     ("<", [True, False, False]), ("==", [False, True, False])],
)  # fmt: skip
def test_each_knock_out_operator_compares_the_value_with_the_threshold(
    operator: str, fires_at: list[bool]
) -> None:
    card = small(setting("knockouts", [{**SMALL["knockouts"][0], "operator": operator}]))
    batch = score_features(card, table([{"enforcement_flag": v} for v in (0, 1, 2)]))
    assert (batch.knocked_out_by == 0).tolist() == fires_at
    assert card.knockouts[0].fires(1.0) is fires_at[1]
    assert card.knockouts[0].fires(math.nan) is False


def test_the_vectorised_bins_agree_with_searchsorted_for_few_and_many_edges() -> None:
    rng = np.random.default_rng(7)
    for count in (1, 5, 16, 17, 40):
        edges = np.sort(rng.choice(np.arange(-50.0, 50.0, 0.5), size=count, replace=False))
        values = np.concatenate(
            [rng.normal(0, 30, 2_000), edges, [np.nan, np.inf, -np.inf, np.nan]]
        )
        expected = np.searchsorted(edges, values, side="right")
        expected[np.isnan(values)] = count + 1
        assert bin_slots(values, edges).tolist() == expected.tolist(), count


def test_scoring_many_rows_matches_scoring_each_row_alone() -> None:
    rng = np.random.default_rng(11)
    rows = 500
    debt = rng.uniform(0, 1.2, rows)
    debt[rng.random(rows) < 0.1] = np.nan
    ratio = rng.choice([0.5, 1.0, 1.5, np.nan], rows)
    features = pl.DataFrame(
        {
            "customer_id": np.arange(rows),
            "debt_to_asset": debt,
            "current_ratio": ratio,
            "enforcement_flag": np.zeros(rows),
            "dishonest_debtor_flag": np.zeros(rows),
        }
    )
    card = small()
    batch = score_features(card, features)
    for row in range(rows):
        expected = 0.0
        for factor, value in zip(card.factors, (debt[row], ratio[row]), strict=True):
            score = (
                factor.missing_score
                if math.isnan(value)
                else next(
                    b.score
                    for b in factor.bins
                    if (b.lower is None or value >= b.lower)
                    and (b.upper is None or value < b.upper)
                )
            )
            expected += factor.weight * score * 10
        assert batch.score[row] == pytest.approx(expected, abs=1e-9)


def test_a_scorecard_survives_a_yaml_round_trip() -> None:
    card = small()
    text = card.to_yaml()
    assert Scorecard.from_yaml(text) == card
    assert yaml.safe_load(text) == scorecard_to_dict(card)
    assert "score: 100\n" in text  # whole numbers stay whole in the file


def test_the_default_scorecard_loads_validates_and_round_trips() -> None:
    card = Scorecard.default()
    assert 18 <= len(card.factors) <= 25
    assert math.fsum(f.weight for f in card.factors) == pytest.approx(1.0, abs=1e-9)
    assert set(card.features) <= set(FEATURE_NAMES)
    assert Scorecard.from_yaml(card.to_yaml()) == card


def test_every_default_factor_is_monotone_so_its_reason_text_points_the_right_way() -> None:
    for factor in Scorecard.default().factors:
        scores = [b.score for b in factor.bins]
        rising = all(a <= b for a, b in pairwise(scores))
        falling = all(a >= b for a, b in pairwise(scores))
        assert rising != falling, factor.feature
        if "{threshold}" in factor.reason.en:
            wordings = ("below",) if rising else ("at or above", "or more", "worse than")
            assert any(wording in factor.reason.en for wording in wordings), factor.feature
            assert "{threshold}" in factor.reason.zh, factor.feature


def test_default_missing_scores_are_cautious_but_not_punitive() -> None:
    for factor in Scorecard.default().factors:
        scores = [b.score for b in factor.bins]
        assert min(scores) < factor.missing_score < max(scores), factor.feature


def test_the_default_knock_outs_cap_dishonest_debtors_enforcement_and_long_arrears() -> None:
    knockouts = {k.feature: k for k in Scorecard.default().knockouts}
    assert knockouts["dishonest_debtor_flag"] == KnockOut(
        "dishonest_debtor_flag", ">=", 1.0, "E", knockouts["dishonest_debtor_flag"].reason
    )
    assert (knockouts["enforcement_flag"].grade, knockouts["enforcement_flag"].value) == ("D", 1)
    assert (knockouts["max_dpd_3m"].operator, knockouts["max_dpd_3m"].value) == (">=", 180)
    assert knockouts["max_dpd_3m"].grade == "E"
