"""``fengkong model shadow ID --on|--off`` and the comparison it prints, on a real SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fengkong.cli import app
from fengkong.scoring.lab.data import labelled_table
from fengkong.scoring.lab.export import scorecard_to_json
from fengkong.scoring.lab.scorecard import train_scorecard
from tests.cli_support import create_users

runner = CliRunner()


@pytest.fixture
def database_url(migrated_cli_database_url: str) -> str:
    create_users(("alice", "credit_analyst"), ("bob", "risk_manager"))
    return migrated_cli_database_url


@pytest.fixture(scope="module")
def library_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scorecard over two of the feature library's columns, in the folder layout of
    ``model train --out`` (trained in-process: the command's cross-validation is not the
    subject here)."""
    rng = np.random.default_rng(9)
    dpd = rng.integers(0, 120, 500).astype(float)
    bad = rng.uniform(size=500) < 1 / (1 + np.exp(-(-3.0 + 0.04 * dpd)))
    frame = pd.DataFrame(
        {
            "max_dpd_12m": dpd,
            "weighted_dpd_12m": (dpd * rng.uniform(0.3, 0.7, 500)).round(1),
            "default": np.where(bad, "yes", "no"),
        }
    )
    card = train_scorecard(labelled_table(frame, target="default", bad_value="yes"))
    folder = tmp_path_factory.mktemp("library_run")
    (folder / "scorecard.json").write_text(scorecard_to_json(card), encoding="utf-8")
    (folder / "validation.json").write_text('{"auc": 0.74, "ks": 0.38}', encoding="utf-8")
    return folder


def run(*args: str) -> str:
    result = runner.invoke(app, ["model", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_risk_manager_runs_a_challenger_in_the_shadow_and_reads_the_comparison(
    database_url: str, library_run: Path
) -> None:
    run("list")  # records the expert scorecard: the scoring name is fengkong-expert
    run("register", str(library_run), "--name", "fengkong-expert", "--as", "alice")
    [challenger] = [m for m in json.loads(run("list", "--json")) if m["kind"] == "scorecard"]
    model_id = str(challenger["id"])
    run("validate", model_id, "--as", "alice")

    unnamed = runner.invoke(app, ["model", "shadow", model_id, "--on"])
    assert unnamed.exit_code == 2
    refused = runner.invoke(app, ["model", "shadow", model_id, "--on", "--as", "alice"])
    assert refused.exit_code == 1
    assert "in the shadow" in run("shadow", model_id, "--on", "--as", "bob")

    printed = run("shadow", model_id)
    assert (
        "challenger fengkong-expert v2 (scorecard) against champion fengkong-expert v1" in printed
    )
    assert "customers 0" in printed
    compared = json.loads(run("shadow", model_id, "--json"))
    assert (compared["challenger_id"], compared["comparison"]["n"]) == (challenger["id"], 0)
    assert "out of the shadow" in run("shadow", model_id, "--off", "--as", "bob")
