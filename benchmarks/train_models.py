"""Time and peak memory of training the model lab's two kinds on a large table.

    python benchmarks/train_models.py [--rows 1000000] [--kind scorecard|gbm|both] [--seed 42]

One core (thread pools pinned to one before anything imports them; LightGBM ``num_threads=1``).
Each kind runs in a child process of its own so that its peak resident memory (``ru_maxrss``,
which includes the generated table) is its own. The table: ``--rows`` rows × 30 features, 20
numeric (noisy views of a latent credit quality, 3 % missing, a ``-999`` special code in two of
them) and 10 categorical (5–40 levels, 3 % missing), defaults drawn from the latent quality
(about 7 % bad). Measured: reading nothing (the table is made in memory), training one model on
every row (scorecard: optimal binning of all 30 features, IV selection, correlation pruning,
logistic regression, points; LightGBM: early stopping on a 20 % split, no refit from 100,000
rows), scoring every row once, and the AUC on 100,000 further rows of the same draw.
Targets (issue 4): scorecard under 5 minutes, LightGBM under 2 minutes, both under 8 GB.
"""

from __future__ import annotations

import os

os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"
os.environ["POLARS_MAX_THREADS"] = "1"

import argparse
import json
import platform
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd

NUMERIC, CATEGORICAL = 20, 10
TARGETS = {"scorecard": 300.0, "gbm": 120.0}
MEMORY_TARGET_MIB = 8 * 1024
HOLDOUT = 100_000  # drawn with the training rows, never trained on: the quality check


def make_table(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    quality = rng.normal(size=rows)
    columns: dict[str, object] = {}
    logit = -3.2 - 0.9 * quality
    for i in range(NUMERIC):
        loading = 0.2 + 0.6 * rng.random()
        values = loading * quality + rng.normal(size=rows)
        if i % 3 == 0:
            values = np.exp(values)  # skewed, like amounts and days
        values[rng.random(rows) < 0.03] = np.nan
        if i in (4, 9):
            values[rng.random(rows) < 0.01] = -999.0
        columns[f"num_{i:02d}"] = values
    for j in range(CATEGORICAL):
        levels = 5 + 4 * j
        effect = rng.normal(scale=0.3, size=levels)
        codes = rng.integers(0, levels, rows)
        logit = logit + effect[codes]
        labels = np.array([f"类{j}_{k}" for k in range(levels)], dtype=object)[codes]
        labels[rng.random(rows) < 0.03] = None
        columns[f"cat_{j:02d}"] = labels
    columns["bad"] = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    return pd.DataFrame(columns)


def run_one(kind: str, rows: int, seed: int) -> dict[str, object]:
    from fengkong.scoring.lab.data import labelled_table
    from fengkong.scoring.lab.gbm import GbmSettings, train_gbm
    from fengkong.scoring.lab.metrics import auc
    from fengkong.scoring.lab.scorecard import train_scorecard

    started = time.perf_counter()
    frame = make_table(rows + HOLDOUT, seed)
    holdout = frame.iloc[rows:].reset_index(drop=True)
    table = labelled_table(
        frame.iloc[:rows].reset_index(drop=True),
        target="bad",
        bad_value="1",
        special_codes=(-999,),
    )
    del frame
    prepared = time.perf_counter()
    model = train_scorecard(table) if kind == "scorecard" else train_gbm(table, GbmSettings())
    trained = time.perf_counter()
    model.predict_pd(table.features)
    scored = time.perf_counter()
    holdout_auc = auc(holdout["bad"].to_numpy(), model.predict_pd(holdout))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    detail = (
        f"{len(model.features)} features selected"
        if kind == "scorecard"
        else f"{getattr(model, 'best_iteration', 0)} trees"
    )
    return {
        "kind": kind,
        "rows": rows,
        "bad_rate": round(table.bad_rate, 4),
        "prepare_seconds": round(prepared - started, 1),
        "train_seconds": round(trained - prepared, 1),
        "score_seconds": round(scored - trained, 1),
        "peak_mib": round(peak_mib),
        "detail": detail,
        "holdout_auc": round(holdout_auc, 4),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--kind", choices=["scorecard", "gbm", "both"], default="both")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.kind, args.rows, args.seed)))
        return 0
    kinds = ["scorecard", "gbm"] if args.kind == "both" else [args.kind]
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load "
        f"{os.getloadavg()[0]:.1f}; {args.rows:,} rows × {NUMERIC + CATEGORICAL} features"
    )
    failed = False
    for kind in kinds:
        child = subprocess.run(  # noqa: S603 - our own script, fixed arguments
            [
                sys.executable,
                __file__,
                "--child",
                "--kind",
                kind,
                "--rows",
                str(args.rows),
                "--seed",
                str(args.seed),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
        ok = (
            float(result["train_seconds"]) < TARGETS[kind]
            and float(result["peak_mib"]) < MEMORY_TARGET_MIB
        )
        failed = failed or not ok
        print(
            f"{kind:<9} train {result['train_seconds']:>7} s (target < {TARGETS[kind]:.0f} s), "
            f"score {result['score_seconds']} s, table {result['prepare_seconds']} s, "
            f"peak {result['peak_mib']} MiB, bad rate {result['bad_rate']}, {result['detail']}, "
            f"AUC on {HOLDOUT:,} more rows {result['holdout_auc']}"
            f"{'' if ok else '  ← over target'}"
        )
    print(f"load after: {os.getloadavg()[0]:.1f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
