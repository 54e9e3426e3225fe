from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fengkong.scoring.lab.data import LabelledTable, LabError
from fengkong.scoring.lab.export import write_artefacts
from fengkong.scoring.lab.gbm import GbmSettings, TrainedGbm, load_gbm, train_gbm
from tests.unit.scoring.lab.builders import never_seen_table


@pytest.fixture(scope="module")
def table() -> LabelledTable:
    return never_seen_table(rows=3000, seed=7, bad_rate=0.1)


@pytest.fixture(scope="module")
def model(table: LabelledTable) -> TrainedGbm:
    return train_gbm(table)


def test_training_twice_gives_the_same_trees(table: LabelledTable, model: TrainedGbm) -> None:
    again = train_gbm(table)
    assert again.model_text() == model.model_text()


def test_the_model_reloads_from_its_text_and_metadata_with_the_same_predictions(
    tmp_path: Path, table: LabelledTable, model: TrainedGbm
) -> None:
    write_artefacts(model, tmp_path)
    metadata = json.loads((tmp_path / "model.json").read_text(encoding="utf-8"))
    loaded = load_gbm((tmp_path / "model.txt").read_text(encoding="utf-8"), metadata)
    np.testing.assert_array_equal(
        loaded.predict_pd(table.features), model.predict_pd(table.features)
    )
    assert metadata["categories"]["地区"] == sorted(["华东", "华南", "华北", "西南", "东北"])
    assert metadata["data_hash"] == table.data_hash
    assert metadata["params"]["num_threads"] == 1


def test_contributions_add_up_to_the_log_odds_of_the_prediction(
    table: LabelledTable, model: TrainedGbm
) -> None:
    frame = table.features.iloc[:200]
    pd_ = model.predict_pd(frame)
    np.testing.assert_allclose(model.contributions(frame).sum(axis=1), np.log(pd_ / (1 - pd_)))


def test_reason_codes_are_the_features_pushing_hardest_towards_bad(
    table: LabelledTable, model: TrainedGbm
) -> None:
    frame = table.features.iloc[:200]
    contributions = model.contributions(frame)[:, :-1]
    reasons = model.reason_codes(frame, top=3)
    for row, codes in zip(contributions, reasons, strict=True):
        positive = sorted(
            ((model.features[i], v) for i, v in enumerate(row) if v > 0), key=lambda kv: -kv[1]
        )
        assert codes == positive[:3]
    riskiest = int(np.argmax(model.predict_pd(frame)))
    assert reasons[riskiest]


def test_unseen_and_missing_categories_score_without_error(model: TrainedGbm) -> None:
    frame = pd.DataFrame(
        {
            "逾期天数": [10.0, 10.0, 10.0],
            "负债率": [0.3, 0.3, 0.3],
            "经营年限": [5.0, 5.0, 5.0],
            "地区": ["火星", None, "华东"],
            "噪声": [0.0, 0.0, 0.0],
        }
    )
    pd_ = model.predict_pd(frame)
    assert pd_[0] == pd_[1]  # both unknown to the model: the missing-value path
    assert ((pd_ > 0) & (pd_ < 1)).all()


def test_monotone_constraints_from_the_binning_make_the_risk_monotone(
    table: LabelledTable,
) -> None:
    model = train_gbm(table, GbmSettings(monotone="binning"))
    assert model.monotone["逾期天数"] == 1
    assert model.monotone["经营年限"] == -1
    grid = pd.DataFrame(
        {
            "逾期天数": np.linspace(0, 100, 101),
            "负债率": 0.4,
            "经营年限": 10.0,
            "地区": "华北",
            "噪声": 0.0,
        }
    )
    assert (np.diff(model.predict_pd(grid)) >= 0).all()
    years = grid.iloc[:31].assign(逾期天数=20.0, 经营年限=np.linspace(0, 30, 31))
    assert (np.diff(model.predict_pd(years)) <= 0).all()


def test_given_monotone_constraints_must_name_numeric_features(table: LabelledTable) -> None:
    with pytest.raises(LabError, match="monotone constraint on '地区': not a numeric feature"):
        train_gbm(table, GbmSettings(monotone={"地区": 1}))
    with pytest.raises(LabError, match="must be -1, 0 or 1"):
        GbmSettings(monotone={"逾期天数": 2})


def test_large_tables_learn_faster_and_skip_the_refit() -> None:
    settings = GbmSettings()
    assert (settings.resolved_learning_rate(99_999), settings.resolved_refit(99_999)) == (
        0.05,
        True,
    )
    assert (settings.resolved_learning_rate(100_000), settings.resolved_refit(100_000)) == (
        0.1,
        False,
    )
    fixed = GbmSettings(learning_rate=0.2, refit=True)
    assert (fixed.resolved_learning_rate(10**6), fixed.resolved_refit(10**6)) == (0.2, True)
