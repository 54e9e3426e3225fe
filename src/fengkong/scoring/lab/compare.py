"""Champion against challenger on the same labelled rows: discrimination, calibration by grade,
how far the two agree, and whether the AUC difference is more than noise.

Both models score every row; nothing is trained here. A PSI between the two score distributions
would say nothing (two models may rank alike on different scales), so the comparison is of
outcomes and rankings instead: AUC, Gini, KS and Brier of each with the challenger's deltas, the
DeLong test of the two correlated AUCs, Spearman's rank correlation, both ROC curves, calibration
by grade of the master scale (predicted PD against observed default rate, binomial test) and the
grade migration from the champion's grade to the challenger's.

The expert scorecard takes part through :class:`ExpertModel` (its points, knock-outs and the
master scale), so the usual first comparison — the configured scorecard against a trained
challenger — runs on a table with the feature library's columns.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd
import polars as pl
from scipy import stats

from fengkong.scoring.grading import GRADE_CODES, MasterScale, grade_rank, grade_scores
from fengkong.scoring.lab import metrics
from fengkong.scoring.lab.data import FloatArray, LabError
from fengkong.scoring.lab.validation import roc_curve
from fengkong.scoring.scorecard import Scorecard, score_features
from fengkong.scoring.trained_scoring import grade_ranks_by_pd

METRICS = ("auc", "gini", "ks", "brier")


class ComparedModel(Protocol):
    """What a model needs to be compared: a PD per row and a risk ranking (higher = riskier;
    the PD itself for the trained kinds)."""

    @property
    def kind(self) -> str: ...

    @property
    def feature_names(self) -> tuple[str, ...]: ...

    def predict_pd(self, frame: pd.DataFrame) -> FloatArray: ...

    def risk(self, frame: pd.DataFrame) -> FloatArray: ...


@dataclass(frozen=True, slots=True)
class ExpertModel:
    """The configured expert scorecard seen as a model: its PD is its grade's (knock-outs cap
    the grade), its risk ranking the grade first and the points within a grade."""

    scorecard: Scorecard
    scale: MasterScale
    kind: str = "expert"

    @property
    def feature_names(self) -> tuple[str, ...]:
        knockouts = tuple(k.feature for k in self.scorecard.knockouts)
        return tuple(dict.fromkeys((*self.scorecard.features, *knockouts)))

    def _graded(self, frame: pd.DataFrame) -> tuple[FloatArray, npt.NDArray[Any], FloatArray]:
        missing = [name for name in self.feature_names if name not in frame.columns]
        if missing:
            raise LabError(f"column {missing[0]!r} is missing", column=missing[0])
        columns: dict[str, Any] = {"customer_id": np.arange(len(frame), dtype=np.int64)}
        for name in self.feature_names:
            columns[name] = pd.to_numeric(frame[name], errors="coerce").to_numpy(np.float64)
        batch = score_features(self.scorecard, pl.DataFrame(columns))
        codes, pds = grade_scores(self.scale, batch.score, batch.knockout_grades)
        return batch.score, codes, pds

    def predict_pd(self, frame: pd.DataFrame) -> FloatArray:
        return self._graded(frame)[2]

    def grades(self, frame: pd.DataFrame) -> npt.NDArray[Any]:
        return self._graded(frame)[1]

    def risk(self, frame: pd.DataFrame) -> FloatArray:
        score, codes, _ = self._graded(frame)
        ranks = np.array([grade_rank(str(code)) for code in codes], dtype=np.float64)
        # A worse grade is always riskier; within a grade, fewer points is riskier.
        spread = float(np.abs(score).max()) + 1.0 if len(score) else 1.0
        return np.asarray(ranks * spread - score, dtype=np.float64)


def grades_from_pd(scale: MasterScale, pd_: npt.ArrayLike) -> npt.NDArray[Any]:
    """The master-scale grade of each PD as live scoring grades a trained model: the grade whose
    PD is nearest on the log scale (cut-offs at the geometric means of adjacent grades' PDs)."""
    return np.array(GRADE_CODES, dtype=object)[grade_ranks_by_pd(scale, pd_)]


@dataclass(frozen=True, slots=True)
class Scored:
    """One model's predictions on the compared rows."""

    label: str
    kind: str
    pd: FloatArray
    risk: FloatArray
    grades: npt.NDArray[Any]


def score_model(
    label: str, model: ComparedModel, frame: pd.DataFrame, scale: MasterScale
) -> Scored:
    pd_ = np.asarray(model.predict_pd(frame), dtype=np.float64)
    risk = np.asarray(model.risk(frame), dtype=np.float64)
    grades = model.grades(frame) if isinstance(model, ExpertModel) else grades_from_pd(scale, pd_)
    return Scored(label, model.kind, pd_, risk, np.asarray(grades, dtype=object))


def delong(labels: npt.ArrayLike, risk_a: FloatArray, risk_b: FloatArray) -> tuple[float, float]:
    """DeLong's test of two correlated AUCs on the same rows: (z, two-sided p-value).

    The fast algorithm of Sun and Xu (2014): the AUCs' structural components from mid-ranks,
    their covariance over bads and goods. Identical rankings give z = 0, p = 1.
    """
    y = np.asarray(labels, dtype=np.float64)
    bads, goods = y == 1, y == 0
    m, n = int(bads.sum()), int(goods.sum())
    if m < 2 or n < 2:
        raise ValueError("the DeLong test needs at least two bad and two good rows")
    scores = np.vstack([risk_a, risk_b])
    positive, negative = scores[:, bads], scores[:, goods]
    tx = np.vstack([stats.rankdata(row) for row in positive])
    ty = np.vstack([stats.rankdata(row) for row in negative])
    tz = np.vstack([stats.rankdata(row) for row in np.hstack([positive, negative])])
    v01 = (tz[:, :m] - tx) / n
    v10 = 1.0 - (tz[:, m:] - ty) / m
    covariance = np.cov(v01) / m + np.cov(v10) / n
    aucs = v01.mean(axis=1)
    variance = covariance[0, 0] + covariance[1, 1] - 2 * covariance[0, 1]
    if variance <= 1e-15:
        return 0.0, 1.0
    z = float((aucs[1] - aucs[0]) / math.sqrt(variance))
    return z, float(2 * stats.norm.sf(abs(z)))


def _side(labels: npt.NDArray[np.int8], scored: Scored) -> dict[str, Any]:
    area = metrics.auc(labels, scored.risk)
    calibration = metrics.calibration(labels, scored.pd, scored.grades)
    calibration.sort(key=lambda row: grade_rank(row.band))
    counts = Counter(str(code) for code in scored.grades.tolist())
    return {
        "label": scored.label,
        "kind": scored.kind,
        "auc": area,
        "gini": 2 * area - 1,
        "ks": metrics.ks(labels, scored.risk),
        "brier": metrics.brier(labels, scored.pd),
        "mean_pd": float(scored.pd.mean()),
        "grades": {code: counts.get(code, 0) for code in GRADE_CODES},
        "calibration": [
            {
                "grade": row.band,
                "count": row.count,
                "bads": row.bads,
                "predicted_pd": row.predicted_pd,
                "observed_rate": row.observed_rate,
                "p_value": row.p_value,
            }
            for row in calibration
        ],
        "roc": roc_curve(labels, scored.risk),
    }


def compare(
    labels: npt.ArrayLike,
    champion: Scored,
    challenger: Scored,
    *,
    facts: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The comparison as JSON: each side's metrics, ROC and calibration by grade, the
    challenger's deltas, the DeLong test, Spearman's rank correlation and the grade migration.
    ``facts`` (the data's size, hash, target) are copied in."""
    y = np.asarray(labels, dtype=np.int8)
    if len(y) != len(champion.pd) or len(y) != len(challenger.pd):
        raise LabError("both models must score every row of the table")
    if y.sum() in (0, len(y)):
        raise LabError("a comparison needs both bad and good rows")
    first, second = _side(y, champion), _side(y, challenger)
    z, p_value = delong(y, champion.risk, challenger.risk)
    rho = stats.spearmanr(champion.risk, challenger.risk).statistic
    # Rows by champion grade, then by challenger grade.
    migration = {code: dict.fromkeys(GRADE_CODES, 0) for code in GRADE_CODES}
    for before, after in zip(champion.grades.tolist(), challenger.grades.tolist(), strict=True):
        migration[str(before)][str(after)] += 1
    ranks_before = np.array([grade_rank(str(g)) for g in champion.grades], dtype=np.int64)
    ranks_after = np.array([grade_rank(str(g)) for g in challenger.grades], dtype=np.int64)
    return {
        **dict(facts or {}),
        "n_rows": len(y),
        "n_bad": int(y.sum()),
        "bad_rate": float(y.mean()),
        "champion": first,
        "challenger": second,
        "deltas": {name: second[name] - first[name] for name in METRICS},
        "delong": {"z": z, "p_value": p_value},
        "rank_correlation": float(rho) if np.isfinite(rho) else None,
        "grade_migration": migration,
        "upgraded": float((ranks_after < ranks_before).mean()),
        "downgraded": float((ranks_after > ranks_before).mean()),
    }
