"""The issue's done-when figures on the German credit data (skipped when the file is absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fengkong.scoring.lab.data import LabelledTable, read_labelled_table
from fengkong.scoring.lab.validation import ModelKind, Recipe, cross_validate

GERMANCREDIT = Path(
    os.environ.get(
        "FENGKONG_GERMANCREDIT",
        Path(__file__).resolve().parents[5] / "shared" / "data" / "germancredit.csv",
    )
)
FOLD_SECONDS = 10.0


@pytest.fixture(scope="module")
def table() -> LabelledTable:
    if not GERMANCREDIT.is_file():
        pytest.skip(f"{GERMANCREDIT} is absent")
    return read_labelled_table(GERMANCREDIT, target="creditability", bad_value="bad")


@pytest.mark.parametrize("kind", [ModelKind.SCORECARD, ModelKind.GBM])
def test_five_fold_cross_validated_auc_reaches_0_78_and_a_fold_trains_in_under_10_s(
    table: LabelledTable, kind: ModelKind
) -> None:
    assert (table.n_rows, table.n_bad) == (1000, 300)
    cv = cross_validate(table, Recipe(kind), folds=5, seed=42)
    auc, _ = cv.summary("auc")
    assert auc >= 0.78
    assert max(fold.seconds for fold in cv.folds) < FOLD_SECONDS
    ks, _ = cv.summary("ks")
    assert ks > 0.4
