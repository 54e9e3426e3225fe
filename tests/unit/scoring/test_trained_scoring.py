"""A trained model scoring the feature table: PD-band grades, knock-outs kept, reasons in the
expert scorecard's shape."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

from fengkong.scoring.features import FEATURE_NAMES
from fengkong.scoring.grading import MasterScale
from fengkong.scoring.lab.data import labelled_table
from fengkong.scoring.lab.gbm import GbmSettings, train_gbm
from fengkong.scoring.lab.scorecard import (
    ScorecardBin,
    ScorecardFeature,
    ScorecardSettings,
    TrainedScorecard,
)
from fengkong.scoring.scorecard import NO_KNOCKOUT, Scorecard, score_features
from fengkong.scoring.trained_scoring import (
    TrainedScoringError,
    grade_ranks_by_pd,
    pd_boundaries,
    score_from_pd,
    score_trained,
)

SCALE = MasterScale.default()  # PDs 0.5 %, 1.5 %, 4 %, 10 %, 25 %
EXPERT = Scorecard.default()


def _bin(kind: Any, points: float, lower: float | None = None, upper: float | None = None) -> Any:
    return ScorecardBin(kind, f"{kind} {lower}-{upper}", 10, 1, 0.0, 0.0, points, lower, upper)


def _feature(name: str, edges: tuple[float, float], points: tuple[float, ...]) -> ScorecardFeature:
    low, high = edges
    bins = (
        _bin("interval", points[0], None, low),
        _bin("interval", points[1], low, high),
        _bin("interval", points[2], high, None),
        _bin("special", points[3]),
        _bin("missing", points[4]),
    )
    return ScorecardFeature(name, "numeric", 0.5, -1.0, bins)


CARD = TrainedScorecard(
    features=(
        _feature("max_dpd_12m", (10, 60), (320, 300, 270, 290, 290)),
        _feature("debt_to_asset", (0.4, 0.8), (300, 285, 240, 280, 280)),
    ),
    intercept=-2.0,
    settings=ScorecardSettings(),
)


def features(rows: dict[str, list[float | None]]) -> pl.DataFrame:
    n = len(next(iter(rows.values())))
    columns: dict[str, list[float | None]] = {name: [None] * n for name in FEATURE_NAMES}
    columns.update(rows)
    return pl.DataFrame(
        {"customer_id": list(range(1, n + 1))} | columns,
        schema={"customer_id": pl.Int64} | dict.fromkeys(FEATURE_NAMES, pl.Float64),
    )


def _expected_pd(score: float) -> float:
    factor = 20 / math.log(2)
    offset = 600 - factor * math.log(50)
    return 1 / (1 + math.exp(-(offset - score) / factor))


def test_pd_bands_meet_at_the_geometric_means_of_neighbouring_grades() -> None:
    pds = (0.005, 0.015, 0.04, 0.1, 0.25)
    assert pd_boundaries(SCALE).tolist() == pytest.approx(
        [math.sqrt(better * worse) for better, worse in itertools.pairwise(pds)]
    )
    edge = math.sqrt(0.04 * 0.1)
    ranks = grade_ranks_by_pd(SCALE, [0.001, 0.005, 0.02, edge, 0.05, 0.2, 0.9])
    assert ranks.tolist() == [0, 0, 1, 3, 2, 4, 4]  # on a boundary: the worse grade


def test_a_trained_scorecard_scores_grades_by_pd_and_explains_like_the_expert() -> None:
    table = features({"max_dpd_12m": [0.0, 80.0, None], "debt_to_asset": [0.3, 0.9, 0.5]})
    scored = score_trained(CARD, table, SCALE, score_features(EXPERT, table))

    assert scored.score.tolist() == [620.0, 510.0, 575.0]
    assert scored.pd.tolist() == pytest.approx([_expected_pd(s) for s in (620.0, 510.0, 575.0)])
    assert scored.grade.tolist() == ["B", "E", "C"]  # 0.99 %, 31 %, 4.5 %
    factors, reasons = scored.explained(1, EXPERT, score_features(EXPERT, table))
    assert [(r["code"], r["lost"]) for r in reasons] == [
        ("DEBT_TO_ASSET_HIGH", 60.0),
        ("MAX_DPD_12M_HIGH", 50.0),
    ]
    assert set(reasons[0]) == {"code", "feature", "value", "points", "lost", "text_zh", "text_en"}
    assert "points below its best" in reasons[0]["text_en"]
    dpd = factors[0]
    assert (dpd["feature"], dpd["value"], dpd["points"], dpd["weight"] * 1000) == (
        "max_dpd_12m",
        80.0,
        270.0,
        320.0,
    )
    assert dpd["score"] == 0.0
    assert dpd["reason_code"] == "MAX_DPD_12M_HIGH"
    _, missing = scored.explained(2, EXPERT, score_features(EXPERT, table))
    assert [r["code"] for r in missing] == ["MAX_DPD_12M_MISSING", "DEBT_TO_ASSET_HIGH"]
    assert missing[0]["value"] is None


def test_an_expert_knock_out_caps_the_grade_and_lifts_the_pd_to_the_grades() -> None:
    table = features(
        {
            "max_dpd_12m": [0.0, 0.0],
            "debt_to_asset": [0.3, 0.3],
            "dishonest_debtor_flag": [1.0, 0.0],
        }
    )
    expert = score_features(EXPERT, table)
    scored = score_trained(CARD, table, SCALE, expert)

    assert scored.grade.tolist() == ["E", "B"]
    assert scored.pd.tolist() == pytest.approx([0.25, _expected_pd(620.0)])
    assert scored.score.tolist() == [620.0, 620.0]  # the points stay the model's
    assert scored.knocked_out_by[1] == NO_KNOCKOUT
    _, reasons = scored.explained(0, EXPERT, expert)
    assert reasons[0]["code"] == "KO_DISHONEST_DEBTOR_FLAG"


def test_a_model_needing_a_feature_outside_the_library_is_refused() -> None:
    card = TrainedScorecard(
        features=(_feature("收入", (1, 2), (300, 290, 280, 280, 280)),),
        intercept=-2.0,
        settings=ScorecardSettings(),
    )
    table = features({"max_dpd_12m": [0.0]})
    with pytest.raises(TrainedScoringError, match="收入"):
        score_trained(card, table, SCALE, score_features(EXPERT, table))


def test_lightgbm_reasons_are_the_largest_contributions_towards_bad() -> None:
    rng = np.random.default_rng(3)
    dpd = rng.uniform(0, 120, 400).round(0)
    noise = rng.uniform(0, 1, 400)
    bad = rng.uniform(size=400) < 1 / (1 + np.exp(-(-3 + 0.05 * dpd)))
    frame = pd.DataFrame({"max_dpd_12m": dpd, "debt_to_asset": noise, "bad": bad.astype(int)})
    model = train_gbm(
        labelled_table(frame, target="bad", bad_value="1"),
        GbmSettings(max_rounds=60, early_stopping_rounds=10),
    )
    table = features({"max_dpd_12m": [0.0, 110.0], "debt_to_asset": [0.5, 0.5]})
    expert = score_features(EXPERT, table)
    scored = score_trained(model, table, SCALE, expert)

    assert scored.pd[1] > scored.pd[0]
    assert scored.score.tolist() == pytest.approx(score_from_pd(scored.pd).tolist())
    assert scored.grade.tolist() == [
        "ABCDE"[rank] for rank in grade_ranks_by_pd(SCALE, scored.pd).tolist()
    ]
    _, reasons = scored.explained(1, EXPERT, expert)
    assert reasons[0]["code"] == "MAX_DPD_12M_ADVERSE"
    assert reasons[0]["lost"] > 0
    factors, _ = scored.explained(1, EXPERT, expert)
    assert factors[0]["weight"] == 0.0
