"""The model registry over REST: registering the lab's files or JSON, the approval flow with
maker-checker, rollback, the sandboxed report, scorecard exports, permissions by persona."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.integration.models.training import gbm_run, holdout_data, lab_data, scorecard_run
from tests.personas import Persona, Personas

__all__ = ["gbm_run", "holdout_data", "lab_data", "scorecard_run"]


def upload(client: TestClient, persona: Persona, run: Path, name: str = "pd") -> Any:
    files = [
        ("files", (path.name, path.read_bytes(), "application/octet-stream"))
        for path in sorted(run.iterdir())
        if path.name
        in {"scorecard.json", "model.txt", "model.json", "validation.json", "report.html"}
    ]
    return client.post(
        "/api/v1/models/files", data={"name": name}, files=files, headers=persona.headers
    )


def post(
    client: TestClient, persona: Persona, path: str, body: dict[str, Any] | None = None
) -> Any:
    return client.post(f"/api/v1/models{path}", json=body or {}, headers=persona.headers)


def test_the_lab_files_register_validate_approve_and_promote_through_the_api(
    client: TestClient, personas: Personas, scorecard_run: Path
) -> None:
    created = upload(client, personas.alice_analyst, scorecard_run)
    assert created.status_code == 201, created.text
    model = created.json()
    assert (model["name"], model["version"], model["kind"], model["state"]) == (
        "pd",
        1,
        "scorecard",
        "draft",
    )
    assert model["has_report"] is True
    assert model["auc"] == pytest.approx(
        json.loads((scorecard_run / "validation.json").read_text(encoding="utf-8"))["auc"]
    )
    model_id = model["id"]

    assert post(client, personas.alice_analyst, f"/{model_id}/validate").status_code == 200
    refused = post(client, personas.alice_analyst, f"/{model_id}/approve")
    assert refused.status_code == 403
    approved = post(client, personas.bob_manager, f"/{model_id}/approve", {"comment": "ok"})
    assert approved.status_code == 200, approved.text
    promoted = post(client, personas.bob_manager, f"/{model_id}/promote")
    assert promoted.json()["state"] == "champion"
    history = client.get(f"/api/v1/models/{model_id}", headers=personas.ada_auditor.headers)
    assert [h["action"] for h in history.json()["history"]] == [
        "register",
        "validate",
        "approve",
        "promote",
    ]
    assert "roc" not in history.json()["metrics"]


def test_the_author_is_refused_approval_with_the_reason(
    client: TestClient, personas: Personas, scorecard_run: Path
) -> None:
    model_id = upload(client, personas.bob_manager, scorecard_run).json()["id"]
    post(client, personas.bob_manager, f"/{model_id}/validate")
    refused = post(client, personas.bob_manager, f"/{model_id}/approve")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "own_model"
    assert post(client, personas.adam_admin, f"/{model_id}/approve").status_code == 200


def test_a_model_registers_from_a_json_body_and_a_broken_one_names_the_field(
    client: TestClient, personas: Personas, gbm_run: Path
) -> None:
    body = {
        "name": "pd-gbm",
        "kind": "gbm",
        "artefact": (gbm_run / "model.txt").read_text(encoding="utf-8"),
        "metadata": json.loads((gbm_run / "model.json").read_text(encoding="utf-8")),
    }
    created = post(client, personas.alice_analyst, "", body)
    assert created.status_code == 201, created.text
    assert created.json()["kind"] == "gbm"
    assert created.json()["has_report"] is False
    broken = post(client, personas.alice_analyst, "", {**body, "metadata": None})
    assert broken.status_code == 400
    assert broken.json()["error"]["details"][0]["field"] == "metadata"
    sneaky = post(client, personas.alice_analyst, "", {**body, "state": "champion"})
    assert sneaky.status_code == 422


def test_rollback_through_the_api_restores_the_earlier_champion(
    client: TestClient, personas: Personas, scorecard_run: Path
) -> None:
    ids = []
    for _ in range(2):
        model_id = upload(client, personas.alice_analyst, scorecard_run).json()["id"]
        post(client, personas.alice_analyst, f"/{model_id}/validate")
        post(client, personas.bob_manager, f"/{model_id}/approve")
        post(client, personas.bob_manager, f"/{model_id}/promote")
        ids.append(model_id)
    back = post(client, personas.bob_manager, "/rollback", {"name": "pd", "to_version": 1})
    assert back.status_code == 200, back.text
    assert (back.json()["id"], back.json()["state"]) == (ids[0], "champion")
    listed = client.get("/api/v1/models?name=pd", headers=personas.ada_auditor.headers).json()
    assert [(m["version"], m["state"]) for m in listed["items"]] == [
        (2, "retired"),
        (1, "champion"),
    ]


def test_validation_on_an_uploaded_file_stores_hold_out_metrics(
    client: TestClient, personas: Personas, scorecard_run: Path, holdout_data: Path
) -> None:
    model_id = upload(client, personas.alice_analyst, scorecard_run).json()["id"]
    response = client.post(
        f"/api/v1/models/{model_id}/validate/data",
        data={"target": "default", "bad_value": "yes"},
        files={"file": ("holdout.csv", holdout_data.read_bytes(), "text/csv")},
        headers=personas.alice_analyst.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "validated"
    assert response.json()["metrics"]["holdout"]["n_rows"] == 400


def test_the_report_is_served_sandboxed_and_exports_come_in_four_formats(
    client: TestClient, personas: Personas, scorecard_run: Path
) -> None:
    model_id = upload(client, personas.alice_analyst, scorecard_run).json()["id"]
    headers = personas.ada_auditor.headers
    report = client.get(f"/api/v1/models/{model_id}/report", headers=headers)
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/html")
    assert "sandbox" in report.headers["content-security-policy"]
    assert "Validation report" in report.text
    sql = client.get(f"/api/v1/models/{model_id}/export?format=sql", headers=headers)
    assert sql.status_code == 200
    assert sql.text.startswith("(CASE")
    assert 'filename="pd-v1.sql"' in sql.headers["content-disposition"]
    xlsx = client.get(f"/api/v1/models/{model_id}/export?format=xlsx", headers=headers)
    assert xlsx.content[:2] == b"PK"
    yaml = client.get(f"/api/v1/models/{model_id}/export?format=yaml", headers=headers)
    assert "kind: scorecard" in yaml.text
    assert (
        client.get(f"/api/v1/models/{model_id}/export?format=csv", headers=headers).status_code
        == 422
    )


@pytest.mark.parametrize(
    ("persona", "read", "write", "approve"),
    [
        ("adam_admin", 200, 201, True),
        ("bob_manager", 200, 201, True),
        ("alice_analyst", 200, 201, False),
        ("sam_sales", 403, 403, False),
        ("ada_auditor", 200, 403, False),
    ],
)
def test_each_role_reads_registers_and_approves_as_the_matrix_says(
    client: TestClient,
    personas: Personas,
    scorecard_run: Path,
    persona: str,
    read: int,
    write: int,
    approve: bool,
) -> None:
    who: Persona = getattr(personas, persona)
    assert client.get("/api/v1/models", headers=who.headers).status_code == read
    assert upload(client, who, scorecard_run).status_code == write
    model_id = upload(client, personas.alice_analyst, scorecard_run).json()["id"]
    post(client, personas.alice_analyst, f"/{model_id}/validate")
    status = post(client, who, f"/{model_id}/approve").status_code
    assert (status == 200) is approve
