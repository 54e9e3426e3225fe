"""Reason codes: why a customer scored as it did, in words a credit manager can act on.

The adverse reasons are the factors that lost the most points (``weight × 10 × (100 − score)``),
after any knock-out rule that fired. A reason names the value and the edge of the band it fell in
("Debt-to-asset ratio 0.86 is above 0.85"): the edge on the side of the better neighbouring band,
which is where the customer would have to move to earn more points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fengkong.scoring.features.catalogue import FEATURE_SPECS, Unit
from fengkong.scoring.grading import grade_rank
from fengkong.scoring.scorecard import MAX_SCORE, Factor, ScoreBatch, Scorecard

_WHOLE_UNITS = frozenset({Unit.DAYS, Unit.COUNT, Unit.FLAG, Unit.LEVEL, Unit.ANSWER, Unit.YUAN})


@dataclass(frozen=True, slots=True)
class Reason:
    """One adverse reason: ``lost`` is the points the factor fell short of its maximum."""

    code: str
    feature: str
    value: float | None
    points: float
    lost: float
    text_zh: str
    text_en: str


def format_value(feature: str, value: float) -> str:
    """A feature value as shown in reason texts: whole units without decimals, others with two."""
    unit = FEATURE_SPECS[feature].unit
    if unit in _WHOLE_UNITS:
        return f"{value:,.0f}"
    if unit is Unit.YEARS:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _factor_reason(factor: Factor, value: float, points: float, lost: float) -> Reason:
    feature = factor.feature
    if math.isnan(value):
        spec = FEATURE_SPECS[feature]
        return Reason(
            code=f"{feature.upper()}_MISSING",
            feature=feature,
            value=None,
            points=points,
            lost=lost,
            text_zh=f"{spec.label_zh}无数据，按谨慎分值计分",
            text_en=f"{spec.label_en} is not available and is scored cautiously",
        )
    index = factor.bin_index(value)
    bins = factor.bins
    below = bins[index - 1].score if index > 0 else -math.inf
    above = bins[index + 1].score if index + 1 < len(bins) else -math.inf
    # Point at the band's edge facing the better neighbour: a value too high or too low. A
    # validated factor has two bins or more, so the first bin has an upper edge and the last a
    # lower one.
    edges = factor.upper_edges
    if below >= above:
        threshold, direction = float(edges[index - 1]), "HIGH"
    else:
        threshold, direction = float(edges[index]), "LOW"
    text_zh, text_en = factor.reason.render(
        value=format_value(feature, value), threshold=format_value(feature, threshold)
    )
    return Reason(
        code=f"{feature.upper()}_{direction}",
        feature=feature,
        value=value,
        points=points,
        lost=lost,
        text_zh=text_zh,
        text_en=text_en,
    )


def _key(item: tuple[tuple[float, int], Reason]) -> tuple[float, int]:
    return item[0]


def explain(
    scorecard: Scorecard, batch: ScoreBatch, row: int, limit: int = 3
) -> tuple[Reason, ...]:
    """The top adverse reasons of one scored row: knock-outs that fired (worst grade first),
    then the factors that lost points, largest loss first (ties in scorecard order)."""
    knockouts: list[tuple[tuple[int, int], Reason]] = []
    for m, knockout in enumerate(scorecard.knockouts):
        value = float(batch.knockout_values[row, m])
        if knockout.fires(value):
            text_zh, text_en = knockout.reason.render(
                value=format_value(knockout.feature, value),
                threshold=format_value(knockout.feature, knockout.value),
            )
            reason = Reason(
                code=f"KO_{knockout.feature.upper()}",
                feature=knockout.feature,
                value=value,
                points=0.0,
                lost=0.0,
                text_zh=text_zh,
                text_en=text_en,
            )
            knockouts.append(((-grade_rank(knockout.grade), m), reason))
    factors: list[tuple[tuple[float, int], Reason]] = []
    for j, factor in enumerate(scorecard.factors):
        points = float(batch.points[row, j])
        lost = factor.points(MAX_SCORE) - points
        if lost > 0:
            reason = _factor_reason(factor, float(batch.values[row, j]), points, lost)
            factors.append(((-lost, j), reason))
    ranked = [reason for _, reason in sorted(knockouts, key=_key)]
    ranked += [reason for _, reason in sorted(factors, key=_key)]
    return tuple(ranked[:limit])
