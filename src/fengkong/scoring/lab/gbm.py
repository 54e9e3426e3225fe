"""The challenger: LightGBM on the same labelled table, with reason codes per row.

Deterministic by construction (one thread, ``deterministic``, row-wise histograms, a seed), so the
same data and settings give the same trees on every machine — a precondition for a registry that
records a training-data hash. Categorical columns are encoded here with a category list kept in
the model's metadata (no pandas categorical mapping hidden in the model), so the artefact is the
LightGBM text model plus a JSON document, loadable without executing code.

Monotone constraints are optional: ``"binning"`` derives each numeric feature's direction from
the trend of its optimal binning (event rate rising → +1, falling → −1, neither or weak → 0), or a
mapping gives them. Special codes of a constrained feature are treated as missing, so a ``-999``
does not become "the safest possible value".

The number of trees comes from early stopping on a stratified inner validation split of the
training rows; the test rows of a fold are never looked at. Below ``LARGE_TABLE`` rows the final
trees are then refit on every training row (learning rate 0.05); from there on the early-stopped
model is kept and the learning rate is 0.1, which keeps a million rows inside the time budget.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import lightgbm as lgb
import numpy as np
import pandas as pd

from fengkong.scoring.lab.data import FloatArray, LabelledTable, LabError
from fengkong.scoring.lab.metrics import train_test_split

FORMAT_VERSION = 1
LARGE_TABLE = 100_000
MonotoneSpec = Literal["none", "binning"] | Mapping[str, int]


@dataclass(frozen=True, slots=True)
class GbmSettings:
    # None: 0.05 below LARGE_TABLE rows, 0.1 from there (twice the step, half the trees).
    learning_rate: float | None = None
    num_leaves: int = 8
    max_depth: int = 4
    min_child_samples: int = 20
    feature_fraction: float = 0.7
    bagging_fraction: float = 0.8
    lambda_l2: float = 5.0
    max_rounds: int = 2000
    early_stopping_rounds: int = 100
    valid_fraction: float = 0.2
    min_data_per_group: int = 20
    cat_smooth: float = 20.0
    max_bin: int = 255
    # None: refit below LARGE_TABLE rows only, where the 20 % held out for early stopping is
    # worth learning from; on large tables it would double the time for little gain.
    refit: bool | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    monotone: MonotoneSpec = "none"
    min_trend_iv: float = 0.02
    seed: int = 42

    def __post_init__(self) -> None:
        if not 0 < self.valid_fraction < 1:
            raise LabError("valid_fraction must lie in (0, 1)")
        if isinstance(self.monotone, Mapping):
            for name, direction in self.monotone.items():
                if direction not in (-1, 0, 1):
                    raise LabError(f"monotone constraint of {name!r} must be -1, 0 or 1")

    def resolved_learning_rate(self, n_rows: int) -> float:
        if self.learning_rate is not None:
            return self.learning_rate
        return 0.05 if n_rows < LARGE_TABLE else 0.1

    def resolved_refit(self, n_rows: int) -> bool:
        return self.refit if self.refit is not None else n_rows < LARGE_TABLE

    def lightgbm_params(self, n_rows: int) -> dict[str, Any]:
        return {
            "objective": "binary",
            "learning_rate": self.resolved_learning_rate(n_rows),
            "num_leaves": self.num_leaves,
            "max_depth": self.max_depth,
            "min_child_samples": self.min_child_samples,
            "feature_fraction": self.feature_fraction,
            "bagging_fraction": self.bagging_fraction,
            "bagging_freq": 1,
            "lambda_l2": self.lambda_l2,
            "min_data_per_group": self.min_data_per_group,
            "cat_smooth": self.cat_smooth,
            "max_bin": self.max_bin,
            "seed": self.seed,
            "num_threads": 1,
            "deterministic": True,
            "force_row_wise": True,
            "verbosity": -1,
            **self.extra,
        }


@dataclass(frozen=True, slots=True)
class TrainedGbm:
    booster: lgb.Booster
    features: tuple[str, ...]
    categories: Mapping[str, tuple[str, ...]]
    monotone: Mapping[str, int]
    special_codes: tuple[float, ...]
    best_iteration: int
    params: Mapping[str, Any]
    target: str = ""
    bad_value: str = ""
    data_hash: str = ""
    n_rows: int = 0
    bad_rate: float = 0.0
    seconds: float = field(default=0.0, compare=False)

    kind: Literal["gbm"] = "gbm"

    @property
    def feature_names(self) -> tuple[str, ...]:
        return self.features

    def matrix(self, frame: pd.DataFrame) -> FloatArray:
        return encode(frame, self.features, self.categories, self.monotone, self.special_codes)

    def predict_pd(self, frame: pd.DataFrame) -> FloatArray:
        result = self.booster.predict(self.matrix(frame), num_iteration=self.best_iteration)
        return np.asarray(result, dtype=np.float64)

    def risk(self, frame: pd.DataFrame) -> FloatArray:
        return self.predict_pd(frame)

    def contributions(self, frame: pd.DataFrame) -> FloatArray:
        """Exact TreeSHAP in log-odds per feature; the last column is the expected value."""
        result = self.booster.predict(
            self.matrix(frame), num_iteration=self.best_iteration, pred_contrib=True
        )
        return np.asarray(result, dtype=np.float64)

    def reason_codes(self, frame: pd.DataFrame, *, top: int = 3) -> list[list[tuple[str, float]]]:
        """Per row, the ``top`` features pushing hardest towards bad (positive contributions)."""
        contributions = self.contributions(frame)[:, :-1]
        result = []
        for row in contributions:
            order = np.argsort(-row, kind="stable")[:top]
            result.append([(self.features[i], float(row[i])) for i in order if row[i] > 0])
        return result

    def model_text(self) -> str:
        return str(self.booster.model_to_string(num_iteration=self.best_iteration))

    def metadata(self) -> dict[str, Any]:
        """Everything besides the trees needed to score: the JSON beside the model text."""
        return {
            "kind": "gbm",
            "format": FORMAT_VERSION,
            "lightgbm_version": lgb.__version__,
            "features": list(self.features),
            "categories": {name: list(values) for name, values in self.categories.items()},
            "monotone": dict(self.monotone),
            "special_codes": list(self.special_codes),
            "best_iteration": self.best_iteration,
            "params": dict(self.params),
            "target": self.target,
            "bad_value": self.bad_value,
            "data_hash": self.data_hash,
            "n_rows": self.n_rows,
            "bad_rate": self.bad_rate,
        }


def load_gbm(model_text: str, metadata: Mapping[str, Any]) -> TrainedGbm:
    """Rebuild a trained model from its two artefacts (no pickle)."""
    if metadata.get("kind") != "gbm" or metadata.get("format") != FORMAT_VERSION:
        raise LabError(f"not a gbm artefact of format {FORMAT_VERSION}")
    booster = lgb.Booster(model_str=model_text)
    return TrainedGbm(
        booster=booster,
        features=tuple(metadata["features"]),
        categories={k: tuple(v) for k, v in metadata["categories"].items()},
        monotone={k: int(v) for k, v in metadata["monotone"].items()},
        special_codes=tuple(float(c) for c in metadata["special_codes"]),
        best_iteration=int(metadata["best_iteration"]),
        params=dict(metadata["params"]),
        target=str(metadata.get("target", "")),
        bad_value=str(metadata.get("bad_value", "")),
        data_hash=str(metadata.get("data_hash", "")),
        n_rows=int(metadata.get("n_rows", 0)),
        bad_rate=float(metadata.get("bad_rate", 0.0)),
    )


def encode(
    frame: pd.DataFrame,
    features: tuple[str, ...],
    categories: Mapping[str, tuple[str, ...]],
    monotone: Mapping[str, int],
    special_codes: tuple[float, ...],
) -> FloatArray:
    """A float matrix for LightGBM: categories as their code (unseen and missing → NaN)."""
    columns = []
    for name in features:
        if name not in frame.columns:
            raise LabError(f"column {name!r} is missing", column=name)
        if name in categories:
            series = frame[name].astype("object")
            text = series.astype("str").where(series.notna(), None)
            codes = pd.Index(list(categories[name]), dtype="object").get_indexer(text)
            columns.append(np.where(codes < 0, np.nan, codes.astype(np.float64)))
        else:
            x = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64, copy=True)
            if monotone.get(name, 0) != 0 and special_codes:
                x[np.isin(x, np.asarray(special_codes))] = np.nan
            columns.append(x)
    return np.column_stack(columns) if columns else np.empty((len(frame), 0))


def binning_trends(table: LabelledTable, *, min_iv: float) -> dict[str, int]:
    """+1 / −1 per numeric feature whose optimal monotonic binning rises / falls; else 0."""
    from optbinning import OptimalBinning

    trends: dict[str, int] = {}
    y = table.labels.astype(np.int64)
    for name in table.numeric:
        binning = OptimalBinning(
            name=name,
            dtype="numerical",
            monotonic_trend="auto_asc_desc",
            special_codes=list(table.special_codes) or None,
        )
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module="optbinning")
            binning.fit(table.features[name].to_numpy(), y)
            built = binning.binning_table.build()
        iv = float(built.loc["Totals", "IV"])
        rates = [
            float(rate)
            for label, rate, count in zip(
                built["Bin"], built["Event rate"], built["Count"], strict=True
            )
            if label not in ("Special", "Missing", "") and count > 0
        ]
        direction = 0
        if iv >= min_iv and len(rates) > 1:
            steps = np.diff(rates)
            direction = 1 if (steps >= 0).all() else -1 if (steps <= 0).all() else 0
        trends[name] = direction
    return trends


def train_gbm(table: LabelledTable, settings: GbmSettings | None = None) -> TrainedGbm:
    settings = settings or GbmSettings()
    started = time.perf_counter()
    categories = {
        name: tuple(sorted({str(v) for v in table.features[name].dropna().tolist()}))
        for name in table.categorical
    }
    if settings.monotone == "binning":
        monotone = binning_trends(table, min_iv=settings.min_trend_iv)
    elif settings.monotone == "none":
        monotone = {}
    else:
        unknown = [n for n in settings.monotone if n not in table.numeric]
        if unknown:
            raise LabError(
                f"monotone constraint on {unknown[0]!r}: not a numeric feature", column=unknown[0]
            )
        monotone = {n: int(d) for n, d in settings.monotone.items()}
    features = table.columns
    matrix = encode(table.features, features, categories, monotone, table.special_codes)
    categorical_at = [i for i, name in enumerate(features) if name in categories]
    params = settings.lightgbm_params(table.n_rows)
    if monotone:
        params["monotone_constraints"] = [monotone.get(name, 0) for name in features]
        params["monotone_constraints_method"] = "advanced"
    fit_rows, valid_rows = train_test_split(
        table.labels, test_fraction=settings.valid_fraction, seed=settings.seed
    )
    dataset_params = {"max_bin": settings.max_bin, "verbosity": -1}
    train_set = lgb.Dataset(
        matrix[fit_rows],
        label=table.labels[fit_rows],
        feature_name=[f"f{i}" for i in range(len(features))],
        categorical_feature=categorical_at,
        params=dataset_params,
        free_raw_data=True,
    )
    valid_set = train_set.create_valid(matrix[valid_rows], label=table.labels[valid_rows])
    booster = lgb.train(
        params,
        train_set,
        num_boost_round=settings.max_rounds,
        valid_sets=[valid_set],
        callbacks=[
            lgb.early_stopping(
                settings.early_stopping_rounds, first_metric_only=True, verbose=False
            )
        ],
    )
    best = max(int(booster.best_iteration), 1)
    refit = settings.resolved_refit(table.n_rows)
    if refit:
        # The inner split only chose the number of trees; the final trees learn from every
        # training row (the rounds scaled up for the 1/(1 - valid_fraction) more data).
        rounds = max(1, round(best / (1 - settings.valid_fraction)))
        full_set = lgb.Dataset(
            matrix,
            label=table.labels,
            feature_name=[f"f{i}" for i in range(len(features))],
            categorical_feature=categorical_at,
            params=dataset_params,
            free_raw_data=True,
        )
        booster = lgb.train(params, full_set, num_boost_round=rounds)
        best = rounds
    params_record = {
        **params,
        "max_rounds": settings.max_rounds,
        "early_stopping_rounds": settings.early_stopping_rounds,
        "valid_fraction": settings.valid_fraction,
        "refit": refit,
    }
    return TrainedGbm(
        booster=booster,
        features=features,
        categories=categories,
        monotone=monotone,
        special_codes=table.special_codes,
        best_iteration=best,
        params=json.loads(json.dumps(params_record)),
        target=table.target,
        bad_value=table.bad_value,
        data_hash=table.data_hash,
        n_rows=table.n_rows,
        bad_rate=table.bad_rate,
        seconds=time.perf_counter() - started,
    )
