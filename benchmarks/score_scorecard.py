"""Time scoring a feature table with the expert scorecard, side by side with optbinning.

    python benchmarks/score_scorecard.py [--rows 1000000] [--fit-rows 100000] [--runs 3]

One core: the thread pools of NumPy's BLAS, polars and scikit-learn are pinned to one thread
before anything imports them. The script

1. draws a synthetic portfolio of 20 numeric features (named after catalogue features, each a
   noisy view of a latent credit quality, 3 % missing) with defaults drawn from that quality;
2. fits optbinning's ``Scorecard`` (``BinningProcess`` + ``LogisticRegression``, points scaled
   min-max to 0..1000) on ``--fit-rows`` rows;
3. converts its binning tables into a Fengkong ``Scorecard``: the same bins and, per variable,
   weight = (max − min points) / 1000 and bin score = 100 × (points − min) / (max − min), so
   each factor earns the optbinning points less the variable's minimum (the minima sum to 0);
4. scores ``--rows`` rows with both, checks that totals and per-factor points agree within 1e-9,
   and times each (best of ``--runs``): optbinning's ``Scorecard.score`` on a pandas frame,
   Fengkong's ``score_features`` on the same values as a polars feature table, and a plain NumPy
   ``searchsorted`` loop over the same bins for reference.

Prints rows/s for each and the speed-up for docs/performance.md; exits 1 if the points differ.
"""

from __future__ import annotations

import os

# One core: pinned before NumPy, polars or scikit-learn first read them.
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"
os.environ["POLARS_MAX_THREADS"] = "1"

import argparse
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import polars as pl
from optbinning import BinningProcess
from optbinning import Scorecard as OptbinningScorecard
from sklearn.linear_model import LogisticRegression

from fengkong.scoring.features.catalogue import FEATURE_NAMES
from fengkong.scoring.scorecard import (
    Bin,
    Factor,
    Scorecard,
    Texts,
    score_features,
)

FEATURES = FEATURE_NAMES[:20]
MISSING_SHARE = 0.03
TOLERANCE = 1e-9
TARGET_SPEED_UP = 5.0
SEED = 20261126


def portfolio(rows: int, rng: np.random.Generator) -> tuple[npt.NDArray[np.float64], Any]:
    """Feature values (rows × 20, NaN = missing) and default flags driven by a latent quality."""
    quality = rng.standard_normal(rows)
    loadings = rng.uniform(0.3, 1.0, len(FEATURES)) * rng.choice([-1.0, 1.0], len(FEATURES))
    scales = rng.uniform(0.5, 50.0, len(FEATURES))
    noise = rng.standard_normal((rows, len(FEATURES)))
    values = (quality[:, None] * loadings + noise) * scales
    values[rng.random(values.shape) < MISSING_SHARE] = np.nan
    defaults = rng.random(rows) < 1.0 / (1.0 + np.exp(3.0 + 1.2 * quality))
    return values, defaults.astype(np.int64)


def fit_optbinning(values: npt.NDArray[np.float64], defaults: Any) -> Any:
    frame = pd.DataFrame(values, columns=list(FEATURES))
    card = OptbinningScorecard(
        binning_process=BinningProcess(variable_names=list(FEATURES), n_jobs=1),
        estimator=LogisticRegression(),
        scaling_method="min_max",
        scaling_method_params={"min": 0, "max": 1000},
    )
    return card.fit(frame, defaults)


def converted(reference: Any) -> tuple[Scorecard, npt.NDArray[np.float64]]:
    """The optbinning scorecard as a Fengkong scorecard, and each variable's minimum points:
    a Fengkong factor earns the optbinning points less that minimum."""
    table = reference.table(style="detailed")
    factors, minima = [], []
    for feature in FEATURES:
        splits = reference.binning_process_.get_binned_variable(feature).splits
        rows = table[table["Variable"] == feature]
        regular = rows["Points"].to_numpy()[: len(splits) + 1]
        missing = float(rows.loc[rows["Bin"] == "Missing", "Points"].iloc[0])
        # optbinning scales with the minimum and maximum over every row, Special included.
        low, high = float(rows["Points"].min()), float(rows["Points"].max())
        minima.append(low)

        def score(points: float, low: float = low, high: float = high) -> float:
            return min(100.0, max(0.0, 100.0 * (points - low) / (high - low)))

        edges = [None, *map(float, splits), None]
        factors.append(
            Factor(
                feature=feature,
                weight=(high - low) / 1000.0,
                bins=tuple(
                    Bin(edges[i], edges[i + 1], score(float(points)))
                    for i, points in enumerate(regular)
                ),
                missing_score=score(missing),
                reason=Texts(zh="{value}", en="{value}"),
            )
        )
    card = Scorecard(
        name="optbinning-reference",
        version="benchmark",
        description="converted from an optbinning Scorecard",
        factors=tuple(factors),
    )
    return card, np.array(minima)


def optbinning_points(reference: Any, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
    """Per-variable optbinning points (rows × variables), as ``Scorecard.score`` sums them."""
    indices = reference.binning_process_.transform(
        frame, metric="indices", metric_special="empirical", metric_missing="empirical"
    )
    table = reference.table(style="detailed")
    columns = []
    for feature in FEATURES:
        points = table[table["Variable"] == feature]["Points"].to_numpy()
        columns.append(points[indices[feature].to_numpy()])
    return np.column_stack(columns)


def plain_searchsorted(card: Scorecard, features: pl.DataFrame) -> npt.NDArray[np.float64]:
    """The textbook loop: per factor, searchsorted for the bin, NaN to the missing slot."""
    total = np.zeros(features.height)
    for factor in card.factors:
        values = features.get_column(factor.feature).to_numpy()
        slots = np.searchsorted(factor.edges, values, side="right")
        slots[np.isnan(values)] = len(factor.bins)
        table = np.array([factor.points(b.score) for b in factor.bins])
        table = np.append(table, factor.points(factor.missing_score))
        total += table[slots]
    return total


def best_of(runs: int, action: Callable[[], object]) -> float:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - started)
    return min(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--fit-rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(SEED)

    started = time.perf_counter()
    fit_values, fit_defaults = portfolio(args.fit_rows, rng)
    reference = fit_optbinning(fit_values, fit_defaults)
    card, minima = converted(reference)
    print(f"fitted optbinning on {args.fit_rows:,} rows in {time.perf_counter() - started:.1f} s")
    bins = [len(factor.bins) for factor in card.factors]
    print(f"{len(card.factors)} factors, {min(bins)}-{max(bins)} bins each (+ missing)")

    values, _ = portfolio(args.rows, rng)
    frame = pd.DataFrame(values, columns=list(FEATURES))
    features = pl.DataFrame(
        {"customer_id": np.arange(1, args.rows + 1), **dict(zip(FEATURES, values.T, strict=True))}
    ).with_columns(pl.col(FEATURES).fill_nan(None))  # a feature table holds nulls, not NaN

    theirs = reference.score(frame)
    ours = score_features(card, features)
    total_gap = float(np.max(np.abs(ours.score + minima.sum() - theirs)))
    points_gap = float(np.max(np.abs(ours.points + minima - optbinning_points(reference, frame))))
    print(f"largest difference: total {total_gap:.2e}, per factor {points_gap:.2e} points")
    if max(total_gap, points_gap) > TOLERANCE:
        print(f"MISMATCH: the two scorecards differ by more than {TOLERANCE}")
        sys.exit(1)

    timings = {
        "optbinning Scorecard.score (pandas)": best_of(args.runs, lambda: reference.score(frame)),
        "plain NumPy searchsorted loop (polars)": best_of(
            args.runs, lambda: plain_searchsorted(card, features)
        ),
        "fengkong score_features (polars)": best_of(
            args.runs, lambda: score_features(card, features)
        ),
    }
    baseline = timings["optbinning Scorecard.score (pandas)"]
    print(
        f"\n{args.rows:,} rows × {len(FEATURES)} factors, one core, best of {args.runs} "
        f"(Python {platform.python_version()}, NumPy {np.__version__}, polars {pl.__version__})"
    )
    print("| scorer | seconds | rows/s | vs optbinning |\n|---|---:|---:|---:|")
    for name, seconds in timings.items():
        print(
            f"| {name} | {seconds:.3f} | {args.rows / seconds / 1e6:.2f} M | "
            f"{baseline / seconds:.1f}× |"
        )
    speed_up = baseline / timings["fengkong score_features (polars)"]
    verdict = "meets" if speed_up >= TARGET_SPEED_UP else "MISSES"
    print(
        f"\nscore_features is {speed_up:.1f}× optbinning: {verdict} the {TARGET_SPEED_UP:g}× target"
    )


if __name__ == "__main__":
    main()
