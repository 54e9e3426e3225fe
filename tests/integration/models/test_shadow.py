"""Shadow challengers: who may switch them on, and the comparison with the champion on a
hand-built book whose numbers are worked out by hand."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.errors import PermissionDenied
from fengkong.models import service, shadow
from fengkong.models.models import ModelVersion
from fengkong.models.service import InvalidModel, WrongModelState
from fengkong.risk import configs
from fengkong.risk.models import RiskScore, ScoreTrigger, ShadowScore
from tests import factories
from tests.personas import Personas

DAY = date(2026, 3, 31)
TODAY = DAY + timedelta(days=60)


def _model(session: Session, personas: Personas, run: Path, *, approve: bool) -> ModelVersion:
    model = service.register_directory(
        session, personas.alice_analyst.actor, directory=run, name="pd"
    )
    service.validate_model(session, personas.alice_analyst.actor, model_id=model.id)
    if approve:
        service.approve_model(session, personas.bob_manager.actor, model_id=model.id)
    return model


def _live(session: Session, customer_id: int, model_id: int, as_of: date, score: float) -> None:
    active = configs.ensure_active(session, Actor.system("test"))
    session.add(
        RiskScore(
            customer_id=customer_id,
            as_of=as_of,
            score=score,
            grade="C",
            risk_level="medium",
            pd=0.04,
            scorecard_version_id=active.scorecard_row.id,
            grade_scale_version_id=active.scale_row.id,
            model_version_id=model_id,
            inputs_hash="0" * 64,
            factors=[],
            reasons=[],
            trigger=ScoreTrigger.ALL,
            computed_by="test",
        )
    )


def _shadow(
    session: Session, customer_id: int, model_id: int, score: float, pd: float, grade: str
) -> None:
    session.add(
        ShadowScore(
            model_version_id=model_id,
            customer_id=customer_id,
            as_of=DAY,
            score=score,
            pd=pd,
            grade=grade,
            reasons=[],
        )
    )


def test_only_a_risk_manager_switches_a_validated_challenger_of_the_scoring_name(
    session: Session, personas: Personas, scorecard_run: Path
) -> None:
    draft = service.register_directory(
        session, personas.alice_analyst.actor, directory=scorecard_run, name="fengkong-expert"
    )
    other_name = _model(session, personas, scorecard_run, approve=False)
    expert = service.sync_expert(session, personas.bob_manager.actor)
    assert expert is not None

    with pytest.raises(PermissionDenied):
        shadow.set_shadow(session, personas.alice_analyst.actor, model_id=draft.id, on=True)
    with pytest.raises(WrongModelState):
        shadow.set_shadow(session, personas.bob_manager.actor, model_id=draft.id, on=True)
    with pytest.raises(InvalidModel, match="fengkong-expert"):
        shadow.set_shadow(session, personas.bob_manager.actor, model_id=other_name.id, on=True)
    with pytest.raises(InvalidModel, match="expert"):
        shadow.set_shadow(session, personas.bob_manager.actor, model_id=expert.id, on=True)
    assert [draft.shadow, other_name.shadow, expert.shadow] == [False, False, False]


def test_the_comparison_takes_the_latest_shadow_day_and_the_champion_scores_in_effect(
    session: Session, personas: Personas, scorecard_run: Path
) -> None:
    champion = _model(session, personas, scorecard_run, approve=True)
    service.promote_model(session, personas.bob_manager.actor, model_id=champion.id)
    challenger = _model(session, personas, scorecard_run, approve=False)
    c1, c2, c3, c4 = (factories.customer().id for _ in range(4))
    # The champion's scores in effect on DAY: c1's is older (unchanged inputs since), a later
    # one of c1 does not count, nor does an earlier shadow day.
    _live(session, c1, champion.id, DAY - timedelta(days=10), 700)
    _live(session, c1, champion.id, DAY + timedelta(days=5), 100)
    for customer, score in ((c2, 600), (c3, 500), (c4, 400)):
        _live(session, customer, champion.id, DAY, score)
    for customer, score, pd, grade in (
        (c1, 650, 0.01, "B"),
        (c2, 660, 0.004, "A"),
        (c3, 450, 0.12, "D"),
        (c4, 300, 0.3, "E"),
    ):
        _shadow(session, customer, challenger.id, score, pd, grade)
    session.add(
        ShadowScore(
            model_version_id=challenger.id,
            customer_id=c1,
            as_of=DAY - timedelta(days=1),
            score=1.0,
            pd=0.5,
            grade="E",
            reasons=[],
        )
    )
    # c2 defaults: an invoice turns 90 days past due 40 days after DAY, unpaid. c3's was paid
    # in time; c4's was 90 days late before DAY already (not an outcome after it).
    factories.invoice(customer_id=c2, issue_date=DAY - timedelta(days=80))
    paid = factories.invoice(customer_id=c3, issue_date=DAY - timedelta(days=80))
    payment = factories.payment(customer_id=c3, paid_on=DAY + timedelta(days=10))
    factories.allocation(payment_id=payment.id, invoice_id=paid.id, amount_minor=100_000)
    factories.invoice(customer_id=c4, issue_date=DAY - timedelta(days=130))
    session.flush()

    result = shadow.compare_shadow(
        session, personas.ada_auditor.actor, model_id=challenger.id, today=TODAY
    )

    assert (result.as_of, result.champion_id, result.outcomes_until) == (
        DAY,
        champion.id,
        TODAY,
    )
    comparison = result.comparison
    assert comparison.n == 4
    assert comparison.spearman == pytest.approx(0.8)
    assert comparison.mean_pd_champion == pytest.approx(0.04)
    assert comparison.mean_pd_challenger == pytest.approx(0.1085)
    assert comparison.grades.champion == {"A": 0, "B": 0, "C": 4, "D": 0, "E": 0}
    assert comparison.grades.cross[2] == [1, 1, 0, 1, 1]
    assert (comparison.grades.upgraded, comparison.grades.downgraded) == (0.5, 0.5)
    assert comparison.n_bad == 1
    assert comparison.auc_champion == pytest.approx(1 / 3)
    assert comparison.auc_challenger == 0.0
    assert result.to_dict()["comparison"]["grades"]["cross"][2] == [1, 1, 0, 1, 1]


def test_a_challenger_without_shadow_scores_compares_on_no_one(
    session: Session, personas: Personas, scorecard_run: Path
) -> None:
    challenger = _model(session, personas, scorecard_run, approve=False)
    result = shadow.compare_shadow(session, personas.ada_auditor.actor, model_id=challenger.id)
    assert (result.as_of, result.champion_id, result.comparison.n) == (None, None, 0)
