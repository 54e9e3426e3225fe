"""The model registry on both backends: registering real lab output, the state machine,
maker-checker approval, one champion per name, rollback, hold-out validation, the expert entry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fengkong.errors import PermissionDenied
from fengkong.models import service
from fengkong.models.models import ModelVersion
from fengkong.models.service import InvalidModel, OwnModel, WrongModelState
from fengkong.models.status import ModelAction, ModelKind, ModelState
from fengkong.risk import configs as risk_configs
from tests.integration.models.training import labelled_table
from tests.personas import Personas


def registered(session: Session, personas: Personas, run: Path, name: str = "pd") -> ModelVersion:
    return service.register_directory(
        session, personas.alice_analyst.actor, directory=run, name=name, notes="first try"
    )


def champion_ready(session: Session, personas: Personas, run: Path) -> ModelVersion:
    model = registered(session, personas, run)
    service.validate_model(session, personas.alice_analyst.actor, model_id=model.id)
    service.approve_model(session, personas.bob_manager.actor, model_id=model.id)
    return model


def test_a_scorecard_trained_by_the_lab_registers_as_a_draft_with_its_facts(
    session: Session, personas: Personas, scorecard_run: Path
) -> None:
    model = registered(session, personas, scorecard_run)
    summary = json.loads((scorecard_run / "validation.json").read_text(encoding="utf-8"))
    assert (model.name, model.version, model.kind, model.state) == (
        "pd",
        1,
        ModelKind.SCORECARD,
        ModelState.DRAFT,
    )
    assert model.data_hash == summary["data_hash"]
    assert model.data_hash is not None
    assert model.data_hash.startswith("sha256:")
    assert set(model.features) <= {"收入", "debt_ratio", "region"}
    assert model.parameters["settings"]["pdo"] == 20.0
    assert model.metrics is not None
    assert model.metrics["auc"] == summary["auc"]
    assert model.report_html is not None
    assert "<svg" in model.report_html
    assert len(model.artefact_sha256) == 64
    assert (model.author, model.author_id) == ("alice_analyst", personas.alice_analyst.user.id)
    again = registered(session, personas, scorecard_run)
    assert again.version == 2
    assert again.artefact_sha256 == model.artefact_sha256  # the same artefact, the same hash


def test_a_lightgbm_model_registers_with_its_text_model_and_metadata(
    session: Session, personas: Personas, gbm_run: Path
) -> None:
    model = registered(session, personas, gbm_run, name="pd-gbm")
    assert model.kind is ModelKind.GBM
    assert model.artefact.startswith("tree")
    assert model.artefact_metadata is not None
    assert model.artefact_metadata["features"] == model.features
    assert model.parameters["best_iteration"] > 0


def test_a_folder_without_a_model_is_refused_naming_the_folder(
    session: Session, personas: Personas, tmp_path: Path
) -> None:
    with pytest.raises(InvalidModel) as caught:
        registered(session, personas, tmp_path)
    assert caught.value.details[0]["field"] == "directory"


def test_a_model_moves_draft_validated_approved_champion_and_no_step_is_skipped(
    session: Session, personas: Personas, scorecard_run: Path
) -> None:
    model = registered(session, personas, scorecard_run)
    manager = personas.bob_manager.actor
    with pytest.raises(WrongModelState):
        service.approve_model(session, manager, model_id=model.id)
    with pytest.raises(WrongModelState):
        service.promote_model(session, manager, model_id=model.id)
    service.validate_model(session, personas.alice_analyst.actor, model_id=model.id)
    assert model.state is ModelState.VALIDATED
    assert model.validated_by == "alice_analyst"
    with pytest.raises(WrongModelState):
        service.promote_model(session, manager, model_id=model.id)
    service.approve_model(session, manager, model_id=model.id, comment="KS fine")
    assert (model.state, model.approved_by) == (ModelState.APPROVED, "bob_manager")
    service.promote_model(session, manager, model_id=model.id)
    assert model.state is ModelState.CHAMPION  # type: ignore[comparison-overlap]
    assert service.champion(session, "pd") == model
    history = service.decisions(session, personas.ada_auditor.actor, model_id=model.id)
    assert [(d.action, d.from_state, d.to_state) for d in history] == [
        (ModelAction.REGISTER, None, ModelState.DRAFT),
        (ModelAction.VALIDATE, "draft", ModelState.VALIDATED),
        (ModelAction.APPROVE, "validated", ModelState.APPROVED),
        (ModelAction.PROMOTE, "approved", ModelState.CHAMPION),
    ]
    assert history[2].comment == "KS fine"


def test_a_rejected_model_goes_no_further_and_a_rejection_needs_a_reason(
    session: Session, personas: Personas, scorecard_run: Path
) -> None:
    model = registered(session, personas, scorecard_run)
    manager = personas.bob_manager.actor
    with pytest.raises(InvalidModel):
        service.reject_model(session, manager, model_id=model.id, comment=" ")
    service.reject_model(session, manager, model_id=model.id, comment="unstable bins")
    assert model.state is ModelState.REJECTED
    with pytest.raises(WrongModelState):
        service.validate_model(session, personas.alice_analyst.actor, model_id=model.id)


def test_the_author_cannot_approve_their_own_model_even_as_a_risk_manager(
    session: Session, personas: Personas, scorecard_run: Path
) -> None:
    manager = personas.bob_manager.actor
    model = service.register_directory(session, manager, directory=scorecard_run, name="pd")
    service.validate_model(session, manager, model_id=model.id)
    with pytest.raises(OwnModel):
        service.approve_model(session, manager, model_id=model.id)
    assert not service.can_approve(manager, model)
    assert service.can_approve(personas.adam_admin.actor, model)
    service.approve_model(session, personas.adam_admin.actor, model_id=model.id)
    assert model.approved_by == "adam_admin"


def test_an_analyst_may_register_and_validate_but_not_approve_and_an_auditor_only_reads(
    session: Session, personas: Personas, scorecard_run: Path
) -> None:
    model = registered(session, personas, scorecard_run)
    service.validate_model(session, personas.alice_analyst.actor, model_id=model.id)
    with pytest.raises(PermissionDenied):
        service.approve_model(session, personas.alice_analyst.actor, model_id=model.id)
    with pytest.raises(PermissionDenied):
        service.register_directory(
            session, personas.ada_auditor.actor, directory=scorecard_run, name="pd"
        )


def test_promoting_retires_the_previous_champion_and_keeps_it(
    session: Session, personas: Personas, scorecard_run: Path, gbm_run: Path
) -> None:
    manager = personas.bob_manager.actor
    first = champion_ready(session, personas, scorecard_run)
    service.promote_model(session, manager, model_id=first.id)
    second = champion_ready(session, personas, gbm_run)
    service.promote_model(session, manager, model_id=second.id, comment="challenger wins")
    assert (first.state, second.state) == (ModelState.RETIRED, ModelState.CHAMPION)
    assert first.retired_at is not None
    champions = [
        m
        for m in service.list_models(session, manager, name="pd")
        if m.state is ModelState.CHAMPION
    ]
    assert champions == [second]


def test_the_database_itself_refuses_a_second_champion_of_a_name(
    session: Session, personas: Personas, scorecard_run: Path
) -> None:
    manager = personas.bob_manager.actor
    first = champion_ready(session, personas, scorecard_run)
    service.promote_model(session, manager, model_id=first.id)
    second = registered(session, personas, scorecard_run)
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(
            text("UPDATE model_versions SET state = 'champion' WHERE id = :id"), {"id": second.id}
        )


def test_rollback_makes_the_earlier_champion_champion_again(
    session: Session, personas: Personas, scorecard_run: Path
) -> None:
    manager = personas.bob_manager.actor
    first = champion_ready(session, personas, scorecard_run)
    service.promote_model(session, manager, model_id=first.id)
    second = champion_ready(session, personas, scorecard_run)
    service.promote_model(session, manager, model_id=second.id)
    never = registered(session, personas, scorecard_run)

    with pytest.raises(PermissionDenied):
        service.rollback(session, personas.alice_analyst.actor, name="pd", to_version=1)
    with pytest.raises(WrongModelState):
        service.rollback(session, manager, name="pd", to_version=never.version)
    with pytest.raises(WrongModelState):
        service.rollback(session, manager, name="pd", to_version=2)

    back = service.rollback(session, manager, name="pd", to_version=1, comment="drift in v2")
    assert back == first
    assert (first.state, second.state) == (ModelState.CHAMPION, ModelState.RETIRED)
    assert service.champion(session, "pd") == first
    last = service.decisions(session, manager, model_id=first.id)[-1]
    assert (last.action, last.decided_by, last.comment) == (
        ModelAction.ROLLBACK,
        "bob_manager",
        "drift in v2",
    )


def test_validating_on_labelled_data_stores_the_hold_out_metrics(
    session: Session, personas: Personas, scorecard_run: Path, holdout_data: Path
) -> None:
    model = registered(session, personas, scorecard_run)
    service.validate_model(
        session,
        personas.alice_analyst.actor,
        model_id=model.id,
        data=holdout_data,
        target="default",
        bad_value="yes",
    )
    assert model.metrics is not None
    holdout = model.metrics["holdout"]
    assert holdout["n_rows"] == 400
    assert 0.6 < holdout["auc"] <= 1.0
    assert holdout["gini"] == pytest.approx(2 * holdout["auc"] - 1)
    assert sum(row["count"] for row in holdout["calibration"]) == 400
    assert model.metrics["auc"] > 0.5  # the cross-validation summary is kept beside it


def test_validating_on_data_without_a_model_column_names_the_column(
    session: Session, personas: Personas, scorecard_run: Path, tmp_path: Path
) -> None:
    model = registered(session, personas, scorecard_run)
    data = tmp_path / "partial.csv"
    labelled_table(seed=3, rows=200).drop(columns=[model.features[0]]).to_csv(data, index=False)
    with pytest.raises(InvalidModel) as caught:
        service.validate_model(
            session,
            personas.alice_analyst.actor,
            model_id=model.id,
            data=data,
            target="default",
            bad_value="yes",
        )
    assert caught.value.details[0]["field"] == model.features[0]
    assert model.state is ModelState.DRAFT


def test_the_active_expert_scorecard_is_listed_as_the_champion_of_its_name(
    session: Session, personas: Personas
) -> None:
    models = service.list_models(session, personas.ada_auditor.actor)
    active = risk_configs.ensure_active(session, personas.adam_admin.actor).scorecard_row
    [expert] = [m for m in models if m.kind is ModelKind.EXPERT]
    assert (expert.name, expert.state, expert.scorecard_version_id) == (
        active.name,
        ModelState.CHAMPION,
        active.id,
    )
    assert expert.artefact == active.yaml_text
    assert expert.artefact_sha256 == active.sha256
    assert expert.features == list(risk_configs.parse_scorecard(active.yaml_text).features)
    again = service.list_models(session, personas.ada_auditor.actor)
    assert [m.id for m in again if m.kind is ModelKind.EXPERT] == [expert.id]


def test_the_scorecard_sql_export_gives_the_same_points_as_the_registry_scorecard(
    session: Session, personas: Personas, scorecard_run: Path
) -> None:
    model = registered(session, personas, scorecard_run)
    sql = service.export_model(
        session, personas.ada_auditor.actor, model_id=model.id, format="sql"
    ).content.decode("utf-8")
    card = service.load_trained(model)
    rows = labelled_table(seed=5, rows=60)
    rows.loc[0, "debt_ratio"] = None
    rows.loc[1, "region"] = None
    rows.loc[2, "region"] = "Z"  # never seen in training
    session.execute(
        text(
            "CREATE TEMPORARY TABLE lab_rows "
            '(n INTEGER, "收入" FLOAT, debt_ratio FLOAT, region TEXT)'
        )
    )
    session.execute(
        text("INSERT INTO lab_rows VALUES (:n, :income, :debt, :region)"),
        [
            {
                "n": i,
                "income": None if row["收入"] != row["收入"] else float(row["收入"]),
                "debt": None
                if row["debt_ratio"] != row["debt_ratio"]
                else float(row["debt_ratio"]),
                "region": row["region"] if isinstance(row["region"], str) else None,
            }
            for i, row in rows.iterrows()
        ],
    )
    query = text(f"SELECT {sql} FROM lab_rows ORDER BY n")  # noqa: S608 - our own export
    in_sql = [float(v) for v in session.scalars(query)]
    assert in_sql == pytest.approx(list(card.score(rows)), abs=1e-9)
    session.execute(text("DROP TABLE lab_rows"))


@pytest.mark.parametrize("format", ["json", "yaml", "xlsx"])
def test_a_scorecard_exports_as_json_yaml_and_excel(
    session: Session, personas: Personas, scorecard_run: Path, format: str
) -> None:
    model = registered(session, personas, scorecard_run)
    exported = service.export_model(
        session, personas.ada_auditor.actor, model_id=model.id, format=format
    )
    assert exported.filename == f"pd-v1.{format}"
    if format == "xlsx":
        assert exported.content[:2] == b"PK"
    else:
        assert "debt_ratio" in exported.content.decode("utf-8")


def test_a_lightgbm_model_does_not_export_as_a_scorecard(
    session: Session, personas: Personas, gbm_run: Path
) -> None:
    model = registered(session, personas, gbm_run)
    with pytest.raises(InvalidModel):
        service.export_model(session, personas.ada_auditor.actor, model_id=model.id, format="sql")
