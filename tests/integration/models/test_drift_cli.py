"""``fengkong model compare`` and ``fengkong model drift`` against a real SQLite file, on models
trained by ``fengkong model train --out`` exactly as a user would; the development distribution
the lab writes is what the registry keeps as the drift reference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fengkong.cli import app
from fengkong.scoring.stability import ScoreDistribution
from tests.cli_support import create_users

runner = CliRunner()


@pytest.fixture
def database_url(migrated_cli_database_url: str) -> str:
    create_users(("alice", "admin"))
    return migrated_cli_database_url


def run(*args: str) -> str:
    result = runner.invoke(app, ["model", *args])
    assert result.exit_code == 0, result.output
    return result.output


def registered_id(run_folder: Path, name: str) -> int:
    run("register", str(run_folder), "--name", name, "--as", "alice")
    [model] = [m for m in json.loads(run("list", "--json")) if m["name"] == name]
    return int(model["id"])


def test_training_writes_the_development_distribution_the_drift_job_reads(
    scorecard_run: Path, lab_data: Path
) -> None:
    summary = json.loads((scorecard_run / "validation.json").read_text(encoding="utf-8"))
    distribution = ScoreDistribution.from_dict(summary["development_distribution"])
    assert (distribution.variable, distribution.source) == ("pd", "training")
    assert distribution.n == summary["n_rows"]
    assert len(distribution.edges) == 9


def test_two_registered_models_are_compared_on_one_file_as_json_and_html(
    database_url: str, scorecard_run: Path, gbm_run: Path, holdout_data: Path, tmp_path: Path
) -> None:
    champion = registered_id(scorecard_run, "pd")
    challenger = registered_id(gbm_run, "pd-gbm")
    page = tmp_path / "compare.html"
    common = ["--data", str(holdout_data), "--target", "default", "--bad-value", "yes"]
    result = json.loads(
        run("compare", str(champion), str(challenger), *common, "--json", "--html", str(page))
    )
    assert (result["champion"]["label"], result["challenger"]["label"]) == ("pd v1", "pd-gbm v1")
    assert (result["champion_id"], result["challenger_id"]) == (champion, challenger)
    assert result["n_rows"] == 400
    assert result["champion"]["auc"] > 0.6
    assert result["deltas"]["auc"] == pytest.approx(
        result["challenger"]["auc"] - result["champion"]["auc"]
    )
    assert "roc" not in result["champion"]
    html = page.read_text(encoding="utf-8")
    assert "pd v1" in html
    assert "pd-gbm v1" in html
    assert html.count("<polyline") == 2

    text = run("compare", str(champion), str(challenger), *common)
    assert "pd v1 (champion) vs pd-gbm v1 (challenger) on 400 rows" in text
    assert "DeLong p =" in text

    missing = ["--data", str(holdout_data), "--target", "x", "--bad-value", "yes"]
    wrong = runner.invoke(app, ["model", "compare", str(champion), str(challenger), *missing])
    assert wrong.exit_code == 1
    assert "'x'" in wrong.output


def test_the_drift_command_checks_each_champion_once_a_day(database_url: str) -> None:
    run("list")  # records the active expert scorecard as its name's champion
    [first] = json.loads(run("drift", "--date", "2026-12-01", "--json"))
    assert (first["kind"], first["checked_on"], first["new"]) == ("expert", "2026-12-01", True)
    assert first["status"] == "too_few"  # no customer is scored yet
    assert first["threshold"] == 0.25
    [again] = json.loads(run("drift", "--date", "2026-12-01", "--json"))
    assert again["new"] is False
    assert "checked earlier today" in run("drift", "--date", "2026-12-01")
