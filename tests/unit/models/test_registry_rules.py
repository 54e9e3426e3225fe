"""The registry's pure rules: the state transitions and reading a model-lab artefact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fengkong.kit.enums import TransitionError, check_transition
from fengkong.models.artefacts import (
    ArtefactError,
    artefact_sha256,
    describe,
    headline,
    read_training_output,
)
from fengkong.models.status import MODEL_TRANSITIONS, ModelKind, ModelState

SCORECARD = {
    "kind": "scorecard",
    "format": 1,
    "target": "default",
    "bad_value": "yes",
    "data_hash": "sha256:abc",
    "settings": {"pdo": 20.0, "base_points": 600.0, "base_odds": 50.0},
    "features": [{"name": "收入", "bins": []}, {"name": "region", "bins": []}],
}


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (ModelState.DRAFT, ModelState.VALIDATED),
        (ModelState.VALIDATED, ModelState.APPROVED),
        (ModelState.APPROVED, ModelState.CHAMPION),
        (ModelState.CHAMPION, ModelState.RETIRED),
        (ModelState.RETIRED, ModelState.CHAMPION),
        (ModelState.VALIDATED, ModelState.REJECTED),
    ],
)
def test_a_model_moves_one_step_at_a_time(before: ModelState, after: ModelState) -> None:
    assert check_transition(before, after, MODEL_TRANSITIONS) is after


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (ModelState.DRAFT, ModelState.APPROVED),
        (ModelState.DRAFT, ModelState.CHAMPION),
        (ModelState.VALIDATED, ModelState.CHAMPION),
        (ModelState.REJECTED, ModelState.DRAFT),
        (ModelState.CHAMPION, ModelState.REJECTED),
        (ModelState.RETIRED, ModelState.APPROVED),
    ],
)
def test_no_step_is_skipped_and_a_rejection_is_final(before: ModelState, after: ModelState) -> None:
    with pytest.raises(TransitionError):
        check_transition(before, after, MODEL_TRANSITIONS)


def test_a_scorecard_document_gives_its_features_settings_and_training_data_hash() -> None:
    text = json.dumps(SCORECARD, ensure_ascii=False)
    described = describe(ModelKind.SCORECARD, text)
    assert described.features == ["收入", "region"]
    assert described.parameters["settings"]["pdo"] == 20.0
    assert described.data_hash == "sha256:abc"
    assert described.sha256 == artefact_sha256(text, None)
    assert described.metadata is None


def test_the_hash_covers_the_metadata_beside_a_text_model() -> None:
    assert artefact_sha256("tree", {"a": 1}) != artefact_sha256("tree", {"a": 2})
    assert artefact_sha256("tree", {"a": 1, "b": 2}) == artefact_sha256("tree", {"b": 2, "a": 1})


@pytest.mark.parametrize(
    ("kind", "artefact", "metadata", "field"),
    [
        (ModelKind.SCORECARD, "not json", None, "artefact"),
        (ModelKind.SCORECARD, json.dumps({"kind": "gbm"}), None, "artefact"),
        (ModelKind.GBM, "tree\nversion=v4", None, "metadata"),
        (ModelKind.GBM, "hello", {"kind": "gbm", "features": ["x"]}, "artefact"),
        (ModelKind.EXPERT, "name: x", None, "kind"),
    ],
)
def test_a_broken_artefact_names_the_part_at_fault(
    kind: ModelKind, artefact: str, metadata: dict[str, object] | None, field: str
) -> None:
    with pytest.raises(ArtefactError) as caught:
        describe(kind, artefact, metadata)
    assert caught.value.field == field


def test_a_training_folder_is_read_with_its_validation_and_report(tmp_path: Path) -> None:
    (tmp_path / "scorecard.json").write_text(json.dumps(SCORECARD), encoding="utf-8")
    (tmp_path / "validation.json").write_text(json.dumps({"auc": 0.8, "ks": 0.4}), "utf-8")
    (tmp_path / "report.html").write_text("<html></html>", encoding="utf-8")
    found = read_training_output(tmp_path)
    assert (found.kind, found.metrics, found.report_html) == (
        ModelKind.SCORECARD,
        {"auc": 0.8, "ks": 0.4},
        "<html></html>",
    )


def test_a_gbm_folder_without_its_metadata_is_refused(tmp_path: Path) -> None:
    (tmp_path / "model.txt").write_text("tree\n", encoding="utf-8")
    with pytest.raises(ArtefactError, match=r"model\.json"):
        read_training_output(tmp_path)


def test_the_list_shows_the_hold_out_metrics_when_there_are_any() -> None:
    assert headline(None) == (None, None)
    assert headline({"auc": 0.8, "ks": 0.4}) == (0.8, 0.4)
    assert headline({"auc": 0.8, "ks": 0.4, "holdout": {"auc": 0.7, "ks": 0.3}}) == (0.7, 0.3)
