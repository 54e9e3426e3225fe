"""Golden test: the default scorecard and master scale on a frozen feature table.

Any change to the default scorecard, the master scale or the scoring maths moves these pins; a
deliberate change regenerates them with ``FENGKONG_UPDATE_GOLDEN=1 pytest <this file>`` and the
diff of the golden file is reviewed with the change (docs/scoring.md, "Changing a scorecard").
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import polars as pl

from fengkong.scoring.explain import explain
from fengkong.scoring.grading import MasterScale, grade_scores
from fengkong.scoring.scorecard import NO_KNOCKOUT, Scorecard, score_features

GOLDEN = Path(__file__).parent / "golden"
FEATURES = GOLDEN / "default_scorecard_features.csv"
RESULTS = GOLDEN / "default_scorecard_results.json"


def _results() -> list[dict[str, Any]]:
    card, scale = Scorecard.default(), MasterScale.default()
    table = pl.read_csv(FEATURES, infer_schema=False)
    profiles = table.get_column("profile").to_list()
    features = (
        table.drop("profile").cast(pl.Float64).with_columns(pl.col("customer_id").cast(pl.Int64))
    )
    batch = score_features(card, features)
    grades, pds = grade_scores(scale, batch.score, batch.knockout_grades)
    results = []
    for row, profile in enumerate(profiles):
        knocked_out_by = int(batch.knocked_out_by[row])
        results.append(
            {
                "customer_id": int(batch.customer_id[row]),
                "profile": profile,
                "score": round(float(batch.score[row]), 6),
                "grade": str(grades[row]),
                "pd": float(pds[row]),
                "knocked_out_by": None
                if knocked_out_by == NO_KNOCKOUT
                else card.knockouts[knocked_out_by].feature,
                "points": {
                    feature: round(float(batch.points[row, j]), 6)
                    for j, feature in enumerate(card.features)
                },
                "reasons": [
                    {"code": r.code, "lost": round(r.lost, 6), "zh": r.text_zh, "en": r.text_en}
                    for r in explain(card, batch, row)
                ],
            }
        )
    return results


def test_the_default_scorecard_gives_the_pinned_scores_grades_and_reasons() -> None:
    results = _results()
    if os.environ.get("FENGKONG_UPDATE_GOLDEN") == "1":
        RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", "utf-8")
    assert results == json.loads(RESULTS.read_text("utf-8"))


def test_the_frozen_profiles_rank_from_healthy_to_defaulted() -> None:
    by_profile = {result["profile"]: result for result in _results()}
    assert by_profile["healthy"]["grade"] == "A"
    assert by_profile["defaulted"]["grade"] == "E"
    assert by_profile["healthy_dishonest_debtor"]["grade"] == "E"
    assert by_profile["healthy_under_enforcement"]["grade"] == "D"
    order = ["healthy", "steady", "deteriorating", "defaulted"]
    scores = [by_profile[profile]["score"] for profile in order]
    assert scores == sorted(scores, reverse=True)
    assert {result["grade"] for result in by_profile.values()} == {"A", "B", "C", "D", "E"}
