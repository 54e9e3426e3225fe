from __future__ import annotations

import json

import numpy as np
import pytest

from fengkong.scoring.lab import metrics
from fengkong.scoring.lab.data import LabError, labelled_table
from fengkong.scoring.lab.report import render_report
from fengkong.scoring.lab.scorecard import train_scorecard
from fengkong.scoring.lab.validation import (
    ModelKind,
    Recipe,
    cross_validate,
    out_of_time_backtest,
    stability,
    validation_summary,
)
from tests.unit.scoring.lab.builders import never_seen_frame, never_seen_table


def test_cross_validation_measures_each_fold_on_rows_it_did_not_train_on() -> None:
    table = never_seen_table(rows=1500, bad_rate=0.1)
    cv = cross_validate(table, Recipe(ModelKind.GBM), folds=3, seed=42)
    assert len(cv.folds) == 3
    assert not np.isnan(cv.out_of_fold_pd).any()
    assert [f.n_train for f in cv.folds] == [1000, 1000, 1000]
    splits = metrics.stratified_folds(table.labels, 3, seed=42)
    for fold, (_, test) in zip(cv.folds, splits, strict=True):
        assert fold.metrics.auc == pytest.approx(
            metrics.auc(table.labels[test], cv.out_of_fold_pd[test])
        )
    mean, sd = cv.summary("auc")
    assert mean == pytest.approx(np.mean([f.metrics.auc for f in cv.folds]))
    assert sd > 0


def test_the_summary_has_the_fields_the_cli_promises_and_is_json() -> None:
    table = never_seen_table(rows=1200, bad_rate=0.1)
    summary = validation_summary(table, cross_validate(table, Recipe(ModelKind.GBM), folds=3))
    assert {"auc", "auc_sd", "ks", "gini", "n_rows", "seconds", "calibration"} <= set(summary)
    assert summary["n_rows"] == 1200
    assert sum(row["count"] for row in summary["calibration"]) == 1200
    json.dumps(summary)


def test_the_out_of_time_backtest_trains_on_early_months_and_tests_on_late_ones() -> None:
    frame = never_seen_frame(2400, seed=5, bad_rate=0.1)
    months = np.repeat(np.arange("2024-01", "2025-01", dtype="datetime64[M]"), 200)
    frame["观察日"] = months.astype("datetime64[D]").astype(str)
    table = labelled_table(
        frame, target="是否违约", bad_value="是", special_codes=(-999,), date_column="观察日"
    )
    backtest = out_of_time_backtest(table, Recipe(ModelKind.SCORECARD), test_fraction=0.25)
    assert backtest.first_test_period == "2024-10"
    assert backtest.n_train == 1800
    assert backtest.metrics.n_rows == 600
    assert backtest.metrics.auc > 0.7
    assert backtest.stability.psi < metrics.PSI_WATCH
    assert set(backtest.stability.csi) >= {"逾期天数", "地区"}


def test_a_backtest_needs_a_date_column() -> None:
    with pytest.raises(LabError, match="needs a date column"):
        out_of_time_backtest(never_seen_table(rows=300), Recipe(ModelKind.GBM))


def test_stability_flags_a_recent_sample_whose_population_moved() -> None:
    table = never_seen_table(rows=2000, bad_rate=0.1)
    card = train_scorecard(table)
    moved = table.features.assign(逾期天数=table.features["逾期天数"] * 3)
    result = stability(card, table.features, moved, categorical=table.categorical)
    assert result.csi["逾期天数"] > metrics.PSI_SHIFTED
    assert result.csi["地区"] == 0.0
    assert result.psi > metrics.PSI_WATCH


def test_the_report_is_one_self_contained_page_with_ks_and_calibration() -> None:
    table = never_seen_table(rows=1200, bad_rate=0.1)
    cv = cross_validate(table, Recipe(ModelKind.SCORECARD), folds=3)
    card = train_scorecard(table)
    page = render_report(validation_summary(table, cv), card)
    assert page.startswith("<!doctype html>")
    assert "<script" not in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page
    assert page.count("<svg") == 2
    assert "KS" in page
    assert "Calibration by score band" in page
    assert "逾期天数" in page
