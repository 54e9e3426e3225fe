"""Scoring live customers with a trained model: the model lab's statistical scorecard or
LightGBM model applied to the feature library's table, as champion or as shadow challenger.

- **Score**: a trained scorecard's points; a LightGBM model's PD on the same points scale
  (``offset + factor · ln(odds of good)``, 600 points at odds 50:1, 20 points to double the odds,
  the lab's default scaling). Higher is safer, as with the expert scorecard, but the range is the
  model's own, not 0..1000.
- **PD**: the model's own probability of default, kept inside (1e-6, 1 − 1e-6).
- **Grade**: the master-scale grade whose PD band holds the PD. A band runs between the geometric
  means of its PD and its neighbours' (the midpoint on the log scale on which PDs of adjacent
  grades are spaced); a PD exactly on a boundary takes the worse grade.
- **Knock-outs**: the active expert scorecard's knock-out rules still apply. They are credit
  policy, not statistics: a dishonest debtor is capped at their grade whatever the model says,
  and the PD rises to at least that grade's master-scale PD.
- **Reasons**: a scorecard's features furthest below their best band's points; a LightGBM
  model's features with the largest contribution towards bad (TreeSHAP, ``pred_contrib``),
  converted to points on the same scale. Knock-outs that fired come first. Factors and reasons
  have the shape the expert scorecard's have, so pages and the API show them alike.

Pure: no database. pandas comes with the lab extra and is imported only when a model scores.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import polars as pl

from fengkong.scoring.explain import Reason, explain, format_value
from fengkong.scoring.features.catalogue import FEATURE_NAMES, FEATURE_SPECS
from fengkong.scoring.grading import GRADE_CODES, MasterScale, grade_rank
from fengkong.scoring.scorecard import ScoreBatch, Scorecard

if TYPE_CHECKING:
    from fengkong.scoring.lab.gbm import TrainedGbm
    from fengkong.scoring.lab.scorecard import TrainedScorecard

    TrainedModel = TrainedScorecard | TrainedGbm

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

PD_FLOOR = 1e-6
BASE_POINTS, BASE_ODDS, PDO = 600.0, 50.0, 20.0
_FACTOR = PDO / math.log(2)
_OFFSET = BASE_POINTS - _FACTOR * math.log(BASE_ODDS)
_NO_BIN = -1


class TrainedScoringError(ValueError):
    """A trained model cannot score the feature table (a feature outside the library)."""


def unknown_features(features: Sequence[str]) -> list[str]:
    """The model features the feature library does not compute: such a model cannot score
    live customers."""
    known = frozenset(FEATURE_NAMES)
    return [name for name in features if name not in known]


def pd_boundaries(scale: MasterScale) -> FloatArray:
    """The PD between each pair of adjacent grades: the geometric mean of their PDs."""
    pds = np.array([grade.pd for grade in scale.grades], dtype=np.float64)
    return np.sqrt(pds[:-1] * pds[1:])


def grade_ranks_by_pd(scale: MasterScale, pds: npt.ArrayLike) -> IntArray:
    """0 (A) … 4 (E) for each PD: the grade whose band holds it, the worse one on a boundary."""
    values = np.asarray(pds, dtype=np.float64)
    return np.searchsorted(pd_boundaries(scale), values, side="right").astype(np.int64)


def score_from_pd(pds: FloatArray) -> FloatArray:
    """Points for a PD on the lab's default scale: 600 at odds 50:1, 20 more per doubling."""
    return _OFFSET + _FACTOR * np.log((1.0 - pds) / pds)


@dataclass(frozen=True, slots=True)
class _FeatureBands:
    """A trained scorecard feature's bin labels, its best bin and whether bin ``i`` lies above
    the best one on the number line (then a value is "too high")."""

    labels: tuple[str, ...]
    best: int
    above_best: tuple[bool, ...]


@dataclass(frozen=True, slots=True, eq=False)
class TrainedScores:
    """A trained model's verdict on every row of a feature table; row ``i`` of every array is
    customer ``customer_id[i]``, column ``j`` of the matrices is ``features[j]``.

    ``points`` is what each feature earned (scorecard) or added to the score (LightGBM,
    negative when it pushed towards bad); ``lost`` is what it cost against its best band
    (scorecard) or towards bad (LightGBM), never negative.
    """

    kind: str
    customer_id: IntArray
    score: FloatArray
    pd: FloatArray
    grade: npt.NDArray[np.str_]
    knocked_out_by: IntArray
    """The expert scorecard's knock-out rule that fired (``NO_KNOCKOUT`` for none)."""
    features: tuple[str, ...]
    values: FloatArray
    points: FloatArray
    lost: FloatArray
    best_points: FloatArray | None
    worst_points: FloatArray | None
    bins: IntArray
    bands: tuple[_FeatureBands, ...]

    def __len__(self) -> int:
        return int(self.score.shape[0])

    def explained(
        self, row: int, scorecard: Scorecard, expert: ScoreBatch, *, top: int = 3
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Row ``row``'s factors and its ``top`` reasons, as stored with a risk score."""
        factor_reasons: dict[str, Reason] = {}
        for j, feature in enumerate(self.features):
            lost = float(self.lost[row, j])
            if lost > 0:
                factor_reasons[feature] = self._reason(row, j, lost)
        factors = [self._factor(row, j, factor_reasons.get(f)) for j, f in enumerate(self.features)]
        knockouts = [
            reason
            for reason in explain(scorecard, expert, row, limit=len(scorecard.knockouts))
            if reason.code.startswith("KO_")
        ]
        order = sorted(
            factor_reasons, key=lambda f: (-factor_reasons[f].lost, self.features.index(f))
        )
        ranked = [*knockouts, *(factor_reasons[feature] for feature in order)]
        return factors, [asdict(reason) for reason in ranked[:top]]

    def _value(self, row: int, j: int) -> float | None:
        value = float(self.values[row, j])
        return None if math.isnan(value) else value

    def _factor(self, row: int, j: int, reason: Reason | None) -> dict[str, Any]:
        points = float(self.points[row, j])
        if self.best_points is not None and self.worst_points is not None:
            best, worst = float(self.best_points[j]), float(self.worst_points[j])
            score = 100.0 if best == worst else 100.0 * (points - worst) / (best - worst)
            weight = best / 1000.0  # the page shows "points of weight × 1000" = of the best
        else:
            score, weight = 0.0, 0.0
        return {
            "feature": self.features[j],
            "value": self._value(row, j),
            "score": score,
            "points": points,
            "weight": weight,
            "reason_code": reason.code if reason else None,
            "reason_zh": reason.text_zh if reason else None,
            "reason_en": reason.text_en if reason else None,
        }

    def _reason(self, row: int, j: int, lost: float) -> Reason:
        feature = self.features[j]
        spec = FEATURE_SPECS[feature]
        value = self._value(row, j)
        points = float(self.points[row, j])
        cost = f"{lost:.1f}"
        if value is None:
            code = f"{feature.upper()}_MISSING"
            if self.kind == "scorecard":
                text_zh = f"{spec.label_zh}无数据，按缺失值区间计分，比最佳区间少 {cost} 分"
                text_en = (
                    f"{spec.label_en} is not available and scores as missing, "
                    f"{cost} points below its best band"
                )
            else:
                text_zh = f"{spec.label_zh}无数据，使违约概率上升（减 {cost} 分）"
                text_en = (
                    f"{spec.label_en} is not available, which raises the probability of default "
                    f"({cost} points off the score)"
                )
        elif self.kind == "scorecard":
            bands = self.bands[j]
            index = int(self.bins[row, j])
            code = f"{feature.upper()}_{'HIGH' if bands.above_best[index] else 'LOW'}"
            shown = format_value(feature, value)
            band = bands.labels[index]
            text_zh = f"{spec.label_zh} {shown} 落在区间 {band}，比最佳区间少 {cost} 分"
            text_en = f"{spec.label_en} {shown} falls in band {band}, {cost} points below its best"
        else:
            code = f"{feature.upper()}_ADVERSE"
            shown = format_value(feature, value)
            text_zh = f"{spec.label_zh} {shown} 使违约概率上升（减 {cost} 分）"
            text_en = (
                f"{spec.label_en} {shown} raises the probability of default "
                f"({cost} points off the score)"
            )
        return Reason(
            code=code,
            feature=feature,
            value=value,
            points=points,
            lost=lost,
            text_zh=text_zh,
            text_en=text_en,
        )


def _probabilities(predicted: npt.ArrayLike) -> FloatArray:
    return np.clip(np.asarray(predicted, dtype=np.float64), PD_FLOOR, 1.0 - PD_FLOOR)


def score_trained(
    model: TrainedModel, features: pl.DataFrame, scale: MasterScale, expert: ScoreBatch
) -> TrainedScores:
    """Score every row of ``features`` (``customer_id`` + the library's columns) with ``model``,
    grading by PD on ``scale``; ``expert`` is the same table scored by the active expert
    scorecard, whose knock-outs apply."""
    import pandas as pd

    names = tuple(model.feature_names)
    unknown = unknown_features(names)
    if unknown:
        raise TrainedScoringError(
            f"the model needs {', '.join(unknown)}, which the feature library does not compute"
        )
    frame = pd.DataFrame(
        {name: features.get_column(name).cast(pl.Float64).to_numpy() for name in names}
    )
    values = np.column_stack([frame[name].to_numpy(dtype=np.float64) for name in names])
    rows = len(frame)
    bins = np.full((rows, len(names)), _NO_BIN, dtype=np.int64)
    bands: tuple[_FeatureBands, ...] = ()
    best_points: FloatArray | None = None
    worst_points: FloatArray | None = None
    if model.kind == "scorecard":
        from fengkong.scoring.lab.scorecard import bin_index

        points = np.empty((rows, len(names)), dtype=np.float64)
        best_points = np.empty(len(names), dtype=np.float64)
        worst_points = np.empty(len(names), dtype=np.float64)
        band_list = []
        for j, feature in enumerate(model.features):
            table = np.array([b.points for b in feature.bins], dtype=np.float64)
            bins[:, j] = bin_index(feature, frame[feature.name], model.special_codes)
            points[:, j] = table[bins[:, j]]
            best_points[j], worst_points[j] = table.max(), table.min()
            best = int(np.argmax(table))
            band_list.append(
                _FeatureBands(
                    labels=tuple(b.label for b in feature.bins),
                    best=best,
                    above_best=tuple(i > best for i in range(len(feature.bins))),
                )
            )
        bands = tuple(band_list)
        lost = best_points[np.newaxis, :] - points
        score = points.sum(axis=1)
        pds = _probabilities(model.predict_pd(frame))
    else:
        contributions = model.contributions(frame)[:, :-1] * _FACTOR
        points = -contributions
        lost = np.clip(contributions, 0.0, None)
        pds = _probabilities(model.predict_pd(frame))
        score = score_from_pd(pds)
    pd_rank = grade_ranks_by_pd(scale, pds)
    ranks = {"": -1, **{code: grade_rank(code) for code in GRADE_CODES}}
    knockout_rank = np.fromiter(
        (ranks[str(code)] for code in expert.knockout_grades), dtype=np.int64, count=rows
    )
    capped = knockout_rank > pd_rank
    rank = np.maximum(pd_rank, knockout_rank)
    grade_pds = np.array([grade.pd for grade in scale.grades], dtype=np.float64)
    pds = np.where(capped, np.maximum(pds, grade_pds[rank]), pds)
    return TrainedScores(
        kind=model.kind,
        customer_id=features.get_column("customer_id").cast(pl.Int64).to_numpy(),
        score=np.asarray(score, dtype=np.float64),
        pd=pds,
        grade=np.array(GRADE_CODES)[rank],
        knocked_out_by=expert.knocked_out_by,
        features=names,
        values=values,
        points=points,
        lost=lost,
        best_points=best_points,
        worst_points=worst_points,
        bins=bins,
        bands=bands,
    )
