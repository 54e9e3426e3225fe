from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fengkong.cli import app
from tests.unit.scoring.lab.builders import never_seen_frame

runner = CliRunner()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "样本.csv"
    never_seen_frame(1500, seed=4, bad_rate=0.1).to_csv(path, index=False, encoding="utf-8-sig")
    return path


def _train(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["model", "train", *args])
    return result.exit_code, result.stdout, result.stderr


def test_model_train_prints_cross_validated_metrics_as_json(data: Path) -> None:
    code, out, _ = _train(
        "--data",
        str(data),
        "--target",
        "是否违约",
        "--bad-value",
        "是",
        "--kind",
        "gbm",
        "--folds",
        "3",
        "--seed",
        "42",
        "--special-codes",
        "-999",
        "--json",
    )
    assert code == 0
    result = json.loads(out)
    assert {"auc", "auc_sd", "ks", "gini", "n_rows", "seconds"} <= set(result)
    assert result["n_rows"] == 1500
    assert result["folds"] == 3
    assert len(result["per_fold"]) == 3
    assert 0.5 < result["auc"] < 1


def test_model_train_writes_the_scorecard_artefacts_and_the_report(
    data: Path, tmp_path: Path
) -> None:
    out_dir = tmp_path / "卡"
    code, out, _ = _train(
        "--data",
        str(data),
        "--target",
        "是否违约",
        "--bad-value",
        "是",
        "--kind",
        "scorecard",
        "--folds",
        "3",
        "--out",
        str(out_dir),
    )
    assert code == 0
    assert "AUC" in out
    assert "B10" in out
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "report.html",
        "scorecard.json",
        "scorecard.sql",
        "scorecard.xlsx",
        "scorecard.yaml",
        "validation.json",
    ]
    assert "<svg" in (out_dir / "report.html").read_text(encoding="utf-8")


def test_model_train_writes_lightgbm_text_and_metadata(data: Path, tmp_path: Path) -> None:
    code, _, _ = _train(
        "--data",
        str(data),
        "--target",
        "是否违约",
        "--bad-value",
        "是",
        "--kind",
        "gbm",
        "--folds",
        "2",
        "--monotone",
        "binning",
        "--out",
        str(tmp_path / "gbm"),
    )
    assert code == 0
    metadata = json.loads((tmp_path / "gbm" / "model.json").read_text(encoding="utf-8"))
    assert metadata["monotone"]["逾期天数"] == 1
    assert (tmp_path / "gbm" / "model.txt").read_text(encoding="utf-8").startswith("tree")


def test_an_unknown_target_column_fails_naming_it(data: Path) -> None:
    code, _, err = _train("--data", str(data), "--target", "违约", "--bad-value", "是")
    assert code == 1
    assert "target column '违约' not found" in err


def test_a_bad_value_that_never_occurs_fails_naming_the_values_seen(data: Path) -> None:
    code, _, err = _train("--data", str(data), "--target", "是否违约", "--bad-value", "bad")
    assert code == 1
    assert "no rows with the bad value 'bad' (values seen: 否, 是)" in err
