"""The statistical scorecard: optimal binning → WOE → IV selection → logistic regression → points.

optbinning finds the cut points (monotonic event rates for numeric features where the data allow:
``auto_asc_desc``; categories grouped by event rate); everything after that is done here over a
plain table of bins, so a trained scorecard is data (JSON, YAML, an Excel sheet, a SQL ``CASE``)
that scores without optbinning, scikit-learn or pickle.

Conventions:
- WOE = ln(share of goods / share of bads) in a bin: positive is safer than average. A bin
  without goods or without bads gets 0.5 added to both counts (otherwise WOE is infinite); an
  empty bin (no missing values seen, an unseen category) has WOE 0, i.e. average risk.
- The logistic regression predicts ln(odds of bad) = b0 + Σ bᵢ·WOEᵢ, so sensible coefficients
  are negative; a feature whose coefficient comes out positive (a sign flipped by correlation)
  is dropped and the model refitted.
- Points: score = offset + factor·ln(odds of good), factor = PDO / ln 2 and
  offset = base_points − factor·ln(base_odds): by default 600 points at odds 50:1 and 20 points
  to double the odds. The intercept is spread evenly over the features, and each bin's points
  are rounded half-up to 2 decimals; the score is the sum of the rounded points, so Python, the
  exported table and the SQL expression give the same number.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from fengkong.scoring.lab.data import FloatArray, IntArray, LabelledTable, LabError

BinKind = Literal["interval", "categories", "special", "missing", "other"]
FeatureType = Literal["numeric", "categorical"]
FORMAT_VERSION = 1
_SMOOTHING = 0.5


@dataclass(frozen=True, slots=True)
class ScorecardSettings:
    """How a scorecard is trained and scaled; every field has the issue's default."""

    base_points: float = 600.0
    base_odds: float = 50.0
    pdo: float = 20.0
    min_iv: float = 0.02
    max_correlation: float = 0.7
    numeric_trend: str = "auto_asc_desc"
    max_n_prebins: int = 20
    min_prebin_size: float = 0.05
    regularisation_c: float = 1.0

    def __post_init__(self) -> None:
        if self.pdo <= 0 or self.base_odds <= 0:
            raise LabError("pdo and base_odds must be positive")
        if self.min_iv < 0:
            raise LabError("min_iv must not be negative")
        if not 0 < self.max_correlation <= 1:
            raise LabError("max_correlation must lie in (0, 1]")

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2)

    @property
    def offset(self) -> float:
        return self.base_points - self.factor * math.log(self.base_odds)


@dataclass(frozen=True, slots=True)
class ScorecardBin:
    """Rows with ``lower <= x < upper`` (an interval) or one of ``categories`` earn ``points``."""

    kind: BinKind
    label: str
    count: int
    bads: int
    woe: float
    iv: float
    points: float
    lower: float | None = None
    upper: float | None = None
    categories: tuple[str, ...] = ()

    @property
    def event_rate(self) -> float:
        return self.bads / self.count if self.count else 0.0


@dataclass(frozen=True, slots=True)
class ScorecardFeature:
    name: str
    type: FeatureType
    iv: float
    coefficient: float
    bins: tuple[ScorecardBin, ...]


@dataclass(frozen=True, slots=True)
class FeatureSelection:
    """Why a candidate feature is in or out: the audit trail of the selection."""

    feature: str
    iv: float
    selected: bool
    reason: str


@dataclass(frozen=True, slots=True)
class TrainedScorecard:
    features: tuple[ScorecardFeature, ...]
    intercept: float
    settings: ScorecardSettings
    special_codes: tuple[float, ...] = ()
    selection: tuple[FeatureSelection, ...] = ()
    target: str = ""
    bad_value: str = ""
    data_hash: str = ""
    n_rows: int = 0
    bad_rate: float = 0.0
    seconds: float = field(default=0.0, compare=False)

    kind: Literal["scorecard"] = "scorecard"

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(feature.name for feature in self.features)

    def score(self, frame: pd.DataFrame) -> FloatArray:
        """Points per row (higher is safer), summed feature by feature in order."""
        total = np.zeros(len(frame), dtype=np.float64)
        for feature in self.features:
            if feature.name not in frame.columns:
                raise LabError(f"column {feature.name!r} is missing", column=feature.name)
            points = np.array([b.points for b in feature.bins], dtype=np.float64)
            total += points[bin_index(feature, frame[feature.name], self.special_codes)]
        return total

    def predict_pd(self, frame: pd.DataFrame) -> FloatArray:
        return pd_from_score(self.score(frame), self.settings)

    def risk(self, frame: pd.DataFrame) -> FloatArray:
        return self.predict_pd(frame)

    def reason_codes(self, frame: pd.DataFrame, *, top: int = 3) -> list[list[tuple[str, float]]]:
        """Per row, the features that cost the most points against their best bin."""
        gaps = []
        for feature in self.features:
            points = np.array([b.points for b in feature.bins], dtype=np.float64)
            earned = points[bin_index(feature, frame[feature.name], self.special_codes)]
            gaps.append(points.max() - earned)
        matrix = np.column_stack(gaps)
        names = self.feature_names
        result = []
        for row in matrix:
            order = np.argsort(-row, kind="stable")[:top]
            result.append([(names[i], float(row[i])) for i in order if row[i] > 0])
        return result


def pd_from_score(score: FloatArray, settings: ScorecardSettings) -> FloatArray:
    log_odds_bad = (settings.offset - score) / settings.factor
    return 1.0 / (1.0 + np.exp(-log_odds_bad))


def bin_index(
    feature: ScorecardFeature, values: pd.Series | npt.ArrayLike, special_codes: Sequence[float]
) -> IntArray:
    """The position in ``feature.bins`` of every value (pure NumPy, no optbinning)."""
    kinds = [b.kind for b in feature.bins]
    missing_at = kinds.index("missing")
    if feature.type == "numeric":
        x = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=np.float64)
        uppers = np.array(
            [b.upper for b in feature.bins if b.kind == "interval" and b.upper is not None]
        )
        index = np.asarray(np.searchsorted(uppers, x, side="right"), dtype=np.int64)
        index[np.isnan(x)] = missing_at
        if special_codes:
            index[np.isin(x, np.asarray(special_codes))] = kinds.index("special")
        return index
    series = pd.Series(values, dtype="object").reset_index(drop=True)
    lookup = {
        category: i
        for i, b in enumerate(feature.bins)
        if b.kind == "categories"
        for category in b.categories
    }
    missing = series.isna().to_numpy()
    mapped = series.astype("str").map(lookup).to_numpy(dtype=np.float64, na_value=np.nan)
    out = np.where(np.isnan(mapped), kinds.index("other"), mapped).astype(np.int64)
    out[missing] = missing_at
    return out


def train_scorecard(
    table: LabelledTable, settings: ScorecardSettings | None = None
) -> TrainedScorecard:
    """Bin, select, fit and scale a scorecard on ``table`` (see the module docstring)."""
    from optbinning import BinningProcess
    from sklearn.linear_model import LogisticRegression

    settings = settings or ScorecardSettings()
    started = time.perf_counter()
    y = table.labels.astype(np.int64)
    names = list(table.columns)
    fit_params: dict[str, dict[str, Any]] = {}
    for name in table.numeric:
        params: dict[str, Any] = {"monotonic_trend": settings.numeric_trend}
        if table.special_codes:
            params["special_codes"] = list(table.special_codes)
        fit_params[name] = params
    process = BinningProcess(
        variable_names=names,
        categorical_variables=list(table.categorical) or None,
        max_n_prebins=settings.max_n_prebins,
        min_prebin_size=settings.min_prebin_size,
        binning_fit_params=fit_params,
        n_jobs=1,
    )
    with warnings.catch_warnings():
        # optbinning 1.0 still uses pandas idioms that pandas 3 deprecates; not ours to fix.
        warnings.filterwarnings("ignore", module="optbinning")
        process.fit(table.features, y)

    candidates: dict[str, tuple[ScorecardFeature, IntArray]] = {}
    for name in names:
        feature_type: FeatureType = "numeric" if name in table.numeric else "categorical"
        skeleton = _skeleton(name, feature_type, process.get_binned_variable(name), table)
        index = bin_index(skeleton, table.features[name], table.special_codes)
        candidates[name] = (_with_counts(skeleton, index, y), index)

    selection: dict[str, FeatureSelection] = {}
    ranked = sorted(candidates, key=lambda n: -candidates[n][0].iv)
    woe: dict[str, FloatArray] = {}
    kept: list[str] = []
    for name in ranked:
        feature, index = candidates[name]
        if feature.iv < settings.min_iv:
            selection[name] = FeatureSelection(name, feature.iv, False, "IV below minimum")
            continue
        column = np.array([b.woe for b in feature.bins])[index]
        partner = _correlated(column, kept, woe, settings.max_correlation)
        if partner is not None:
            selection[name] = FeatureSelection(
                name, feature.iv, False, f"correlated with {partner} (higher IV)"
            )
            continue
        woe[name] = column
        kept.append(name)
    if not kept:
        best = ranked[0]
        raise LabError(
            f"no feature reaches the minimum IV {settings.min_iv} "
            f"(best: {best} with {candidates[best][0].iv:.4f})",
            column=best,
        )

    while True:
        model = LogisticRegression(C=settings.regularisation_c, solver="lbfgs", max_iter=1000)
        model.fit(np.column_stack([woe[n] for n in kept]), y)
        coefficients = model.coef_[0]
        flipped = [n for n, c in zip(kept, coefficients, strict=True) if c > 0]
        if not flipped or len(kept) == 1:
            break
        worst = max(flipped, key=lambda n: coefficients[kept.index(n)])
        selection[worst] = FeatureSelection(
            worst, candidates[worst][0].iv, False, "coefficient of the wrong sign"
        )
        kept.remove(worst)
    intercept = float(model.intercept_[0])
    features = tuple(
        _scaled(candidates[name][0], float(coef), intercept, len(kept), settings)
        for name, coef in zip(kept, coefficients, strict=True)
    )
    for feature in features:
        selection[feature.name] = FeatureSelection(feature.name, feature.iv, True, "selected")
    return TrainedScorecard(
        features=features,
        intercept=intercept,
        settings=settings,
        special_codes=table.special_codes,
        selection=tuple(selection[name] for name in ranked),
        target=table.target,
        bad_value=table.bad_value,
        data_hash=table.data_hash,
        n_rows=table.n_rows,
        bad_rate=table.bad_rate,
        seconds=time.perf_counter() - started,
    )


def _skeleton(
    name: str, feature_type: FeatureType, binning: Any, table: LabelledTable
) -> ScorecardFeature:
    """Bins from optbinning's splits, without counts yet."""
    bins: list[ScorecardBin] = []
    if feature_type == "numeric":
        edges = [None, *(float(s) for s in binning.splits), None]
        for lower, upper in pairwise(edges):
            bins.append(_empty("interval", _interval_label(lower, upper), lower, upper))
        codes = ", ".join(_number_text(code) for code in table.special_codes)
        bins.append(_empty("special", f"special ({codes})" if codes else "special"))
        bins.append(_empty("missing", "missing"))
    else:
        for group in binning.splits:
            categories = tuple(sorted(str(value) for value in group))
            bins.append(_empty("categories", ", ".join(categories), categories=categories))
        bins.append(_empty("missing", "missing"))
        bins.append(_empty("other", "other (unseen)"))
    return ScorecardFeature(name, feature_type, 0.0, 0.0, tuple(bins))


def _empty(
    kind: BinKind,
    label: str,
    lower: float | None = None,
    upper: float | None = None,
    categories: tuple[str, ...] = (),
) -> ScorecardBin:
    return ScorecardBin(kind, label, 0, 0, 0.0, 0.0, 0.0, lower, upper, categories)


def _with_counts(
    feature: ScorecardFeature, index: IntArray, labels: npt.NDArray[np.int64]
) -> ScorecardFeature:
    counts = np.bincount(index, minlength=len(feature.bins))
    bads = np.bincount(index, weights=labels, minlength=len(feature.bins)).astype(np.int64)
    total_bad = int(labels.sum())
    total_good = len(labels) - total_bad
    bins = []
    for b, count, bad in zip(feature.bins, counts.tolist(), bads.tolist(), strict=True):
        good = count - bad
        if count == 0:
            woe = iv = 0.0
        else:
            g, d = (good, bad) if good and bad else (good + _SMOOTHING, bad + _SMOOTHING)
            good_share, bad_share = g / total_good, d / total_bad
            woe = math.log(good_share / bad_share)
            iv = (good_share - bad_share) * woe
        bins.append(
            ScorecardBin(b.kind, b.label, count, bad, woe, iv, 0.0, b.lower, b.upper, b.categories)
        )
    return ScorecardFeature(
        feature.name, feature.type, float(sum(b.iv for b in bins)), 0.0, tuple(bins)
    )


def _correlated(
    column: FloatArray, kept: Sequence[str], woe: Mapping[str, FloatArray], limit: float
) -> str | None:
    if column.std() == 0:
        return None
    for name in kept:
        other = woe[name]
        if other.std() == 0:
            continue
        if abs(float(np.corrcoef(column, other)[0, 1])) > limit:
            return name
    return None


def round_points(value: float) -> float:
    """Half-up (四舍五入) to 2 decimals, the way the points are published."""
    return float(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _scaled(
    feature: ScorecardFeature,
    coefficient: float,
    intercept: float,
    n_features: int,
    settings: ScorecardSettings,
) -> ScorecardFeature:
    share = (settings.offset - settings.factor * intercept) / n_features
    bins = tuple(
        ScorecardBin(
            b.kind,
            b.label,
            b.count,
            b.bads,
            b.woe,
            b.iv,
            round_points(share - settings.factor * coefficient * b.woe),
            b.lower,
            b.upper,
            b.categories,
        )
        for b in feature.bins
    )
    return ScorecardFeature(feature.name, feature.type, feature.iv, coefficient, bins)


def _interval_label(lower: float | None, upper: float | None) -> str:
    low = "-inf" if lower is None else _number_text(lower)
    high = "inf" if upper is None else _number_text(upper)
    return f"[{low}, {high})" if lower is not None else f"({low}, {high})"


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
