"""Champion against challenger on the same rows: the numbers by hand on a tiny table, the DeLong
test against its textbook definition, two real models on a synthetic table, the expert scorecard
as a champion, and the report page holding both."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import polars as pl
import pytest
from scipy import stats

from fengkong.scoring.grading import MasterScale, grade_scores
from fengkong.scoring.lab import metrics
from fengkong.scoring.lab.compare import (
    ExpertModel,
    Scored,
    compare,
    delong,
    grades_from_pd,
    score_model,
)
from fengkong.scoring.lab.gbm import train_gbm
from fengkong.scoring.lab.report import render_comparison
from fengkong.scoring.lab.scorecard import train_scorecard
from fengkong.scoring.scorecard import Scorecard, score_features
from tests.unit.scoring.lab.builders import never_seen_table

SCALE = MasterScale.default()


def scored(label: str, pds: list[float]) -> Scored:
    pd_ = np.asarray(pds, dtype=np.float64)
    return Scored(label, "scorecard", pd_, pd_, grades_from_pd(SCALE, pd_))


def test_a_hand_built_comparison_gives_the_numbers_worked_out_by_hand() -> None:
    labels = [1, 1, 0, 0, 0, 0]
    # The champion ranks one good above a bad: 7 of 8 bad-good pairs right; the challenger all.
    champion = scored("v1", [0.30, 0.05, 0.10, 0.02, 0.02, 0.01])
    challenger = scored("v2", [0.40, 0.20, 0.05, 0.02, 0.01, 0.01])
    result = compare(labels, champion, challenger, facts={"target": "default"})
    assert result["champion"]["auc"] == pytest.approx(7 / 8)
    assert result["challenger"]["auc"] == pytest.approx(1.0)
    assert result["deltas"]["auc"] == pytest.approx(1 / 8)
    assert result["deltas"]["gini"] == pytest.approx(2 / 8)
    assert result["challenger"]["ks"] == pytest.approx(1.0)
    brier_champion = np.mean((np.array(champion.pd) - np.array(labels)) ** 2)
    assert result["champion"]["brier"] == pytest.approx(brier_champion)
    assert result["challenger"]["mean_pd"] == pytest.approx(np.mean(challenger.pd))
    expected_rho = stats.spearmanr(champion.pd, challenger.pd).statistic
    assert result["rank_correlation"] == pytest.approx(expected_rho)
    assert (result["n_rows"], result["n_bad"], result["target"]) == (6, 2, "default")
    migration = result["grade_migration"]
    assert sum(sum(row.values()) for row in migration.values()) == 6
    for before, after in zip(champion.grades, challenger.grades, strict=True):
        assert migration[before][after] >= 1
    ranks = {code: i for i, code in enumerate("ABCDE")}
    pairs = zip(challenger.grades, champion.grades, strict=True)
    better = sum(ranks[a] < ranks[b] for a, b in pairs)
    assert result["upgraded"] == pytest.approx(better / 6)
    calibrated = {row["grade"]: row for row in result["champion"]["calibration"]}
    assert sum(row["count"] for row in calibrated.values()) == 6
    json.dumps(result)


def _delong_by_definition(y: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """DeLong, DeLong and Clarke-Pearson (1988) written out pair by pair: O(bads × goods)."""

    def psi(x: np.ndarray, z: np.ndarray) -> np.ndarray:
        above = (x[:, None] > z[None, :]).astype(np.float64)
        return np.asarray(above + 0.5 * (x[:, None] == z[None, :]), dtype=np.float64)

    v10, v01 = [], []
    for risk in (a, b):
        kernel = psi(risk[y == 1], risk[y == 0])
        v10.append(kernel.mean(axis=1))
        v01.append(kernel.mean(axis=0))
    m, n = int((y == 1).sum()), int((y == 0).sum())
    s10, s01 = np.cov(np.vstack(v10)), np.cov(np.vstack(v01))
    s = s10 / m + s01 / n
    diff = v10[1].mean() - v10[0].mean()
    z = diff / math.sqrt(s[0, 0] + s[1, 1] - 2 * s[0, 1])
    return z, 2 * stats.norm.sf(abs(z))


def test_the_delong_test_agrees_with_its_definition_and_with_common_sense() -> None:
    rng = np.random.default_rng(3)
    y = (rng.random(300) < 0.3).astype(np.int8)
    strong = y * 1.5 + rng.normal(size=300)
    weak = y * 0.5 + rng.normal(size=300)
    weak[:20] = weak[20:40]  # ties too
    z, p = delong(y, weak, strong)
    z_ref, p_ref = _delong_by_definition(y, weak, strong)
    assert z == pytest.approx(z_ref)
    assert p == pytest.approx(p_ref)
    assert z > 0
    assert p < 0.01
    assert delong(y, strong, strong) == (0.0, 1.0)
    with pytest.raises(ValueError, match="two bad"):
        delong([1, 0, 0], np.array([0.1, 0.2, 0.3]), np.array([0.3, 0.2, 0.1]))


def test_two_trained_models_are_compared_on_the_same_rows_and_the_report_shows_both() -> None:
    table = never_seen_table(rows=1500, bad_rate=0.12)
    train, test = table.subset(np.arange(1000)), table.subset(np.arange(1000, 1500))
    card = train_scorecard(train)
    gbm = train_gbm(train)
    champion = score_model("pd v1", card, test.features, SCALE)
    challenger = score_model("pd v2", gbm, test.features, SCALE)
    result = compare(test.labels, champion, challenger, facts={"data_hash": table.data_hash})
    assert result["champion"]["auc"] == pytest.approx(
        metrics.auc(test.labels, card.predict_pd(test.features))
    )
    assert result["challenger"]["auc"] == pytest.approx(
        metrics.auc(test.labels, gbm.predict_pd(test.features))
    )
    assert result["champion"]["auc"] > 0.65
    assert result["challenger"]["auc"] > 0.65
    assert 0.5 < result["rank_correlation"] <= 1.0
    assert 0 <= result["delong"]["p_value"] <= 1
    assert result["champion"]["kind"] == "scorecard"
    assert result["challenger"]["kind"] == "gbm"
    assert len(result["champion"]["roc"]) > 50

    page = render_comparison(result)
    assert page.count("<polyline") == 2
    assert "pd v1" in page
    assert "pd v2" in page
    assert "DeLong" in page
    assert f"{result['challenger']['auc']:.4f}" in page
    assert f"{result['deltas']['auc']:+.4f}" in page
    assert "Grade migration" in page
    assert "<script" not in page


def test_the_expert_scorecard_competes_with_its_grades_pds_and_points() -> None:
    card = Scorecard.default()
    expert = ExpertModel(card, SCALE)
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({name: rng.uniform(0, 120, 200) for name in expert.feature_names})
    columns = {"customer_id": np.arange(200), **{n: frame[n].to_numpy() for n in frame}}
    batch = score_features(card, pl.DataFrame(columns))
    codes, pds = grade_scores(SCALE, batch.score, batch.knockout_grades)
    assert expert.predict_pd(frame) == pytest.approx(pds)
    assert list(expert.grades(frame)) == list(codes)
    risk = expert.risk(frame)
    worse = np.array([ord(c) for c in codes])
    # A worse grade always ranks riskier, whatever the points.
    assert risk[worse.argmax()] >= risk[worse.argmin()]
    order = np.lexsort((-batch.score, worse))
    assert np.all(np.diff(risk[order]) >= 0)
    with pytest.raises(Exception, match="missing"):
        expert.predict_pd(frame.drop(columns=[expert.feature_names[0]]))


def test_a_trained_models_pd_takes_the_grade_nearest_on_the_log_scale() -> None:
    pds = [grade.pd for grade in SCALE.grades]
    assert list(grades_from_pd(SCALE, pds)) == ["A", "B", "C", "D", "E"]
    between = math.sqrt(pds[0] * pds[1])
    assert list(grades_from_pd(SCALE, [between * 0.999, between * 1.001])) == ["A", "B"]
    assert list(grades_from_pd(SCALE, [1e-9, 0.999])) == ["A", "E"]


def test_a_comparison_refuses_rows_the_models_did_not_both_score() -> None:
    with pytest.raises(ValueError, match="every row"):
        compare([1, 0, 0], scored("a", [0.1, 0.2, 0.3]), scored("b", [0.1, 0.2]))
