"""Real, small model-lab runs for the registry tests: a generated labelled table, trained with
``fengkong model train --out DIR`` exactly as a user would, once per test process."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fengkong.cli import app

ROWS = 600


def labelled_table(seed: int = 7, rows: int = ROWS) -> pd.DataFrame:
    """Income lowers the risk, debt ratio raises it, region C is riskier; about a quarter bad."""
    rng = np.random.default_rng(seed)
    income = rng.lognormal(mean=10, sigma=0.5, size=rows).round(0)
    debt = rng.uniform(0, 1, size=rows).round(3)
    region = rng.choice(["A", "B", "C"], size=rows, p=[0.4, 0.4, 0.2])
    logit = -1.2 - 1.5 * (np.log(income) - 10) / 0.5 + 2.0 * (debt - 0.5) + (region == "C") * 1.0
    bad = rng.uniform(size=rows) < 1 / (1 + np.exp(-logit))
    return pd.DataFrame(
        {
            "收入": income,
            "debt_ratio": debt,
            "region": region,
            "default": np.where(bad, "yes", "no"),
        }
    )


def train(out: Path, data: Path, kind: str) -> Path:
    result = CliRunner().invoke(
        app,
        [
            "model",
            "train",
            "--data",
            str(data),
            "--target",
            "default",
            "--bad-value",
            "yes",
            "--kind",
            kind,
            "--folds",
            "3",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def lab_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lab") / "training.csv"
    labelled_table().to_csv(path, index=False, encoding="utf-8-sig")
    return path


@pytest.fixture(scope="session")
def holdout_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lab") / "holdout.csv"
    labelled_table(seed=11, rows=400).to_csv(path, index=False, encoding="utf-8-sig")
    return path


@pytest.fixture(scope="session")
def scorecard_run(tmp_path_factory: pytest.TempPathFactory, lab_data: Path) -> Path:
    return train(tmp_path_factory.mktemp("scorecard"), lab_data, "scorecard")


@pytest.fixture(scope="session")
def gbm_run(tmp_path_factory: pytest.TempPathFactory, lab_data: Path) -> Path:
    return train(tmp_path_factory.mktemp("gbm"), lab_data, "gbm")
