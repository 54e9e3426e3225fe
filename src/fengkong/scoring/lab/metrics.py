"""Validation metrics in plain NumPy/SciPy: discrimination, calibration, stability, resampling.

Conventions: ``labels`` are 1 for bad, 0 for good; ``risk`` is anything that grows with the chance
of default (a PD, a raw log-odds); scorecard points, which grow with safety, are negated by the
caller. Nothing here fits a model, so the same functions validate the expert scorecard, a trained
scorecard, LightGBM, or a live score distribution in the drift job.

PSI and CSI use bins fixed on the development sample and an epsilon floor on every share, so an
empty bin gives a large but finite index (thresholds: below 0.10 stable, 0.10-0.25 watch, above
0.25 shifted); the binning and the index live in ``fengkong.scoring.stability`` (NumPy only),
shared with the registry's drift job.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from fengkong.scoring.stability import PSI_SHIFTED as PSI_SHIFTED
from fengkong.scoring.stability import PSI_WATCH as PSI_WATCH
from fengkong.scoring.stability import numeric_counts as numeric_counts
from fengkong.scoring.stability import psi_from_counts as psi_from_counts
from fengkong.scoring.stability import quantile_edges as quantile_edges
from fengkong.scoring.stability import stability_label as stability_label

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _checked(labels: npt.ArrayLike, risk: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    y = np.asarray(labels, dtype=np.float64)
    r = np.asarray(risk, dtype=np.float64)
    if y.shape != r.shape or y.ndim != 1:
        raise ValueError(f"labels and risk must be 1-d of one length, got {y.shape} and {r.shape}")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("labels must be 0 (good) or 1 (bad)")
    if np.isnan(r).any():
        raise ValueError("risk has missing values")
    return y, r


def auc(labels: npt.ArrayLike, risk: npt.ArrayLike) -> float:
    """Area under the ROC curve (Mann-Whitney U with average ranks for ties)."""
    y, r = _checked(labels, risk)
    bads = int(y.sum())
    goods = len(y) - bads
    if bads == 0 or goods == 0:
        raise ValueError("AUC needs both bad and good rows")
    ranks = stats.rankdata(r)
    u = float(ranks[y == 1].sum()) - bads * (bads + 1) / 2
    return u / (bads * goods)


def gini(labels: npt.ArrayLike, risk: npt.ArrayLike) -> float:
    """Accuracy ratio: 2·AUC − 1."""
    return 2 * auc(labels, risk) - 1


def ks(labels: npt.ArrayLike, risk: npt.ArrayLike) -> float:
    """Kolmogorov-Smirnov: the largest gap between the bad and good cumulative distributions.

    Evaluated only between distinct risk values, so ties never split (same as
    ``scipy.stats.ks_2samp`` on the two groups).
    """
    y, r = _checked(labels, risk)
    order = np.argsort(r, kind="stable")
    r_sorted, y_sorted = r[order], y[order]
    bads, goods = y_sorted.sum(), len(y_sorted) - y_sorted.sum()
    if bads == 0 or goods == 0:
        raise ValueError("KS needs both bad and good rows")
    last_of_value = np.r_[r_sorted[1:] != r_sorted[:-1], True]
    cum_bad = np.cumsum(y_sorted)[last_of_value] / bads
    cum_good = np.cumsum(1 - y_sorted)[last_of_value] / goods
    return float(np.max(np.abs(cum_bad - cum_good)))


def brier(labels: npt.ArrayLike, pd: npt.ArrayLike) -> float:
    """Mean squared error of the predicted probability of default."""
    y, p = _checked(labels, pd)
    if ((p < 0) | (p > 1)).any():
        raise ValueError("probabilities must lie in [0, 1]")
    return float(np.mean((p - y) ** 2))


@dataclass(frozen=True, slots=True)
class CalibrationRow:
    """One grade or score band: how many, how many bad, the PD predicted and the rate observed.

    ``p_value`` is the two-sided exact binomial test of the observed bads against the mean PD:
    small values say the band's PD is wrong for this sample.
    """

    band: str
    count: int
    bads: int
    predicted_pd: float
    observed_rate: float
    p_value: float


def calibration(
    labels: npt.ArrayLike, pd: npt.ArrayLike, bands: Sequence[str] | npt.NDArray[np.object_]
) -> list[CalibrationRow]:
    """Predicted PD against observed default rate per band, bands in order of rising PD."""
    y, p = _checked(labels, pd)
    names = np.asarray(bands, dtype=object)
    if names.shape != y.shape:
        raise ValueError("bands must label every row")
    rows = []
    for band in dict.fromkeys(names.tolist()):
        mask = names == band
        count = int(mask.sum())
        bads = int(y[mask].sum())
        predicted = float(p[mask].mean())
        test = stats.binomtest(bads, count, min(max(predicted, 1e-12), 1 - 1e-12))
        rows.append(CalibrationRow(str(band), count, bads, predicted, bads / count, test.pvalue))
    rows.sort(key=lambda row: row.predicted_pd)
    return rows


def score_bands(risk: npt.ArrayLike, edges: FloatArray) -> npt.NDArray[np.object_]:
    """Band names ``B01``… (low risk first) for each row, cut at ``edges``."""
    index = np.searchsorted(edges, np.asarray(risk, dtype=np.float64), side="right")
    return np.array([f"B{i + 1:02d}" for i in index], dtype=object)


def psi(
    development: npt.ArrayLike, recent: npt.ArrayLike, *, edges: FloatArray | None = None
) -> float:
    """PSI of a numeric distribution (a score, a PD); bins are deciles of ``development``."""
    cuts = quantile_edges(development) if edges is None else edges
    return psi_from_counts(numeric_counts(development, cuts), numeric_counts(recent, cuts))


def categorical_psi(development: Sequence[object], recent: Sequence[object]) -> float:
    """CSI of a categorical feature: one bin per development category, one for the rest."""
    dev = [_category(value) for value in development]
    new = [_category(value) for value in recent]
    known = list(dict.fromkeys(dev))
    position = {name: i for i, name in enumerate(known)}
    expected = np.bincount([position[v] for v in dev], minlength=len(known) + 1)
    actual = np.bincount([position.get(v, len(known)) for v in new], minlength=len(known) + 1)
    return psi_from_counts(expected, actual)


def _category(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "\x00missing"
    return str(value)


def stratified_folds(
    labels: npt.ArrayLike, k: int, *, seed: int
) -> list[tuple[IntArray, IntArray]]:
    """``k`` (train, test) position pairs; each class is shuffled and dealt round the folds.

    Every fold gets the bad rate of the whole within one row per class, the same as
    ``sklearn.model_selection.StratifiedKFold(shuffle=True)``.
    """
    y = np.asarray(labels)
    if k < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    rng = np.random.default_rng(seed)
    fold_of = np.empty(len(y), dtype=np.int64)
    offset = 0
    for value in np.unique(y):
        members = np.flatnonzero(y == value)
        if len(members) < k:
            raise ValueError(
                f"only {len(members)} rows of class {value.item()!r}: too few for {k} folds"
            )
        rng.shuffle(members)
        fold_of[members] = (np.arange(len(members)) + offset) % k
        offset += len(members)
    everything = np.arange(len(y))
    return [(everything[fold_of != f], everything[fold_of == f]) for f in range(k)]


def grouped_stratified_folds(
    labels: npt.ArrayLike, groups: npt.ArrayLike, k: int, *, seed: int
) -> list[tuple[IntArray, IntArray]]:
    """``k`` (train, test) position pairs that keep every group (a customer's monthly rows)
    on one side: otherwise a fold tests on months of customers it trained on, and flatters.
    Groups are stratified by whether any of their rows is bad."""
    y = np.asarray(labels)
    names, group_of = np.unique(np.asarray(groups), return_inverse=True)
    ever_bad = np.zeros(len(names), dtype=y.dtype)
    np.maximum.at(ever_bad, group_of, y)
    group_folds = stratified_folds(ever_bad, k, seed=seed)
    fold_of_group = np.empty(len(names), dtype=np.int64)
    for fold, (_, members) in enumerate(group_folds):
        fold_of_group[members] = fold
    fold_of = fold_of_group[group_of]
    everything = np.arange(len(y))
    return [(everything[fold_of != f], everything[fold_of == f]) for f in range(k)]


def train_test_split(
    labels: npt.ArrayLike, *, test_fraction: float, seed: int
) -> tuple[IntArray, IntArray]:
    """One stratified split: the early-stopping set of LightGBM, a quick holdout."""
    y = np.asarray(labels)
    rng = np.random.default_rng(seed)
    test: list[IntArray] = []
    for value in np.unique(y):
        members = np.flatnonzero(y == value)
        rng.shuffle(members)
        test.append(members[: max(1, round(len(members) * test_fraction))])
    test_rows = np.sort(np.concatenate(test))
    mask = np.ones(len(y), dtype=bool)
    mask[test_rows] = False
    return np.flatnonzero(mask), test_rows


def out_of_time_split(
    dates: npt.NDArray[np.datetime64], *, test_fraction: float = 0.2, period: str = "M"
) -> tuple[IntArray, IntArray, np.datetime64]:
    """Train on earlier periods, test on the latest ones holding about ``test_fraction``.

    Periods (months by default) are never split: every row of a period lands on one side, so
    no customer-month of the test window leaks into training. Returns the positions and the
    first test period.
    """
    periods = dates.astype(f"datetime64[{period}]")
    distinct, counts = np.unique(periods, return_counts=True)
    if len(distinct) < 2:
        raise ValueError("an out-of-time split needs dates in at least two periods")
    from_end = np.cumsum(counts[::-1]) / len(periods)
    n_test = int(np.searchsorted(from_end, test_fraction) + 1)
    n_test = min(max(n_test, 1), len(distinct) - 1)
    first_test = distinct[len(distinct) - n_test]
    test = np.flatnonzero(periods >= first_test)
    train = np.flatnonzero(periods < first_test)
    return train, test, first_test


def mean_sd(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for one value)."""
    array = np.asarray(values, dtype=np.float64)
    sd = float(array.std(ddof=1)) if len(array) > 1 else 0.0
    return float(array.mean()), sd
