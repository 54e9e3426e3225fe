from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import yaml

from fengkong.scoring.grading import (
    GRADE_CODES,
    MasterScale,
    MasterScaleError,
    RiskLevel,
    grade_scores,
    master_scale_from_dict,
    master_scale_to_dict,
)

Document = dict[str, Any]


def scale_document() -> Document:
    return master_scale_to_dict(MasterScale.default())


def grade_setting(code: str, field: str, value: Any) -> Callable[[Document], None]:
    def change(document: Document) -> None:
        document["grades"][GRADE_CODES.index(code)][field] = value

    return change


def test_the_default_scale_has_the_agreed_cut_offs_pds_and_risk_levels() -> None:
    scale = MasterScale.default()
    assert [(g.code, g.min_score, g.pd, g.risk_level) for g in scale.grades] == [
        ("A", 750, 0.005, RiskLevel.LOW),
        ("B", 650, 0.015, RiskLevel.MEDIUM_LOW),
        ("C", 550, 0.04, RiskLevel.MEDIUM),
        ("D", 450, 0.10, RiskLevel.HIGH),
        ("E", 0, 0.25, RiskLevel.VERY_HIGH),
    ]
    assert scale.grade("C").label_zh == "中风险"
    assert [level.label_zh for level in RiskLevel] == ["低", "中低", "中", "高", "很高"]


def test_a_scale_survives_a_yaml_round_trip() -> None:
    scale = MasterScale.default()
    text = scale.to_yaml()
    assert MasterScale.from_yaml(text) == scale
    assert yaml.safe_load(text) == master_scale_to_dict(scale)


def test_each_cut_off_belongs_to_its_own_grade() -> None:
    scores = [1000, 750, 749.999, 650, 649.999, 550, 549.999, 450, 449.999, 0]
    codes, pds = grade_scores(MasterScale.default(), scores)
    assert codes.tolist() == ["A", "A", "B", "B", "C", "C", "D", "D", "E", "E"]
    np.testing.assert_array_equal(
        pds, [0.005, 0.005, 0.015, 0.015, 0.04, 0.04, 0.1, 0.1, 0.25, 0.25]
    )


def test_a_knock_out_grade_applies_only_when_worse_than_the_points_grade() -> None:
    codes, pds = grade_scores(
        MasterScale.default(),
        [900, 900, 300, 700, 700, 500],
        ["E", "D", "D", None, "", "B"],
    )
    assert codes.tolist() == ["E", "D", "E", "B", "B", "D"]
    np.testing.assert_array_equal(pds, [0.25, 0.1, 0.25, 0.015, 0.015, 0.1])


def test_knock_out_grades_must_match_the_scores_and_be_grades() -> None:
    scale = MasterScale.default()
    with pytest.raises(MasterScaleError, match="2 knock-out grades for 3 scores"):
        grade_scores(scale, [1, 2, 3], ["", ""])
    with pytest.raises(MasterScaleError, match=re.escape("knock-out grade 'F' is not one of A..E")):
        grade_scores(scale, [1], ["F"])
    with pytest.raises(MasterScaleError, match="a score is NaN"):
        grade_scores(scale, [float("nan")])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["grades"].reverse(),
            "grades must be A, B, C, D, E in that order, got E, D, C, B, A",
        ),
        (lambda d: d["grades"].pop(), "grades must be A, B, C, D, E in that order, got A, B, C, D"),
        (
            grade_setting("C", "min_score", 650),
            "grade C: min_score 650 must be below grade B's 650 (cut-offs strictly decrease",
        ),
        (
            grade_setting("E", "min_score", 100),
            "grade E: min_score must be 0 so that every score gets a grade, got 100",
        ),
        (grade_setting("A", "min_score", 1200), "grade A: min_score 1200 is outside 0..1000"),
        (
            grade_setting("D", "pd", 0.03),
            "grade D: pd 0.03 must be above grade C's 0.04 (PDs strictly increase",
        ),
        (grade_setting("A", "pd", 0), "grade A: pd 0 must be between 0 and 1 (exclusive)"),
        (grade_setting("E", "pd", 1), "grade E: pd 1 must be between 0 and 1 (exclusive)"),
        (grade_setting("B", "pd", "1.5%"), "grade B: pd must be a number, got '1.5%'"),
        (
            grade_setting("B", "risk_level", "moderate"),
            "grade B: risk_level 'moderate' is not one of low, medium_low, medium, high, very_high",
        ),
        (
            grade_setting("D", "risk_level", "low"),
            "grade D: risk_level low is lower than grade C's medium",
        ),
        (grade_setting("A", "label_en", ""), "grade A: label_en must be a non-empty string"),
        (
            lambda d: d["grades"][0].update(colour="green"),
            "master scale fengkong-master-scale, grade #1: unknown field colour",
        ),
        (lambda d: d.pop("version"), "master scale: missing version"),
    ],
)
def test_a_malformed_scale_is_refused_with_a_message_naming_the_grade(
    change: Callable[[Document], None], message: str
) -> None:
    document = copy.deepcopy(scale_document())
    change(document)
    with pytest.raises(MasterScaleError, match=re.escape(message)):
        master_scale_from_dict(document)


def test_text_that_is_not_yaml_is_refused() -> None:
    with pytest.raises(MasterScaleError, match="not valid YAML"):
        MasterScale.from_yaml("grades: [")
