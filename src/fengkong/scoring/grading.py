"""The master scale: score cut-offs → grade A–E → risk level and probability of default (PD).

A scale is configuration (principle 6): validated on load, exported as YAML, versioned, and every
stored score names the scale version that graded it. Grading is vectorised so a portfolio of a
million scores is graded in one pass.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib.resources import files
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml

from fengkong.scoring.config import (
    ConfigError,
    check_keys,
    number,
    plain_number,
    text,
    version_text,
)

GRADE_CODES: tuple[str, ...] = ("A", "B", "C", "D", "E")
MAX_SCORE = 1000.0


class MasterScaleError(ConfigError):
    """A master scale is malformed; the message names the grade and the field."""


class RiskLevel(StrEnum):
    """Risk levels from safest to riskiest; their order is the order of the grades."""

    LOW = "low"
    MEDIUM_LOW = "medium_low"
    MEDIUM = "medium"
    HIGH = "high"
    VERY_HIGH = "very_high"

    @property
    def label_zh(self) -> str:
        return _RISK_LEVEL_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _RISK_LEVEL_LABELS[self][1]


_RISK_LEVEL_LABELS: Mapping[RiskLevel, tuple[str, str]] = {
    RiskLevel.LOW: ("低", "low"),
    RiskLevel.MEDIUM_LOW: ("中低", "medium-low"),
    RiskLevel.MEDIUM: ("中", "medium"),
    RiskLevel.HIGH: ("高", "high"),
    RiskLevel.VERY_HIGH: ("很高", "very high"),
}
_RISK_ORDER = {level: rank for rank, level in enumerate(RiskLevel)}


@dataclass(frozen=True, slots=True)
class Grade:
    """One grade: scores at or above ``min_score`` (and below the next better grade's) get it."""

    code: str
    min_score: float
    pd: float
    risk_level: RiskLevel
    label_zh: str
    label_en: str


@dataclass(frozen=True, slots=True)
class MasterScale:
    """Grades A (safest) to E (riskiest), validated on construction."""

    name: str
    version: str
    grades: tuple[Grade, ...]

    def __post_init__(self) -> None:
        _validate(self)

    def grade(self, code: str) -> Grade:
        for grade in self.grades:
            if grade.code == code:
                return grade
        raise MasterScaleError(f"master scale {self.name}: no grade {code!r}")

    @classmethod
    def from_yaml(cls, source: str) -> MasterScale:
        try:
            document = yaml.safe_load(source)
        except yaml.YAMLError as error:
            raise MasterScaleError(f"master scale: not valid YAML: {error}") from error
        return master_scale_from_dict(document)

    def to_yaml(self) -> str:
        return yaml.safe_dump(master_scale_to_dict(self), allow_unicode=True, sort_keys=False)

    @classmethod
    def default(cls) -> MasterScale:
        source = files("fengkong.scoring").joinpath("defaults/master_scale.yaml")
        return cls.from_yaml(source.read_text("utf-8"))


def grade_rank(code: str) -> int:
    """0 for A … 4 for E: a larger rank is a worse grade."""
    return GRADE_CODES.index(code)


def _validate(scale: MasterScale) -> None:
    where = f"master scale {scale.name or '?'}"
    if not scale.name.strip():
        raise MasterScaleError("master scale: name must not be empty")
    if not scale.version.strip():
        raise MasterScaleError(f"{where}: version must not be empty")
    codes = tuple(grade.code for grade in scale.grades)
    if codes != GRADE_CODES:
        raise MasterScaleError(
            f"{where}: grades must be {', '.join(GRADE_CODES)} in that order, "
            f"got {', '.join(codes) or 'none'}"
        )
    for grade in scale.grades:
        here = f"{where}, grade {grade.code}"
        if not (math.isfinite(grade.min_score) and 0 <= grade.min_score <= MAX_SCORE):
            raise MasterScaleError(f"{here}: min_score {grade.min_score:g} is outside 0..1000")
        if not (math.isfinite(grade.pd) and 0 < grade.pd < 1):
            raise MasterScaleError(f"{here}: pd {grade.pd:g} must be between 0 and 1 (exclusive)")
        if not isinstance(grade.risk_level, RiskLevel):
            raise MasterScaleError(f"{here}: risk_level {grade.risk_level!r} is not a risk level")
        if not grade.label_zh.strip() or not grade.label_en.strip():
            raise MasterScaleError(f"{here}: label_zh and label_en must not be empty")
    for better, worse in pairwise(scale.grades):
        here = f"{where}, grade {worse.code}"
        if not worse.min_score < better.min_score:
            raise MasterScaleError(
                f"{here}: min_score {worse.min_score:g} must be below grade {better.code}'s "
                f"{better.min_score:g} (cut-offs strictly decrease from A to E)"
            )
        if not worse.pd > better.pd:
            raise MasterScaleError(
                f"{here}: pd {worse.pd:g} must be above grade {better.code}'s {better.pd:g} "
                "(PDs strictly increase from A to E)"
            )
        if _RISK_ORDER[worse.risk_level] < _RISK_ORDER[better.risk_level]:
            raise MasterScaleError(
                f"{here}: risk_level {worse.risk_level} is lower than grade {better.code}'s "
                f"{better.risk_level}"
            )
    lowest = scale.grades[-1]
    if lowest.min_score != 0:
        raise MasterScaleError(
            f"{where}, grade {lowest.code}: min_score must be 0 so that every score gets a grade, "
            f"got {lowest.min_score:g}"
        )


def grade_scores(
    scale: MasterScale,
    scores: npt.ArrayLike,
    knockout_grades: Sequence[str | None] | npt.NDArray[Any] | None = None,
) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.float64]]:
    """Grade codes and PDs for many scores at once.

    A knock-out grade (``None`` or ``""`` for none) replaces the points grade only when it is
    worse: a knock-out caps a customer's grade, it never improves it.
    """
    values = np.asarray(scores, dtype=np.float64)
    if np.isnan(values).any():
        raise MasterScaleError("grade_scores: a score is NaN")
    # Cut-offs ascending (E, D, …, A); scores below 0 fall into E, at or above A's cut-off into A.
    cutoffs = np.array([grade.min_score for grade in reversed(scale.grades)])
    ascending_index = np.searchsorted(cutoffs, values, side="right") - 1
    rank = (len(GRADE_CODES) - 1) - np.clip(ascending_index, 0, None)
    if knockout_grades is not None:
        knockouts = np.asarray(knockout_grades, dtype=object)
        if knockouts.shape != values.shape:
            raise MasterScaleError(
                f"grade_scores: {knockouts.shape[0]} knock-out grades for {values.shape[0]} scores"
            )
        ranks = {code: grade_rank(code) for code in GRADE_CODES}
        ranks[""] = -1
        try:
            knockout_rank = np.fromiter(
                (ranks[code or ""] for code in knockouts),
                dtype=np.int64,
                count=knockouts.shape[0],
            )
        except KeyError as error:
            raise MasterScaleError(
                f"grade_scores: knock-out grade {error.args[0]!r} is not one of A..E"
            ) from None
        rank = np.maximum(rank, knockout_rank)
    codes = np.array(GRADE_CODES)[rank]
    pds = np.array([grade.pd for grade in scale.grades], dtype=np.float64)[rank]
    return codes, pds


_SCALE_KEYS = frozenset({"name", "version", "grades"})
_GRADE_KEYS = frozenset({"code", "min_score", "pd", "risk_level", "label_zh", "label_en"})


def master_scale_from_dict(document: Any) -> MasterScale:
    """Build a scale from parsed YAML/JSON, naming the grade and field of any problem."""
    error = MasterScaleError
    if not isinstance(document, Mapping):
        raise error("master scale: expected a mapping with name, version and grades")
    check_keys(
        document, required=_SCALE_KEYS, allowed=_SCALE_KEYS, where="master scale", error=error
    )
    name = text(document["name"], "master scale: name", error)
    where = f"master scale {name}"
    raw_grades = document["grades"]
    if not isinstance(raw_grades, list) or not raw_grades:
        raise error(f"{where}: grades must be a non-empty list")
    grades = []
    for position, raw in enumerate(raw_grades, start=1):
        here = f"{where}, grade #{position}"
        if not isinstance(raw, Mapping):
            raise error(f"{here}: expected a mapping")
        check_keys(raw, required=_GRADE_KEYS, allowed=_GRADE_KEYS, where=here, error=error)
        code = text(raw["code"], f"{here}: code", error)
        here = f"{where}, grade {code}"
        try:
            risk_level = RiskLevel(raw["risk_level"])
        except ValueError:
            raise error(
                f"{here}: risk_level {raw['risk_level']!r} is not one of "
                f"{', '.join(level.value for level in RiskLevel)}"
            ) from None
        grades.append(
            Grade(
                code=code,
                min_score=number(raw["min_score"], f"{here}: min_score", error),
                pd=number(raw["pd"], f"{here}: pd", error),
                risk_level=risk_level,
                label_zh=text(raw["label_zh"], f"{here}: label_zh", error),
                label_en=text(raw["label_en"], f"{here}: label_en", error),
            )
        )
    return MasterScale(
        name=name,
        version=version_text(document["version"], f"{where}: version", error),
        grades=tuple(grades),
    )


def master_scale_to_dict(scale: MasterScale) -> dict[str, Any]:
    return {
        "name": scale.name,
        "version": scale.version,
        "grades": [
            {
                "code": grade.code,
                "min_score": plain_number(grade.min_score),
                "pd": grade.pd,
                "risk_level": grade.risk_level.value,
                "label_zh": grade.label_zh,
                "label_en": grade.label_en,
            }
            for grade in scale.grades
        ],
    }
