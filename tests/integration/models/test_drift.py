"""The drift watch on both backends, day by day with a controlled clock: stable live scores raise
nothing, a shift past the threshold alerts the owner once, staying drifted alerts nobody, coming
back flips the verdict, and the expert scorecard's first check takes its baseline."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.customers.models import Customer
from fengkong.errors import PermissionDenied
from fengkong.models import drift, service
from fengkong.models.models import ModelDriftCheck
from fengkong.models.service import InvalidModel
from fengkong.models.status import DriftStatus, ModelKind, ModelState
from fengkong.notifications import service as notifications_service
from fengkong.notifications.models import Delivery
from fengkong.notifications.status import EmailMode
from fengkong.scoring.stability import ScoreDistribution
from fengkong.settings import get_settings
from tests.integration.models.live_book import (
    CUSTOMERS,
    DAY,
    DEVELOPMENT,
    SHIFTED,
    STABLE,
    at,
    book,
    champion,
    rescore,
    trained_champion,
)
from tests.personas import Personas

SYSTEM = Actor.system("drift-job")
MIN_SCORES = 30


def subscribe(session: Session, personas: Personas) -> None:
    for persona in (personas.alice_analyst, personas.bob_manager):
        notifications_service.set_subscription(
            session,
            personas.adam_admin.actor,
            user_id=persona.user.id,
            topic=drift.DRIFT_TOPIC,
            mode=EmailMode.IMMEDIATE,
            email=f"{persona.user.username}@example.com",
        )


def run(session: Session, day: date) -> list[drift.DriftResult]:
    return drift.check_drift(session, SYSTEM, today=day, min_scores=MIN_SCORES, now=at(day))


def alerts(session: Session) -> list[Delivery]:
    return list(
        session.scalars(
            select(Delivery).where(Delivery.topic == drift.DRIFT_TOPIC).order_by(Delivery.id)
        )
    )


def test_stable_live_scores_are_judged_stable_and_alert_nobody(
    session: Session, personas: Personas
) -> None:
    model = trained_champion(session, personas.alice_analyst.user)
    book(session, model, STABLE)
    subscribe(session, personas)
    [result] = run(session, DAY)
    check = result.check
    assert (result.created, check.status, check.variable) == (True, DriftStatus.STABLE, "pd")
    assert check.n_scores == CUSTOMERS
    assert check.psi is not None
    assert check.psi < 0.1
    assert (check.threshold, check.baseline_source) == (0.25, "training")
    assert check.alerted_at is None
    assert check.bins is not None
    assert len(check.bins) == 11  # ten deciles and the missing bin
    assert sum(b["actual"] for b in check.bins) == pytest.approx(1.0)
    assert alerts(session) == []


def test_a_shift_past_the_threshold_alerts_the_owner_once_and_a_return_flips_it_back(
    session: Session, personas: Personas
) -> None:
    model = trained_champion(session, personas.alice_analyst.user)
    ids = book(session, model, STABLE)
    subscribe(session, personas)
    assert run(session, DAY)[0].check.status is DriftStatus.STABLE

    rescore(session, model, ids, SHIFTED)
    [crossed] = run(session, DAY + timedelta(days=1))
    assert crossed.check.status is DriftStatus.DRIFTED
    assert crossed.check.psi is not None
    assert crossed.check.psi > 0.25
    assert crossed.alerted
    assert crossed.check.alerted_at == at(DAY + timedelta(days=1))
    sent = alerts(session)
    assert sorted(d.target for d in sent) == [
        "alice_analyst@example.com",  # the author
        "bob_manager@example.com",  # the risk manager
    ]
    assert sent[0].payload["model_id"] == model.id
    assert sent[0].payload["psi"] == pytest.approx(crossed.check.psi)
    assert "pd v1" in sent[0].subject

    [still] = run(session, DAY + timedelta(days=2))
    assert still.check.status is DriftStatus.DRIFTED
    assert not still.alerted
    assert still.check.alerted_at is None
    assert len(alerts(session)) == 2  # nothing new while it stays above

    rescore(session, model, ids, STABLE)
    [back] = run(session, DAY + timedelta(days=3))
    assert back.check.status is DriftStatus.STABLE
    assert len(alerts(session)) == 2

    rescore(session, model, ids, SHIFTED)
    [again] = run(session, DAY + timedelta(days=4))
    assert again.alerted  # a new crossing after the return is alerted again
    assert len(alerts(session)) == 4
    history = drift.drift_history(session, personas.ada_auditor.actor, model_id=model.id)
    assert [c.status for c in history] == [
        DriftStatus.DRIFTED,
        DriftStatus.STABLE,
        DriftStatus.DRIFTED,
        DriftStatus.DRIFTED,
        DriftStatus.STABLE,
    ]
    assert drift.latest_checks(session, [model.id])[model.id].id == history[0].id


def test_a_second_run_on_the_same_day_returns_that_days_check(
    session: Session, personas: Personas
) -> None:
    model = trained_champion(session, personas.alice_analyst.user)
    ids = book(session, model, STABLE)
    first = run(session, DAY)[0]
    rescore(session, model, ids, SHIFTED)
    second = run(session, DAY)[0]
    assert (second.created, second.check.id) == (False, first.check.id)
    assert second.check.status is DriftStatus.STABLE
    assert session.query(ModelDriftCheck).count() == 1


def test_a_threshold_from_the_settings_decides_between_watch_and_drifted(
    session: Session, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = trained_champion(session, personas.alice_analyst.user)
    book(session, model, SHIFTED)
    monkeypatch.setenv("FENGKONG_MODEL_DRIFT_PSI", "50")
    get_settings.cache_clear()
    try:
        [result] = run(session, DAY)
    finally:
        monkeypatch.delenv("FENGKONG_MODEL_DRIFT_PSI")
        get_settings.cache_clear()
    assert result.check.threshold == 50
    assert result.check.status is DriftStatus.WATCH
    assert alerts(session) == []


def test_too_few_live_scores_are_not_judged_and_do_not_reset_a_crossing(
    session: Session, personas: Personas
) -> None:
    model = trained_champion(session, personas.alice_analyst.user)
    ids = book(session, model, SHIFTED)
    subscribe(session, personas)
    assert run(session, DAY)[0].alerted
    archived = ids[: CUSTOMERS - MIN_SCORES + 1]
    for customer_id in archived:
        session.get_one(Customer, customer_id).archived_at = at(DAY)
    session.flush()
    [few] = run(session, DAY + timedelta(days=1))
    assert (few.check.status, few.check.n_scores, few.check.psi) == (
        DriftStatus.TOO_FEW,
        MIN_SCORES - 1,
        None,
    )
    for customer_id in archived:
        session.get_one(Customer, customer_id).archived_at = None
    session.flush()
    [drifted] = run(session, DAY + timedelta(days=2))
    assert drifted.check.status is DriftStatus.DRIFTED
    assert not drifted.alerted  # it never came back below the threshold
    assert len(alerts(session)) == 2


def test_the_expert_scorecard_takes_its_first_live_distribution_as_its_baseline(
    session: Session, personas: Personas
) -> None:
    model = champion(
        session, personas.alice_analyst.user, name="fengkong-expert", kind=ModelKind.EXPERT
    )
    ids = book(session, model, STABLE)
    [first] = run(session, DAY)
    assert first.check.status is DriftStatus.BASELINE
    assert (first.check.variable, first.check.baseline_source) == ("score", "live")
    assert first.check.distribution is not None
    assert first.check.distribution["n"] == CUSTOMERS
    assert first.check.psi is None

    [same] = run(session, DAY + timedelta(days=1))
    assert same.check.status is DriftStatus.STABLE
    assert same.check.psi == pytest.approx(0.0, abs=1e-9)
    assert same.check.baseline_source == "live"

    rescore(session, model, ids, SHIFTED)
    [moved] = run(session, DAY + timedelta(days=2))
    assert moved.check.status is DriftStatus.DRIFTED


def test_a_model_validated_on_holdout_data_uses_that_distribution(
    session: Session, personas: Personas
) -> None:
    holdout = ScoreDistribution.of(DEVELOPMENT, variable="pd", source="holdout")
    model = champion(
        session,
        personas.alice_analyst.user,
        metrics={"holdout": {"distribution": holdout.to_dict()}},
    )
    book(session, model, STABLE)
    [result] = run(session, DAY)
    assert (result.check.status, result.check.baseline_source) == (DriftStatus.STABLE, "holdout")


def test_only_champions_are_checked_and_only_their_own_scores_count(
    session: Session, personas: Personas
) -> None:
    model = trained_champion(session, personas.alice_analyst.user)
    other = champion(session, personas.alice_analyst.user, name="other", kind=ModelKind.EXPERT)
    book(session, model, STABLE)
    book(session, other, SHIFTED[:10])
    retired = champion(session, personas.alice_analyst.user, name="old")
    retired.state = ModelState.RETIRED
    session.flush()
    results = {r.model.name: r.check for r in run(session, DAY)}
    assert set(results) == {"pd", "other"}
    assert results["pd"].n_scores == CUSTOMERS
    assert results["other"].status is DriftStatus.TOO_FEW


def test_checking_drift_needs_models_write_and_reading_it_models_read(
    session: Session, personas: Personas
) -> None:
    with pytest.raises(PermissionDenied):
        drift.check_drift(session, personas.ada_auditor.actor, today=DAY)
    with pytest.raises(PermissionDenied):
        drift.drift_history(session, personas.sam_sales.actor, model_id=1)


def test_registration_keeps_the_training_distribution_and_validation_adds_the_holdouts(
    session: Session, personas: Personas, scorecard_run: Path, holdout_data: Path
) -> None:
    actor = personas.alice_analyst.actor
    model = service.register_directory(session, actor, directory=scorecard_run, name="pd")
    reference = drift.development_distribution(model)
    assert reference is not None
    assert (reference.variable, reference.source, reference.n) == ("pd", "training", 600)
    service.validate_model(
        session, actor, model_id=model.id, data=holdout_data, target="default", bad_value="yes"
    )
    assert model.metrics is not None
    holdout = ScoreDistribution.from_dict(model.metrics["holdout"]["distribution"])
    assert (holdout.source, holdout.n) == ("holdout", 400)
    assert drift.development_distribution(model) == reference  # training comes first


def test_a_registered_summary_with_an_unusable_distribution_is_refused(
    session: Session, personas: Personas, scorecard_run: Path
) -> None:
    summary = json.loads((scorecard_run / "validation.json").read_text(encoding="utf-8"))
    summary["development_distribution"]["shares"] = [1.0]
    with pytest.raises(InvalidModel, match="drift reference"):
        service.register_model(
            session,
            personas.alice_analyst.actor,
            name="pd",
            kind=ModelKind.SCORECARD,
            artefact=(scorecard_run / "scorecard.json").read_text(encoding="utf-8"),
            metrics=summary,
        )
