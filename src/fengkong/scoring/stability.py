"""Population stability in plain NumPy: bins fixed on a reference sample, the PSI of a new sample
against it, and a score distribution that can be stored as JSON and compared later.

The model lab measures stability between a development and a recent sample with these; the
registry stores a model's development distribution (decile edges and the share of each bin) and
the drift job compares the live scores against it every day. NumPy only, so the server runs the
drift job without the ``lab`` extra.

Shares are floored at ``PSI_EPSILON``, so an empty bin gives a large but finite index. Thresholds
of the industry: below 0.10 stable, 0.10-0.25 watch, above 0.25 shifted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
PSI_EPSILON = 1e-4
PSI_WATCH, PSI_SHIFTED = 0.10, 0.25
DISTRIBUTION_BINS = 10
VARIABLES = ("pd", "score")
"""What a distribution measures: ``pd`` for trained models (rises with risk), ``score`` for the
expert scorecard (its PD is one value per grade, too coarse to bin)."""


def quantile_edges(values: npt.ArrayLike, n_bins: int = DISTRIBUTION_BINS) -> FloatArray:
    """Inner cut points giving about ``n_bins`` equally filled bins (duplicates merged)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return np.empty(0)
    inner = np.quantile(v, np.linspace(0, 1, n_bins + 1)[1:-1])
    return np.unique(inner)


def numeric_counts(values: npt.ArrayLike, edges: FloatArray) -> FloatArray:
    """Counts per bin cut at ``edges`` (lower edges inclusive), missing values in a bin of their
    own (the last)."""
    v = np.asarray(values, dtype=np.float64)
    missing = np.isnan(v)
    index = np.searchsorted(edges, v[~missing], side="right")
    counts = np.bincount(index, minlength=len(edges) + 1).astype(np.float64)
    return np.append(counts, float(missing.sum()))


def floored_shares(counts: npt.ArrayLike) -> FloatArray:
    """Counts (or shares) as shares of their total, each at least ``PSI_EPSILON``."""
    c = np.asarray(counts, dtype=np.float64)
    total = c.sum()
    shares = c / total if total > 0 else np.zeros_like(c)
    return np.maximum(shares, PSI_EPSILON)


def psi_terms(expected: npt.ArrayLike, actual: npt.ArrayLike) -> FloatArray:
    """Each bin's part of the PSI: (actual − expected) · ln(actual / expected)."""
    e = floored_shares(expected)
    a = floored_shares(actual)
    return (a - e) * np.log(a / e)


def psi_from_counts(expected: npt.ArrayLike, actual: npt.ArrayLike) -> float:
    """Population stability index between two histograms over the same bins."""
    return float(np.sum(psi_terms(expected, actual)))


def stability_label(index: float) -> str:
    if index < PSI_WATCH:
        return "stable"
    return "watch" if index <= PSI_SHIFTED else "shifted"


class DistributionError(ValueError):
    """A stored distribution is malformed; the message says which part."""


@dataclass(frozen=True, slots=True)
class ScoreDistribution:
    """A score distribution as the registry stores it: the inner edges of its bins (deciles of
    the reference sample), the share of the sample in each bin plus a last bin for missing
    values, the sample size, which variable was binned and where the sample came from
    (``training``, ``holdout`` or ``live``, with the day of a live snapshot)."""

    variable: str
    edges: tuple[float, ...]
    shares: tuple[float, ...]
    n: int
    source: str
    as_of: str | None = None

    @classmethod
    def of(
        cls,
        values: npt.ArrayLike,
        *,
        variable: str,
        source: str,
        as_of: str | None = None,
        n_bins: int = DISTRIBUTION_BINS,
    ) -> ScoreDistribution:
        """Deciles (by default) of ``values`` and the share of each bin."""
        v = np.asarray(values, dtype=np.float64)
        if len(v) == 0:
            raise DistributionError("a distribution needs at least one value")
        edges = quantile_edges(v, n_bins)
        counts = numeric_counts(v, edges)
        return cls(
            variable=variable,
            edges=tuple(float(e) for e in edges),
            shares=tuple(float(s) for s in counts / counts.sum()),
            n=len(v),
            source=source,
            as_of=as_of,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "variable": self.variable,
            "edges": list(self.edges),
            "shares": list(self.shares),
            "n": self.n,
            "source": self.source,
            "as_of": self.as_of,
        }

    @classmethod
    def from_dict(cls, document: Any) -> ScoreDistribution:
        """Read a stored distribution, refusing anything the drift job could not use."""
        if not isinstance(document, Mapping):
            raise DistributionError("a score distribution is a JSON object")
        variable = document.get("variable")
        if variable not in VARIABLES:
            raise DistributionError(f"variable must be one of {', '.join(VARIABLES)}")
        edges = _numbers(document.get("edges"), "edges")
        shares = _numbers(document.get("shares"), "shares")
        if any(b <= a for a, b in pairwise(edges)):
            raise DistributionError("edges must rise strictly")
        if len(shares) != len(edges) + 2:
            raise DistributionError(
                f"{len(edges)} edges need {len(edges) + 2} shares (one more for missing values)"
            )
        if any(s < 0 for s in shares) or not math.isclose(sum(shares), 1.0, abs_tol=1e-6):
            raise DistributionError("shares must be non-negative and add up to 1")
        n = document.get("n")
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise DistributionError("n must be a positive whole number")
        source = document.get("source")
        as_of = document.get("as_of")
        return cls(
            variable=str(variable),
            edges=tuple(edges),
            shares=tuple(shares),
            n=n,
            source=str(source or "unknown"),
            as_of=str(as_of) if as_of is not None else None,
        )


def _numbers(raw: Any, name: str) -> list[float]:
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise DistributionError(f"{name} must be a list of numbers")
    values: list[float] = []
    for value in raw:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise DistributionError(f"{name} must be a list of numbers")
        if not math.isfinite(value):
            raise DistributionError(f"{name} must be finite")
        values.append(float(value))
    return values


@dataclass(frozen=True, slots=True)
class Drift:
    """A new sample against a reference distribution: the PSI, and per bin the bounds, the
    reference and new shares and the bin's part of the PSI (the last bin holds missing values)."""

    psi: float
    n: int
    bins: tuple[dict[str, Any], ...]


def measure_drift(reference: ScoreDistribution, values: npt.ArrayLike) -> Drift:
    """The PSI of ``values`` against ``reference``, over the reference's own bins."""
    v = np.asarray(values, dtype=np.float64)
    edges = np.asarray(reference.edges, dtype=np.float64)
    counts = numeric_counts(v, edges)
    actual = counts / counts.sum() if counts.sum() > 0 else counts
    terms = psi_terms(reference.shares, actual)
    bounds: list[tuple[float | None, float | None]] = [
        (lower, upper)
        for lower, upper in zip((None, *reference.edges), (*reference.edges, None), strict=True)
    ]
    bounds.append((None, None))
    bins = tuple(
        {
            "lower": lower,
            "upper": upper,
            "missing": position == len(bounds) - 1,
            "expected": float(expected),
            "actual": float(share),
            "psi": float(term),
        }
        for position, ((lower, upper), expected, share, term) in enumerate(
            zip(bounds, reference.shares, actual, terms, strict=True)
        )
    )
    return Drift(psi=float(terms.sum()), n=len(v), bins=bins)
