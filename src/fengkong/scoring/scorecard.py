"""The expert scorecard: factors → bins → points, configured as data.

A scorecard is a list of factors, each a feature from the catalogue with a weight and bins that
give a score from 0 (riskiest) to 100 (safest); a factor earns ``weight × score × 10`` points, so
with weights summing to 1 the total runs from 0 to 1000, higher is safer. Knock-out rules cap the
grade whatever the points (a dishonest debtor is grade E). Scorecards are validated whenever one
is built, so a scorecard that exists is one that can be trusted to score: bins cover the whole
line without gaps or overlaps, weights sum to 1, every feature is known.

``score_features`` scores a whole feature table at once: one ``searchsorted`` over the bin edges
per factor, no Python loop over customers (docs/performance.md).
"""

from __future__ import annotations

import bisect
import math
import operator as op
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from itertools import pairwise
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt
import polars as pl
import yaml

from fengkong.scoring.config import (
    ConfigError,
    check_keys,
    number,
    optional_number,
    plain_number,
    text,
    version_text,
)
from fengkong.scoring.features.catalogue import FEATURE_NAMES
from fengkong.scoring.grading import GRADE_CODES, grade_rank

Operator = Literal[">=", ">", "<=", "<", "=="]
OPERATORS: tuple[Operator, ...] = get_args(Operator)
_COMPARE: Mapping[str, Callable[[Any, Any], Any]] = {
    ">=": op.ge,
    ">": op.gt,
    "<=": op.le,
    "<": op.lt,
    "==": op.eq,
}
MIN_SCORE, MAX_SCORE = 0.0, 100.0
POINTS_PER_SCORE = 10.0
WEIGHT_TOLERANCE = 1e-9
PLACEHOLDERS = frozenset({"value", "threshold"})
_KNOWN_FEATURES = frozenset(FEATURE_NAMES)


class ScorecardError(ConfigError):
    """A scorecard is malformed, or cannot score a table; the message names factor and field."""


@dataclass(frozen=True, slots=True)
class Texts:
    """A reason template in both languages, with ``{value}`` and ``{threshold}`` placeholders."""

    zh: str
    en: str

    def render(self, *, value: str, threshold: str) -> tuple[str, str]:
        return (
            self.zh.format(value=value, threshold=threshold),
            self.en.format(value=value, threshold=threshold),
        )


@dataclass(frozen=True, slots=True)
class Bin:
    """Values ``lower <= x < upper`` score ``score``; ``None`` is an open end."""

    lower: float | None
    upper: float | None
    score: float


@dataclass(frozen=True, slots=True)
class Factor:
    feature: str
    weight: float
    bins: tuple[Bin, ...]
    missing_score: float
    reason: Texts

    @property
    def edges(self) -> npt.NDArray[np.float64]:
        """The inner bin edges, ascending: bin ``i`` holds ``edges[i-1] <= x < edges[i]``."""
        return np.array([b.upper for b in self.bins[:-1]], dtype=np.float64)

    def points(self, score: float) -> float:
        return self.weight * score * POINTS_PER_SCORE

    @property
    def upper_edges(self) -> tuple[float, ...]:
        """The inner bin edges as plain floats: one customer's explanation bisects them, where
        building a NumPy array per call would cost more than the search."""
        return tuple(float(b.upper) for b in self.bins[:-1] if b.upper is not None)

    def bin_index(self, value: float) -> int:
        return bisect.bisect_right(self.upper_edges, value)


@dataclass(frozen=True, slots=True)
class KnockOut:
    """``feature operator value`` caps the grade at ``grade`` (a missing value never fires)."""

    feature: str
    operator: Operator
    value: float
    grade: str
    reason: Texts

    def fires(self, value: float) -> bool:
        return not math.isnan(value) and bool(_COMPARE[self.operator](value, self.value))


@dataclass(frozen=True, slots=True)
class Scorecard:
    name: str
    version: str
    description: str
    factors: tuple[Factor, ...]
    knockouts: tuple[KnockOut, ...] = ()

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def features(self) -> tuple[str, ...]:
        """The factors' features, in the column order of ``ScoreBatch.points``."""
        return tuple(factor.feature for factor in self.factors)

    def factor(self, feature: str) -> Factor:
        for factor in self.factors:
            if factor.feature == feature:
                return factor
        raise ScorecardError(f"scorecard {self.name}: no factor {feature!r}")

    @classmethod
    def from_yaml(cls, source: str) -> Scorecard:
        try:
            document = yaml.safe_load(source)
        except yaml.YAMLError as error:
            raise ScorecardError(f"scorecard: not valid YAML: {error}") from error
        return scorecard_from_dict(document)

    def to_yaml(self) -> str:
        return yaml.safe_dump(
            scorecard_to_dict(self), allow_unicode=True, sort_keys=False, width=100
        )

    @classmethod
    def default(cls) -> Scorecard:
        """The expert scorecard shipped with Fengkong (documented in docs/scoring.md)."""
        source = files("fengkong.scoring").joinpath("defaults/expert_scorecard.yaml")
        return cls.from_yaml(source.read_text("utf-8"))


def _fmt(value: float | None) -> str:
    return "unbounded" if value is None else f"{value:g}"


def _check_texts(texts: Texts, where: str) -> None:
    for language in ("zh", "en"):
        template = getattr(texts, language)
        if not isinstance(template, str) or not template.strip():
            raise ScorecardError(f"{where}: reason.{language} must be a non-empty string")
        try:
            fields = list(string.Formatter().parse(template))
        except ValueError as error:
            raise ScorecardError(
                f"{where}: reason.{language} is not a valid template: {error}"
            ) from None
        for _literal, name, spec, conversion in fields:
            if name is None:
                continue
            if name not in PLACEHOLDERS or spec or conversion:
                raise ScorecardError(
                    f"{where}: reason.{language} uses {{{name}}}; only {{value}} and "
                    "{threshold} are allowed, without format specs"
                )


def _check_score(score: float, where: str) -> None:
    if not (math.isfinite(score) and MIN_SCORE <= score <= MAX_SCORE):
        raise ScorecardError(f"{where} {score:g} is outside 0..100")


def _check_feature(feature: str, where: str) -> None:
    if feature not in _KNOWN_FEATURES:
        raise ScorecardError(f"{where}: unknown feature {feature!r} (not in the feature catalogue)")


def _validate_bins(factor: Factor, where: str) -> None:
    bins = factor.bins
    if len(bins) < 2:
        raise ScorecardError(f"{where}: needs at least two bins, got {len(bins)}")
    for position, b in enumerate(bins, start=1):
        here = f"{where}, bin {position}"
        for edge_name, edge in (("lower", b.lower), ("upper", b.upper)):
            if edge is not None and not math.isfinite(edge):
                raise ScorecardError(f"{here}: {edge_name} must be a finite number or null")
        _check_score(b.score, f"{here}: score")
        if b.lower is not None and b.upper is not None and not b.lower < b.upper:
            raise ScorecardError(f"{here}: lower {b.lower:g} must be below upper {b.upper:g}")
    if bins[0].lower is not None:
        raise ScorecardError(
            f"{where}, bin 1: the first bin must be open below (lower: null), got {bins[0].lower:g}"
        )
    if bins[-1].upper is not None:
        raise ScorecardError(
            f"{where}, bin {len(bins)}: the last bin must be open above (upper: null), "
            f"got {bins[-1].upper:g}"
        )
    # Order first, so that bins listed out of order are reported as such, not as a gap.
    joints: list[tuple[int, float, float]] = []
    for position, (before, after) in enumerate(pairwise(bins), start=2):
        if before.upper is None:
            raise ScorecardError(
                f"{where}, bin {position - 1}: only the last bin may be open above"
            )
        if after.lower is None:
            raise ScorecardError(f"{where}, bin {position}: only the first bin may be open below")
        if before.lower is not None and after.lower <= before.lower:
            raise ScorecardError(
                f"{where}: bins are not in ascending order: bin {position} starts at "
                f"{after.lower:g}, not above bin {position - 1}'s start {before.lower:g}"
            )
        joints.append((position, before.upper, after.lower))
    for position, upper, lower in joints:
        if lower > upper:
            raise ScorecardError(
                f"{where}: bins leave a gap between {upper:g} and {lower:g} "
                f"(bins {position - 1} and {position})"
            )
        if lower < upper:
            raise ScorecardError(
                f"{where}: bins {position - 1} and {position} overlap between "
                f"{lower:g} and {upper:g}"
            )


def _validate(scorecard: Scorecard) -> None:
    if not scorecard.name.strip():
        raise ScorecardError("scorecard: name must not be empty")
    where = f"scorecard {scorecard.name}"
    if not scorecard.version.strip():
        raise ScorecardError(f"{where}: version must not be empty")
    if not scorecard.factors:
        raise ScorecardError(f"{where}: needs at least one factor")
    seen: set[str] = set()
    for factor in scorecard.factors:
        here = f"factor {factor.feature}"
        _check_feature(factor.feature, here)
        if factor.feature in seen:
            raise ScorecardError(f"{here}: appears twice (one factor per feature)")
        seen.add(factor.feature)
        if not (math.isfinite(factor.weight) and factor.weight > 0):
            raise ScorecardError(f"{here}: weight must be above 0, got {factor.weight:g}")
        _check_score(factor.missing_score, f"{here}: missing_score")
        _validate_bins(factor, here)
        _check_texts(factor.reason, here)
    total = math.fsum(factor.weight for factor in scorecard.factors)
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise ScorecardError(f"{where}: factor weights sum to {total:.12g}, not 1")
    for position, knockout in enumerate(scorecard.knockouts, start=1):
        here = f"knock-out {position} ({knockout.feature})"
        _check_feature(knockout.feature, here)
        if knockout.operator not in OPERATORS:
            raise ScorecardError(
                f"{here}: operator {knockout.operator!r} is not one of {', '.join(OPERATORS)}"
            )
        if not math.isfinite(knockout.value):
            raise ScorecardError(f"{here}: value must be finite, got {knockout.value}")
        if knockout.grade not in GRADE_CODES:
            raise ScorecardError(
                f"{here}: grade {knockout.grade!r} is not one of {', '.join(GRADE_CODES)}"
            )
        _check_texts(knockout.reason, here)


# --- YAML --------------------------------------------------------------------------------------

_SCORECARD_KEYS = frozenset({"name", "version", "description", "factors", "knockouts"})
_FACTOR_KEYS = frozenset({"feature", "weight", "missing_score", "reason", "bins"})
_BIN_KEYS = frozenset({"lower", "upper", "score"})
_KNOCKOUT_KEYS = frozenset({"feature", "operator", "value", "grade", "reason"})
_TEXT_KEYS = frozenset({"zh", "en"})
_E = ScorecardError


def _texts_from(raw: Any, where: str) -> Texts:
    if not isinstance(raw, Mapping):
        raise _E(f"{where}: reason must be a mapping with zh and en")
    check_keys(raw, required=_TEXT_KEYS, allowed=_TEXT_KEYS, where=f"{where}, reason", error=_E)
    return Texts(
        zh=text(raw["zh"], f"{where}: reason.zh", _E), en=text(raw["en"], f"{where}: reason.en", _E)
    )


def _bin_from(raw: Any, where: str) -> Bin:
    if not isinstance(raw, Mapping):
        raise _E(f"{where}: expected a mapping with lower, upper and score")
    check_keys(raw, required=frozenset({"score"}), allowed=_BIN_KEYS, where=where, error=_E)
    return Bin(
        lower=optional_number(raw.get("lower"), f"{where}: lower", _E),
        upper=optional_number(raw.get("upper"), f"{where}: upper", _E),
        score=number(raw["score"], f"{where}: score", _E),
    )


def _factor_from(raw: Any, position: int) -> Factor:
    if not isinstance(raw, Mapping):
        raise _E(f"factor #{position}: expected a mapping")
    feature = text(raw.get("feature"), f"factor #{position}: feature", _E)
    where = f"factor {feature}"
    check_keys(raw, required=_FACTOR_KEYS, allowed=_FACTOR_KEYS, where=where, error=_E)
    raw_bins = raw["bins"]
    if not isinstance(raw_bins, list):
        raise _E(f"{where}: bins must be a list")
    return Factor(
        feature=feature,
        weight=number(raw["weight"], f"{where}: weight", _E),
        bins=tuple(
            _bin_from(b, f"{where}, bin {index}") for index, b in enumerate(raw_bins, start=1)
        ),
        missing_score=number(raw["missing_score"], f"{where}: missing_score", _E),
        reason=_texts_from(raw["reason"], where),
    )


def _knockout_from(raw: Any, position: int) -> KnockOut:
    if not isinstance(raw, Mapping):
        raise _E(f"knock-out {position}: expected a mapping")
    feature = text(raw.get("feature"), f"knock-out {position}: feature", _E)
    where = f"knock-out {position} ({feature})"
    check_keys(raw, required=_KNOCKOUT_KEYS, allowed=_KNOCKOUT_KEYS, where=where, error=_E)
    operator = raw["operator"]
    if operator not in OPERATORS:
        raise _E(f"{where}: operator {operator!r} is not one of {', '.join(OPERATORS)}")
    return KnockOut(
        feature=feature,
        operator=operator,
        value=number(raw["value"], f"{where}: value", _E),
        grade=text(raw["grade"], f"{where}: grade", _E),
        reason=_texts_from(raw["reason"], where),
    )


def scorecard_from_dict(document: Any) -> Scorecard:
    """Build (and so validate) a scorecard from parsed YAML or JSON."""
    if not isinstance(document, Mapping):
        raise _E("scorecard: expected a mapping with name, version and factors")
    required = frozenset({"name", "version", "factors"})
    check_keys(document, required=required, allowed=_SCORECARD_KEYS, where="scorecard", error=_E)
    name = text(document["name"], "scorecard: name", _E)
    where = f"scorecard {name}"
    description = document.get("description") or ""
    if not isinstance(description, str):
        raise _E(f"{where}: description must be a string")
    raw_factors = document["factors"]
    if not isinstance(raw_factors, list):
        raise _E(f"{where}: factors must be a list")
    raw_knockouts = document.get("knockouts") or []
    if not isinstance(raw_knockouts, list):
        raise _E(f"{where}: knockouts must be a list")
    return Scorecard(
        name=name,
        version=version_text(document["version"], f"{where}: version", _E),
        description=description.strip(),
        factors=tuple(_factor_from(raw, i) for i, raw in enumerate(raw_factors, start=1)),
        knockouts=tuple(_knockout_from(raw, i) for i, raw in enumerate(raw_knockouts, start=1)),
    )


def scorecard_to_dict(scorecard: Scorecard) -> dict[str, Any]:
    return {
        "name": scorecard.name,
        "version": scorecard.version,
        "description": scorecard.description,
        "factors": [
            {
                "feature": factor.feature,
                "weight": plain_number(factor.weight),
                "missing_score": plain_number(factor.missing_score),
                "reason": {"zh": factor.reason.zh, "en": factor.reason.en},
                "bins": [
                    {
                        "lower": plain_number(b.lower),
                        "upper": plain_number(b.upper),
                        "score": plain_number(b.score),
                    }
                    for b in factor.bins
                ],
            }
            for factor in scorecard.factors
        ],
        "knockouts": [
            {
                "feature": knockout.feature,
                "operator": knockout.operator,
                "value": plain_number(knockout.value),
                "grade": knockout.grade,
                "reason": {"zh": knockout.reason.zh, "en": knockout.reason.en},
            }
            for knockout in scorecard.knockouts
        ],
    }


# --- Scoring -----------------------------------------------------------------------------------

NO_KNOCKOUT = -1


@dataclass(frozen=True, slots=True, eq=False)
class ScoreBatch:
    """Scores of many customers; row ``i`` of every array is the customer ``customer_id[i]``.

    ``points`` and ``values`` have one column per factor, in ``Scorecard.features`` order; a
    missing value is NaN in ``values`` and earns the factor's ``missing_score``.
    ``knockout_values`` has one column per knock-out rule.
    """

    customer_id: npt.NDArray[np.int64]
    score: npt.NDArray[np.float64]
    points: npt.NDArray[np.float64]
    values: npt.NDArray[np.float64]
    knocked_out_by: npt.NDArray[np.int64]
    knockout_values: npt.NDArray[np.float64] = field(repr=False)
    knockout_grades: npt.NDArray[np.str_] = field(repr=False)

    def __len__(self) -> int:
        return int(self.score.shape[0])


def _matrix(features: pl.DataFrame, names: tuple[str, ...]) -> npt.NDArray[np.float64]:
    """Feature columns as a column-major float64 matrix, NaN for missing (null or NaN alike)."""
    if not names:
        return np.empty((features.height, 0), dtype=np.float64, order="F")
    columns = features.select(pl.col(name).cast(pl.Float64) for name in names)
    return columns.to_numpy(order="fortran", writable=True)


# Up to this many inner edges, counting the edges at or below each value with one branch-free
# comparison per edge beats searchsorted's binary search (about 4× for the usual 4-8 edges,
# docs/performance.md); above it, searchsorted's log(edges) steps win.
_COMPARISON_EDGES = 16


def bin_slots(values: npt.NDArray[np.float64], edges: npt.NDArray[np.float64]) -> npt.NDArray[Any]:
    """The bin of each value, ``searchsorted(edges, value, side="right")``, and for a missing
    (NaN) value one past the last bin: ``len(edges) + 1``, the slot of the missing points."""
    if len(edges) > _COMPARISON_EDGES:
        found = np.searchsorted(edges, values, side="right")
        found[np.isnan(values)] = len(edges) + 1
        return found
    # count(edges <= x) = len(edges) − count(x < edges); NaN is below no edge, so it counts all
    # edges and then one more from isnan: exactly the missing slot.
    flags = np.isnan(values)
    slots = flags.view(np.uint8) + np.uint8(len(edges))
    for edge in edges:
        np.less(values, edge, out=flags)
        slots -= flags.view(np.uint8)
    return slots


def score_features(scorecard: Scorecard, features: pl.DataFrame) -> ScoreBatch:
    """Score every row of a feature table (``customer_id`` + feature columns).

    Vectorised per factor: ``bin_slots`` finds every value's bin at once (lower edges inclusive)
    and the points are read from a small table whose last slot holds the missing points. No
    Python loop runs over rows.
    """
    needed = ("customer_id", *scorecard.features, *(k.feature for k in scorecard.knockouts))
    absent = sorted({name for name in needed if name not in features.columns})
    if absent:
        raise ScorecardError(
            f"scorecard {scorecard.name}: the feature table lacks {', '.join(absent)}"
        )
    rows = features.height
    # Column-major: every factor's values and points are contiguous.
    values = _matrix(features, scorecard.features)
    points = np.empty_like(values, order="F")
    for j, factor in enumerate(scorecard.factors):
        table = np.array(
            [factor.points(b.score) for b in factor.bins] + [factor.points(factor.missing_score)]
        )
        points[:, j] = table[bin_slots(values[:, j], factor.edges)]
    score = points.sum(axis=1)

    knockout_values = _matrix(features, tuple(k.feature for k in scorecard.knockouts))
    knocked_out_by = np.full(rows, NO_KNOCKOUT, dtype=np.int64)
    worst = np.full(rows, -1, dtype=np.int64)
    for m, knockout in enumerate(scorecard.knockouts):
        with np.errstate(invalid="ignore"):
            fired = _COMPARE[knockout.operator](knockout_values[:, m], knockout.value)
        rank = grade_rank(knockout.grade)
        # The worst knock-out wins; among equally bad ones, the first listed.
        takes_over = fired & (rank > worst)
        knocked_out_by[takes_over] = m
        worst[takes_over] = rank
    grades = np.array(["", *(k.grade for k in scorecard.knockouts)])
    return ScoreBatch(
        customer_id=features.get_column("customer_id").cast(pl.Int64).to_numpy(),
        score=score,
        points=points,
        values=values,
        knocked_out_by=knocked_out_by,
        knockout_values=knockout_values,
        knockout_grades=grades[knocked_out_by + 1],
    )
