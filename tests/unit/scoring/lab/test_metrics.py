from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import brier_score_loss, roc_auc_score

from fengkong.scoring.lab import metrics


@pytest.fixture
def sample() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    labels = (rng.random(3000) < 0.2).astype(np.int8)
    # Rounded so that many scores tie: ties are where AUC and KS implementations differ.
    risk = np.round(1 / (1 + np.exp(-(labels * 1.2 + rng.normal(size=3000) - 1.5))), 2)
    return labels, risk


def test_auc_on_four_rows_is_the_share_of_bad_good_pairs_ranked_right() -> None:
    # Pairs (bad, good): (0.8, 0.1) right, (0.8, 0.4) right, (0.3, 0.1) right, (0.3, 0.4) wrong.
    assert metrics.auc([1, 0, 1, 0], [0.8, 0.1, 0.3, 0.4]) == 0.75
    assert metrics.gini([1, 0, 1, 0], [0.8, 0.1, 0.3, 0.4]) == 0.5
    # A tie between a bad and a good counts half.
    assert metrics.auc([1, 0], [0.5, 0.5]) == 0.5


def test_auc_agrees_with_scikit_learn_with_ties(sample: tuple[np.ndarray, np.ndarray]) -> None:
    labels, risk = sample
    assert metrics.auc(labels, risk) == pytest.approx(roc_auc_score(labels, risk), abs=1e-12)


def test_ks_agrees_with_scipy_two_sample_ks(sample: tuple[np.ndarray, np.ndarray]) -> None:
    labels, risk = sample
    oracle = stats.ks_2samp(risk[labels == 1], risk[labels == 0]).statistic
    assert metrics.ks(labels, risk) == pytest.approx(oracle, abs=1e-12)


def test_ks_of_a_perfect_separation_is_one() -> None:
    assert metrics.ks([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0


def test_brier_agrees_with_scikit_learn(sample: tuple[np.ndarray, np.ndarray]) -> None:
    labels, risk = sample
    assert metrics.brier(labels, risk) == pytest.approx(brier_score_loss(labels, risk), abs=1e-12)
    assert metrics.brier([1, 0], [0.75, 0.25]) == 0.0625


def test_metrics_refuse_labels_other_than_zero_and_one() -> None:
    with pytest.raises(ValueError, match="labels must be 0"):
        metrics.auc([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="needs both bad and good"):
        metrics.auc([1, 1], [0.1, 0.2])


def test_calibration_compares_each_band_with_an_exact_binomial_test() -> None:
    labels = [1, 0, 0, 0, 1, 1, 0, 1]
    pd_ = [0.1, 0.1, 0.1, 0.1, 0.5, 0.5, 0.5, 0.5]
    bands = ["A", "A", "A", "A", "B", "B", "B", "B"]
    low, high = metrics.calibration(labels, pd_, bands)
    assert (low.band, low.count, low.bads, low.observed_rate) == ("A", 4, 1, 0.25)
    assert low.predicted_pd == pytest.approx(0.1)
    assert low.p_value == pytest.approx(stats.binomtest(1, 4, 0.1).pvalue)
    assert (high.bads, high.observed_rate) == (3, 0.75)
    assert high.p_value == pytest.approx(stats.binomtest(3, 4, 0.5).pvalue)


def test_psi_matches_the_formula_on_two_hand_made_histograms() -> None:
    expected, actual = [50, 30, 20], [40, 30, 30]
    by_hand = (0.4 - 0.5) * math.log(0.4 / 0.5) + (0.3 - 0.2) * math.log(0.3 / 0.2)
    assert metrics.psi_from_counts(expected, actual) == pytest.approx(by_hand)


def test_psi_of_an_empty_bin_is_large_but_finite_thanks_to_the_floor() -> None:
    value = metrics.psi_from_counts([100, 0], [50, 50])
    assert math.isfinite(value)
    assert value > 3


def test_psi_bins_are_fixed_on_development_so_the_same_sample_is_stable() -> None:
    rng = np.random.default_rng(5)
    development = rng.normal(size=5000)
    assert metrics.psi(development, development) == 0.0
    assert metrics.psi(development, rng.normal(size=5000)) < metrics.PSI_WATCH
    shifted = metrics.psi(development, rng.normal(loc=1.0, size=5000))
    assert metrics.stability_label(shifted) == "shifted"


def test_psi_on_development_quantile_bins_is_the_textbook_sum_when_no_bin_is_empty() -> None:
    rng = np.random.default_rng(8)
    development, recent = rng.normal(size=2000), rng.normal(0.3, 1.1, size=1500)
    edges = metrics.quantile_edges(development, 5)
    e = metrics.numeric_counts(development, edges)[:-1] / 2000
    a = metrics.numeric_counts(recent, edges)[:-1] / 1500
    assert metrics.psi(development, recent, edges=edges) == pytest.approx(
        float(np.sum((a - e) * np.log(a / e)))
    )


def test_csi_of_a_categorical_feature_counts_unseen_categories_in_a_bin_of_their_own() -> None:
    development = ["华东"] * 50 + ["华南"] * 50
    recent = ["华东"] * 50 + ["西北"] * 50
    by_hand = (0.5 - 1e-4) * math.log(0.5 / 1e-4) + (1e-4 - 0.5) * math.log(1e-4 / 0.5)
    assert metrics.categorical_psi(development, recent) == pytest.approx(by_hand)
    assert metrics.categorical_psi(development, development) == 0.0


def test_stratified_folds_partition_the_rows_and_keep_the_bad_rate() -> None:
    labels = np.r_[np.ones(30), np.zeros(970)].astype(np.int8)
    folds = metrics.stratified_folds(labels, 5, seed=42)
    tests = np.concatenate([test for _, test in folds])
    assert sorted(tests.tolist()) == list(range(1000))
    for train, test in folds:
        assert len(np.intersect1d(train, test)) == 0
        assert labels[test].sum() == 6
        assert len(test) == 200
    assert [t.tolist() for _, t in folds] == [
        t.tolist() for _, t in metrics.stratified_folds(labels, 5, seed=42)
    ]


def test_too_few_bads_for_the_folds_is_refused() -> None:
    with pytest.raises(ValueError, match="only 3 rows of class 1: too few for 5 folds"):
        metrics.stratified_folds([1, 1, 1] + [0] * 20, 5, seed=1)


def test_out_of_time_split_keeps_whole_months_on_one_side() -> None:
    dates = np.array(
        ["2025-01-15"] * 40 + ["2025-02-10"] * 30 + ["2025-03-01"] * 20 + ["2025-03-31"] * 10,
        dtype="datetime64[D]",
    )
    train, test, first = metrics.out_of_time_split(dates, test_fraction=0.2)
    assert str(first) == "2025-03"
    assert len(train) == 70
    assert len(test) == 30
    assert dates[train].max() < dates[test].min()


def test_mean_and_sample_standard_deviation() -> None:
    assert metrics.mean_sd([1.0, 2.0, 3.0]) == (2.0, 1.0)
    assert metrics.mean_sd([0.5]) == (0.5, 0.0)
