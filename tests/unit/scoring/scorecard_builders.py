"""A small two-factor scorecard with hand-checkable points, and feature tables for it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import polars as pl

from fengkong.scoring.scorecard import Scorecard, scorecard_from_dict

Document = dict[str, Any]

# Two factors with hand-checkable points, weight × score × 10:
#   debt_to_asset (0.6): < 0.5 → 600, [0.5, 0.8) → 240, ≥ 0.8 → 0, missing → 300
#   current_ratio (0.4): < 1 → 80, ≥ 1 → 400, missing → 240
SMALL: Document = {
    "name": "small",
    "version": "1",
    "description": "two factors for hand-computed cases",
    "factors": [
        {
            "feature": "debt_to_asset",
            "weight": 0.6,
            "missing_score": 50,
            "reason": {
                "zh": "资产负债率 {value} 高于 {threshold}",
                "en": "Debt {value} > {threshold}",
            },
            "bins": [
                {"lower": None, "upper": 0.5, "score": 100},
                {"lower": 0.5, "upper": 0.8, "score": 40},
                {"lower": 0.8, "upper": None, "score": 0},
            ],
        },
        {
            "feature": "current_ratio",
            "weight": 0.4,
            "missing_score": 60,
            "reason": {
                "zh": "流动比率 {value} 低于 {threshold}",
                "en": "Current {value} < {threshold}",
            },
            "bins": [
                {"lower": None, "upper": 1, "score": 20},
                {"lower": 1, "upper": None, "score": 100},
            ],
        },
    ],
    "knockouts": [
        {
            "feature": "enforcement_flag",
            "operator": ">=",
            "value": 1,
            "grade": "D",
            "reason": {"zh": "被执行", "en": "Under enforcement"},
        },
        {
            "feature": "dishonest_debtor_flag",
            "operator": ">=",
            "value": 1,
            "grade": "E",
            "reason": {"zh": "失信被执行人", "en": "Dishonest debtor"},
        },
    ],
}


def small(change: Callable[[Document], None] | None = None) -> Scorecard:
    document = copy.deepcopy(SMALL)
    if change is not None:
        change(document)
    return scorecard_from_dict(document)


def debt_bins(*bins: tuple[float | None, float | None, float]) -> Callable[[Document], None]:
    def change(document: Document) -> None:
        document["factors"][0]["bins"] = [
            {"lower": lower, "upper": upper, "score": score} for lower, upper, score in bins
        ]

    return change


def setting(path: str, value: Any) -> Callable[[Document], None]:
    """Set ``factors.0.weight``-style paths in the document."""

    def change(document: Document) -> None:
        *parents, last = path.split(".")
        target: Any = document
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value

    return change


def table(rows: list[dict[str, float | None]]) -> pl.DataFrame:
    columns = ("debt_to_asset", "current_ratio", "enforcement_flag", "dishonest_debtor_flag")
    return pl.DataFrame(
        {
            "customer_id": list(range(1, len(rows) + 1)),
            **{column: [row.get(column) for row in rows] for column in columns},
        },
        schema={"customer_id": pl.Int64, **dict.fromkeys(columns, pl.Float64)},
    )
