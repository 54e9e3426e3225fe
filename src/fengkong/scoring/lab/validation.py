"""Train and prove a model: stratified K-fold, out-of-time backtest, stability, one report.

Every number in a validation comes from rows the model did not train on: K-fold metrics from each
fold's test rows, the calibration table and the ROC curve from the out-of-fold predictions (each
row predicted by the model that did not see it), the backtest from the later periods.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from fengkong.scoring.lab import metrics
from fengkong.scoring.lab.data import FloatArray, LabelledTable, LabError
from fengkong.scoring.lab.gbm import GbmSettings, TrainedGbm, train_gbm
from fengkong.scoring.lab.scorecard import ScorecardSettings, TrainedScorecard, train_scorecard
from fengkong.scoring.stability import ScoreDistribution

CALIBRATION_BANDS = 10
ROC_POINTS = 101


class ModelKind(StrEnum):
    SCORECARD = "scorecard"
    GBM = "gbm"


class TrainedModel(Protocol):
    """What validation needs of a model; the registry stores the same two kinds."""

    @property
    def kind(self) -> str: ...

    @property
    def feature_names(self) -> tuple[str, ...]: ...

    @property
    def seconds(self) -> float: ...

    def predict_pd(self, frame: pd.DataFrame) -> FloatArray: ...

    def reason_codes(
        self, frame: pd.DataFrame, *, top: int = 3
    ) -> list[list[tuple[str, float]]]: ...


@dataclass(frozen=True, slots=True)
class Recipe:
    """Which model to train and how: everything a fold, a backtest and the final fit share."""

    kind: ModelKind
    scorecard: ScorecardSettings = field(default_factory=ScorecardSettings)
    gbm: GbmSettings = field(default_factory=GbmSettings)

    def train(self, table: LabelledTable) -> TrainedScorecard | TrainedGbm:
        if self.kind is ModelKind.SCORECARD:
            return train_scorecard(table, self.scorecard)
        return train_gbm(table, self.gbm)


@dataclass(frozen=True, slots=True)
class Metrics:
    auc: float
    gini: float
    ks: float
    brier: float
    n_rows: int
    n_bad: int

    def to_dict(self) -> dict[str, float | int]:
        return {
            "auc": self.auc,
            "gini": self.gini,
            "ks": self.ks,
            "brier": self.brier,
            "n_rows": self.n_rows,
            "n_bad": self.n_bad,
        }


def evaluate(labels: npt.ArrayLike, pd_: npt.ArrayLike) -> Metrics:
    y = np.asarray(labels)
    area = metrics.auc(y, pd_)
    return Metrics(
        auc=area,
        gini=2 * area - 1,
        ks=metrics.ks(y, pd_),
        brier=metrics.brier(y, pd_),
        n_rows=len(y),
        n_bad=int(y.sum()),
    )


@dataclass(frozen=True, slots=True)
class FoldResult:
    fold: int
    metrics: Metrics
    seconds: float
    n_train: int


@dataclass(frozen=True, slots=True)
class CrossValidation:
    kind: ModelKind
    seed: int
    folds: tuple[FoldResult, ...]
    out_of_fold_pd: FloatArray
    seconds: float

    def summary(self, name: str) -> tuple[float, float]:
        return metrics.mean_sd([getattr(f.metrics, name) for f in self.folds])


def cross_validate(
    table: LabelledTable,
    recipe: Recipe,
    *,
    folds: int = 5,
    seed: int = 42,
    groups: npt.ArrayLike | None = None,
) -> CrossValidation:
    """Stratified K-fold: train on K−1 folds, measure on the one left out, K times. With
    ``groups`` (one per row, e.g. the customer of a monthly observation) a group's rows stay in
    one fold."""
    started = time.perf_counter()
    try:
        splits = (
            metrics.stratified_folds(table.labels, folds, seed=seed)
            if groups is None
            else metrics.grouped_stratified_folds(table.labels, groups, folds, seed=seed)
        )
    except ValueError as error:
        raise LabError(str(error), column=table.target) from error
    oof = np.full(table.n_rows, np.nan)
    results = []
    for number, (train_rows, test_rows) in enumerate(splits, start=1):
        fold_started = time.perf_counter()
        model = recipe.train(table.subset(train_rows))
        oof[test_rows] = model.predict_pd(table.subset(test_rows).features)
        results.append(
            FoldResult(
                number,
                evaluate(table.labels[test_rows], oof[test_rows]),
                time.perf_counter() - fold_started,
                len(train_rows),
            )
        )
    return CrossValidation(recipe.kind, seed, tuple(results), oof, time.perf_counter() - started)


@dataclass(frozen=True, slots=True)
class Stability:
    """PSI of the predicted PD and CSI per feature, development against a recent sample."""

    psi: float
    csi: Mapping[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "psi": self.psi,
            "psi_status": metrics.stability_label(self.psi),
            "csi": dict(self.csi),
        }


def stability(
    model: TrainedModel,
    development: pd.DataFrame,
    recent: pd.DataFrame,
    *,
    categorical: Sequence[str] = (),
) -> Stability:
    """Bins fixed on ``development`` (deciles; one bin per category), applied to ``recent``."""
    score_psi = metrics.psi(model.predict_pd(development), model.predict_pd(recent))
    csi: dict[str, float] = {}
    for name in model.feature_names:
        if name in categorical:
            csi[name] = metrics.categorical_psi(development[name].tolist(), recent[name].tolist())
        else:
            dev = pd.to_numeric(development[name], errors="coerce").to_numpy(dtype=np.float64)
            new = pd.to_numeric(recent[name], errors="coerce").to_numpy(dtype=np.float64)
            csi[name] = metrics.psi(dev, new)
    return Stability(score_psi, csi)


@dataclass(frozen=True, slots=True)
class Backtest:
    """Out of time: trained on the periods before ``first_test_period``, tested on the rest."""

    first_test_period: str
    n_train: int
    metrics: Metrics
    stability: Stability
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "first_test_period": self.first_test_period,
            "n_train": self.n_train,
            **self.metrics.to_dict(),
            "stability": self.stability.to_dict(),
            "seconds": self.seconds,
        }


def out_of_time_backtest(
    table: LabelledTable, recipe: Recipe, *, test_fraction: float = 0.2
) -> Backtest:
    if table.dates is None:
        raise LabError("an out-of-time backtest needs a date column")
    started = time.perf_counter()
    try:
        train_rows, test_rows, first = metrics.out_of_time_split(
            table.dates, test_fraction=test_fraction
        )
    except ValueError as error:
        raise LabError(str(error)) from error
    train, test = table.subset(train_rows), table.subset(test_rows)
    if train.n_bad == 0 or test.n_bad == 0 or train.n_bad == train.n_rows:
        raise LabError(f"the out-of-time split at {first} leaves a side without bads or goods")
    model = recipe.train(train)
    return Backtest(
        first_test_period=str(first),
        n_train=train.n_rows,
        metrics=evaluate(test.labels, model.predict_pd(test.features)),
        stability=stability(model, train.features, test.features, categorical=table.categorical),
        seconds=time.perf_counter() - started,
    )


def calibration_table(
    labels: npt.ArrayLike, pd_: FloatArray, *, n_bands: int = CALIBRATION_BANDS
) -> list[metrics.CalibrationRow]:
    """Calibration by score band: deciles of the predicted PD, band B01 the safest."""
    edges = metrics.quantile_edges(pd_, n_bands)
    return metrics.calibration(labels, pd_, metrics.score_bands(pd_, edges))


def roc_curve(
    labels: npt.ArrayLike, risk: FloatArray, *, points: int = ROC_POINTS
) -> list[tuple[float, float]]:
    """(false positive rate, true positive rate) at ``points`` evenly spaced thresholds."""
    y = np.asarray(labels, dtype=np.float64)
    order = np.argsort(-risk, kind="stable")
    tpr = np.r_[0.0, np.cumsum(y[order]) / y.sum()]
    fpr = np.r_[0.0, np.cumsum(1 - y[order]) / (len(y) - y.sum())]
    take = np.unique(np.linspace(0, len(y), points).round().astype(np.int64))
    return [(float(fpr[i]), float(tpr[i])) for i in take]


def development_distribution(model: TrainedModel, table: LabelledTable) -> dict[str, Any]:
    """The final model's PD on its own training rows (deciles and their shares): the reference
    the registry's drift job measures live scores against."""
    predicted = model.predict_pd(table.features)
    return ScoreDistribution.of(predicted, variable="pd", source="training").to_dict()


def validation_summary(
    table: LabelledTable,
    cv: CrossValidation,
    *,
    backtest: Backtest | None = None,
    recent: Stability | None = None,
) -> dict[str, Any]:
    """The JSON of a validation: the CLI's ``--json`` output and the report's data."""
    auc, auc_sd = cv.summary("auc")
    ks, ks_sd = cv.summary("ks")
    gini, gini_sd = cv.summary("gini")
    brier, brier_sd = cv.summary("brier")
    pooled = evaluate(table.labels, cv.out_of_fold_pd)
    return {
        "kind": str(cv.kind),
        "folds": len(cv.folds),
        "seed": cv.seed,
        "n_rows": table.n_rows,
        "n_bad": table.n_bad,
        "bad_rate": table.bad_rate,
        "auc": auc,
        "auc_sd": auc_sd,
        "ks": ks,
        "ks_sd": ks_sd,
        "gini": gini,
        "gini_sd": gini_sd,
        "brier": brier,
        "brier_sd": brier_sd,
        "seconds": cv.seconds,
        "fold_seconds": [f.seconds for f in cv.folds],
        "per_fold": [{"fold": f.fold, **f.metrics.to_dict()} for f in cv.folds],
        "out_of_fold": pooled.to_dict(),
        "calibration": [
            {
                "band": row.band,
                "count": row.count,
                "bads": row.bads,
                "predicted_pd": row.predicted_pd,
                "observed_rate": row.observed_rate,
                "p_value": row.p_value,
            }
            for row in calibration_table(table.labels, cv.out_of_fold_pd)
        ],
        "roc": roc_curve(table.labels, cv.out_of_fold_pd),
        "backtest": backtest.to_dict() if backtest else None,
        "stability": recent.to_dict() if recent else None,
        "data_hash": table.data_hash,
        "target": table.target,
        "bad_value": table.bad_value,
        "features": {"numeric": list(table.numeric), "categorical": list(table.categorical)},
        "dropped": [{"column": d.column, "reason": d.reason} for d in table.dropped],
    }
