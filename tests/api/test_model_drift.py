"""Drift checks and the champion-vs-challenger comparison over REST, with permissions by persona."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fengkong.models import service
from fengkong.settings import get_settings
from tests.integration.models.live_book import STABLE, book, trained_champion
from tests.integration.models.training import gbm_run, holdout_data, lab_data, scorecard_run
from tests.personas import Personas

__all__ = ["gbm_run", "holdout_data", "lab_data", "scorecard_run"]


@pytest.fixture
def few_scores_judged(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("FENGKONG_MODEL_DRIFT_MIN_SCORES", "30")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("FENGKONG_MODEL_DRIFT_MIN_SCORES")
    get_settings.cache_clear()


@pytest.mark.usefixtures("few_scores_judged")
def test_a_risk_manager_runs_the_drift_check_and_anyone_with_models_read_sees_its_history(
    client: TestClient, session: Session, personas: Personas
) -> None:
    model = trained_champion(session, personas.alice_analyst.user)
    book(session, model, STABLE)
    refused = client.post("/api/v1/models/drift", headers=personas.ada_auditor.headers)
    assert refused.status_code == 403

    ran = client.post("/api/v1/models/drift", headers=personas.bob_manager.headers)
    assert ran.status_code == 200, ran.text
    [item] = [i for i in ran.json()["items"] if i["model_id"] == model.id]
    assert (item["new"], item["alerted"]) == (True, False)
    assert item["check"]["status"] == "stable"
    assert item["check"]["baseline_source"] == "training"

    history = client.get(f"/api/v1/models/{model.id}/drift", headers=personas.ada_auditor.headers)
    assert history.status_code == 200, history.text
    body = history.json()
    assert (body["name"], body["version"]) == ("pd", 1)
    [check] = body["items"]
    assert check["id"] == item["check"]["id"]
    assert check["n_scores"] == len(STABLE)
    assert check["psi"] < 0.1
    assert len(check["bins"]) == 11

    again = client.post("/api/v1/models/drift", headers=personas.bob_manager.headers)
    assert [i["new"] for i in again.json()["items"] if i["model_id"] == model.id] == [False]
    missing = client.get("/api/v1/models/999999/drift", headers=personas.ada_auditor.headers)
    assert missing.status_code == 404


def test_two_models_are_compared_on_an_uploaded_file(
    client: TestClient,
    session: Session,
    personas: Personas,
    scorecard_run: Path,
    gbm_run: Path,
    holdout_data: Path,
) -> None:
    actor = personas.alice_analyst.actor
    champion = service.register_directory(session, actor, directory=scorecard_run, name="pd")
    challenger = service.register_directory(session, actor, directory=gbm_run, name="pd-gbm")
    form = {
        "champion_id": str(champion.id),
        "challenger_id": str(challenger.id),
        "target": "default",
        "bad_value": "yes",
    }
    upload = {"file": ("holdout.csv", holdout_data.read_bytes(), "text/csv")}
    compared = client.post(
        "/api/v1/models/compare", data=form, files=upload, headers=personas.ada_auditor.headers
    )
    assert compared.status_code == 200, compared.text
    result = compared.json()
    assert (result["champion"]["label"], result["challenger"]["label"]) == ("pd v1", "pd-gbm v1")
    assert result["n_rows"] == 400
    assert len(result["challenger"]["roc"]) > 50
    assert set(result["grade_migration"]) == {"A", "B", "C", "D", "E"}

    same = client.post(
        "/api/v1/models/compare",
        data={**form, "challenger_id": str(champion.id)},
        files=upload,
        headers=personas.ada_auditor.headers,
    )
    assert same.status_code == 400
    assert same.json()["error"]["code"] == "invalid_model"
