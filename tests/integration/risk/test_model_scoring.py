"""Live scoring follows the champion of the scoring name, expert or trained; every score names
its model; shadow challengers score beside it without deciding anything."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.events.models import Event
from fengkong.models import service as models_service
from fengkong.models import shadow
from fengkong.models.models import ModelVersion
from fengkong.models.service import UnscorableModel
from fengkong.models.status import ModelKind, ModelState
from fengkong.risk import configs, model_scoring, service
from fengkong.risk.models import CustomerRating, RiskScore, ScoreTrigger, ShadowScore
from fengkong.scoring.lab.data import labelled_table
from fengkong.scoring.lab.export import scorecard_from_dict, scorecard_to_json
from fengkong.scoring.lab.scorecard import train_scorecard
from tests.integration.models.training import lab_data, scorecard_run
from tests.integration.risk.conftest import AS_OF, scored_customer
from tests.personas import Personas

__all__ = ["lab_data", "scorecard_run"]

ACTOR = Actor.system("test")
SCORING_NAME = "fengkong-expert"
PDS = (0.005, 0.015, 0.04, 0.1, 0.25)  # the shipped master scale


@pytest.fixture(scope="module")
def dpd_scorecard() -> str:
    """A scorecard trained on a synthetic book: the later a customer paid over the last year,
    the likelier it defaulted. Two of the feature library's columns."""
    rng = np.random.default_rng(5)
    dpd = rng.integers(0, 120, 500).astype(float)
    weighted = (dpd * rng.uniform(0.3, 0.7, 500)).round(1)
    bad = rng.uniform(size=500) < 1 / (1 + np.exp(-(-3.0 + 0.04 * dpd)))
    frame = pd.DataFrame(
        {"max_dpd_12m": dpd, "weighted_dpd_12m": weighted, "bad": np.where(bad, "yes", "no")}
    )
    return scorecard_to_json(train_scorecard(labelled_table(frame, target="bad", bad_value="yes")))


def _approved(session: Session, personas: Personas, artefact: str) -> ModelVersion:
    model = models_service.register_model(
        session,
        personas.alice_analyst.actor,
        name=SCORING_NAME,
        kind=ModelKind.SCORECARD,
        artefact=artefact,
        metrics={"auc": 0.75, "ks": 0.4},
    )
    models_service.validate_model(session, personas.alice_analyst.actor, model_id=model.id)
    models_service.approve_model(session, personas.bob_manager.actor, model_id=model.id)
    return model


def _score(session: Session, *customer_ids: int) -> service.ScoringSummary:
    return service.score_customers(
        session, ACTOR, customer_ids=customer_ids, as_of=AS_OF, trigger=ScoreTrigger.ALL
    )


def _latest(session: Session, customer_id: int) -> RiskScore:
    found = session.scalars(
        select(RiskScore).where(RiskScore.customer_id == customer_id).order_by(RiskScore.id.desc())
    ).first()
    assert found is not None
    return found


def _grade_of(pd_: float) -> str:
    """The grade whose PD band holds ``pd_``: bands meet at the geometric means."""
    bounds = [math.sqrt(a * b) for a, b in itertools.pairwise(PDS)]
    return "ABCDE"[sum(pd_ >= bound for bound in bounds)]


def test_a_trained_champion_scores_live_customers_and_a_rollback_returns_to_the_expert(
    session: Session, personas: Personas, dpd_scorecard: str
) -> None:
    prompt, late = scored_customer().id, scored_customer(late_days=45).id
    _score(session, prompt, late)
    expert = models_service.champion(session, SCORING_NAME)
    assert expert is not None
    assert expert.kind is ModelKind.EXPERT
    assert _latest(session, late).model_version_id == expert.id

    trained = _approved(session, personas, dpd_scorecard)
    models_service.promote_model(session, personas.bob_manager.actor, model_id=trained.id)
    summary = _score(session, prompt, late)

    assert (summary.model_version_id, summary.stored) == (trained.id, 2)
    assert summary.model == f"{SCORING_NAME} v{trained.version} (scorecard)"
    card = scorecard_from_dict(json.loads(dpd_scorecard))
    for customer_id in (prompt, late):
        row = _latest(session, customer_id)
        values = {factor["feature"]: factor["value"] for factor in row.factors}
        assert set(values) == {feature.name for feature in card.features}
        expected_pd = float(card.predict_pd(pd.DataFrame({k: [v] for k, v in values.items()}))[0])
        assert row.model_version_id == trained.id
        assert row.pd == pytest.approx(expected_pd)
        assert row.grade == _grade_of(row.pd)
        rating = session.get(CustomerRating, customer_id)
        assert rating is not None
        assert (rating.risk_score_id, rating.grade) == (row.id, row.grade)
    assert _latest(session, late).pd > _latest(session, prompt).pd
    shown = service.get_risk(session, ACTOR, customer_id=late)
    assert shown.model == service.ModelRef(trained.id, SCORING_NAME, trained.version, "scorecard")
    assert shown.reasons[0].feature in {"max_dpd_12m", "weighted_dpd_12m"}

    # Nothing changed: the champion's scores stand, and a sync of the expert leaves it in place.
    assert _score(session, prompt, late).stored == 0
    assert models_service.champion(session, SCORING_NAME) == trained

    models_service.rollback(
        session, personas.bob_manager.actor, name=SCORING_NAME, to_version=expert.version
    )
    back = _score(session, prompt, late)
    assert (back.model_version_id, back.stored) == (expert.id, 2)
    assert _latest(session, prompt).model_version_id == expert.id
    assert _latest(session, prompt).pd in PDS  # the expert's PD is its grade's


def test_a_model_whose_features_the_library_lacks_cannot_become_the_scoring_champion(
    session: Session, personas: Personas, scorecard_run: Path
) -> None:
    models_service.sync_expert(session, ACTOR)
    model = models_service.register_directory(
        session, personas.alice_analyst.actor, directory=scorecard_run, name=SCORING_NAME
    )
    models_service.validate_model(session, personas.alice_analyst.actor, model_id=model.id)
    models_service.approve_model(session, personas.bob_manager.actor, model_id=model.id)

    with pytest.raises(UnscorableModel) as refused, session.begin_nested():
        models_service.promote_model(session, personas.bob_manager.actor, model_id=model.id)

    assert "收入" in refused.value.message
    assert {detail["value"] for detail in refused.value.details} >= {"收入", "region"}
    assert model.state is ModelState.APPROVED
    champion = models_service.champion(session, SCORING_NAME)
    assert champion is not None
    assert champion.kind is ModelKind.EXPERT
    with pytest.raises(UnscorableModel):
        shadow.set_shadow(session, personas.bob_manager.actor, model_id=model.id, on=True)


def test_a_shadow_challenger_scores_beside_the_champion_without_deciding_anything(
    session: Session, personas: Personas, dpd_scorecard: str
) -> None:
    customers = [scored_customer().id, scored_customer(late_days=45).id]
    _score(session, *customers)
    ratings = {c: session.get(CustomerRating, c) for c in customers}
    before = {c: (r.risk_score_id, r.grade, r.score) for c, r in ratings.items() if r}
    challenger = _approved(session, personas, dpd_scorecard)
    events = session.scalar(select(func.count()).select_from(Event)) or 0

    shadow.set_shadow(session, personas.bob_manager.actor, model_id=challenger.id, on=True)
    summary = _score(session, *customers)
    _score(session, *customers)  # a second run the same day replaces the day's shadow rows

    assert (summary.shadow_models, summary.stored) == (1, 0)
    rows = session.scalars(select(ShadowScore).order_by(ShadowScore.customer_id)).all()
    assert [(r.model_version_id, r.customer_id, r.as_of) for r in rows] == [
        (challenger.id, c, AS_OF) for c in customers
    ]
    assert all(r.grade == _grade_of(r.pd) for r in rows)
    assert rows[1].reasons[0]["feature"] in {"max_dpd_12m", "weighted_dpd_12m"}
    after = {c: session.get(CustomerRating, c) for c in customers}
    assert {c: (r.risk_score_id, r.grade, r.score) for c, r in after.items() if r} == before
    assert session.scalar(select(func.count()).select_from(Event)) == events + 1  # model_changed
    assert all(r.model_version_id != challenger.id for r in session.scalars(select(RiskScore)))

    comparison = shadow.compare_shadow(
        session, personas.ada_auditor.actor, model_id=challenger.id
    ).comparison
    assert comparison.n == 2
    assert sum(comparison.grades.challenger.values()) == 2

    shadow.set_shadow(session, personas.bob_manager.actor, model_id=challenger.id, on=False)
    _score(session, *customers)
    assert session.scalar(select(func.count()).select_from(ShadowScore)) == 2


def test_the_expert_entry_takes_over_again_only_when_the_risk_area_activates_a_scorecard(
    session: Session, personas: Personas, dpd_scorecard: str
) -> None:
    manager = personas.bob_manager.actor
    first = models_service.sync_expert(session, manager)
    trained = _approved(session, personas, dpd_scorecard)
    models_service.promote_model(session, manager, model_id=trained.id)

    assert models_service.sync_expert(session, manager) == first
    assert models_service.champion(session, SCORING_NAME) == trained

    shipped = configs.shipped_yaml(configs.ConfigKind.SCORECARD)
    configs.import_version(
        session,
        manager,
        kind=configs.ConfigKind.SCORECARD,
        yaml_text=shipped.replace('version: "2026.1"', 'version: "2026.2"'),
        activate=True,
    )
    second = models_service.sync_expert(session, manager)

    assert second is not None
    assert second != first
    assert models_service.champion(session, SCORING_NAME) == second
    assert trained.state is ModelState.RETIRED


def test_a_failing_shadow_challenger_is_logged_and_skipped_and_the_champions_run_goes_on(
    session: Session,
    personas: Personas,
    dpd_scorecard: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    customer = scored_customer(late_days=45).id
    challenger = _approved(session, personas, dpd_scorecard)
    shadow.set_shadow(session, personas.bob_manager.actor, model_id=challenger.id, on=True)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("corrupt trees")

    monkeypatch.setattr(model_scoring, "score_trained", broken)
    summary = _score(session, customer)

    assert (summary.shadow_models, summary.stored) == (0, 1)
    assert _latest(session, customer).model_version_id == summary.model_version_id
    assert session.scalar(select(func.count()).select_from(ShadowScore)) == 0
    assert "corrupt trees" in caplog.text


def test_an_expert_version_rolled_back_in_the_registry_scores_with_its_own_scorecard(
    session: Session, personas: Personas
) -> None:
    manager = personas.bob_manager.actor
    customer = scored_customer(late_days=45).id
    first = models_service.sync_expert(session, manager)
    assert first is not None
    shipped = configs.shipped_yaml(configs.ConfigKind.SCORECARD)
    configs.import_version(
        session,
        manager,
        kind=configs.ConfigKind.SCORECARD,
        yaml_text=shipped.replace('version: "2026.1"', 'version: "2026.2"'),
        activate=True,
    )
    assert _score(session, customer).model_version_id != first.id

    models_service.rollback(session, manager, name=SCORING_NAME, to_version=first.version)
    summary = _score(session, customer)

    row = _latest(session, customer)
    assert (summary.model_version_id, row.model_version_id) == (first.id, first.id)
    assert row.scorecard_version_id == first.scorecard_version_id
    assert summary.scorecard_version == 1
