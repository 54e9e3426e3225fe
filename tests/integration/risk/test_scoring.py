"""Scoring customers: what is stored, when history grows, grade-change events, back-tests."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fengkong.audit.models import AuditEntry
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Role
from fengkong.errors import PermissionDenied
from fengkong.events.models import Event
from fengkong.models import service as models_service
from fengkong.risk import configs, service
from fengkong.risk.models import CustomerRating, RiskScore, ScoreTrigger
from fengkong.scoring.features import FEATURE_NAMES
from tests import factories
from tests.integration.risk.conftest import AS_OF, scored_customer

ACTOR = Actor.system("test")


def _score(session: Session, *customer_ids: int, as_of: date = AS_OF) -> service.ScoringSummary:
    return service.score_customers(
        session, ACTOR, customer_ids=list(customer_ids), as_of=as_of, trigger=ScoreTrigger.MANUAL
    )


def _history_rows(session: Session, customer_id: int) -> int:
    statement = select(func.count()).where(RiskScore.customer_id == customer_id)
    return int(session.scalar(statement) or 0)


def test_a_score_is_stored_with_its_versions_factors_and_reasons(session: Session) -> None:
    customer = scored_customer(late_days=45)

    summary = _score(session, customer.id)

    assert (summary.scored, summary.stored, summary.unchanged) == (1, 1, 0)
    risk = service.get_risk(session, ACTOR, customer_id=customer.id)
    assert 0 <= risk.score <= 1000
    assert risk.grade in "ABCDE"
    assert 0 < risk.pd < 1
    assert risk.as_of == AS_OF
    assert (risk.scorecard_version, risk.scale_version) == (1, 1)
    assert risk.factors
    assert {factor.feature for factor in risk.factors} <= set(FEATURE_NAMES)
    assert sum(factor.points for factor in risk.factors) == pytest.approx(risk.score)
    assert 1 <= len(risk.reasons) <= service.TOP_REASONS
    assert all(reason.text_zh and reason.text_en for reason in risk.reasons)
    rating = session.get(CustomerRating, customer.id)
    assert rating is not None
    assert (rating.grade, rating.score, rating.risk_score_id) == (
        risk.grade,
        risk.score,
        risk.risk_score_id,
    )


def test_scoring_again_with_unchanged_inputs_adds_no_history(session: Session) -> None:
    customer = scored_customer()
    _score(session, customer.id)

    again = _score(session, customer.id)

    assert (again.stored, again.unchanged, again.grade_changes) == (0, 1, 0)
    assert _history_rows(session, customer.id) == 1


def test_changed_data_adds_a_history_row(session: Session) -> None:
    customer = scored_customer()
    _score(session, customer.id)
    factories.invoice(customer_id=customer.id, issue_date=date(2026, 1, 5))  # 146 days overdue

    again = _score(session, customer.id)

    assert again.stored == 1
    history = service.risk_history(session, ACTOR, customer_id=customer.id)
    assert len(history) == 2
    assert history[0].risk_score_id > history[1].risk_score_id  # newest first
    assert history[0].score < history[1].score


def test_a_grade_change_announces_old_and_new_grade(session: Session) -> None:
    customer = scored_customer()
    _score(session, customer.id)
    first = session.scalars(select(Event).where(Event.event_type == service.RESCORED_EVENT)).all()
    assert [event.payload["old_grade"] for event in first] == [None]
    factories.legal_event(
        customer_id=customer.id, event_type="dishonest_debtor", occurred_on=date(2026, 5, 1)
    )

    _score(session, customer.id)

    events = session.scalars(
        select(Event).where(Event.event_type == service.RESCORED_EVENT).order_by(Event.id)
    ).all()
    assert len(events) == 2
    payload = events[1].payload
    assert payload["old_grade"] == first[0].payload["new_grade"]
    assert payload["new_grade"] == "E"
    assert events[1].customer_id == customer.id
    risk = service.get_risk(session, ACTOR, customer_id=customer.id)
    assert risk.knocked_out_by == "dishonest_debtor_flag"
    assert risk.reasons[0].code == "KO_DISHONEST_DEBTOR_FLAG"


def test_a_run_writes_one_audit_entry(session: Session) -> None:
    customers = [scored_customer().id for _ in range(3)]
    configs.ensure_active(session, ACTOR)  # storing the shipped defaults is audited apart,
    models_service.sync_expert(session, ACTOR)  # and so is recording it in the model registry
    before = session.scalar(select(func.count()).select_from(AuditEntry)) or 0

    summary = _score(session, *customers)

    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "score")).all()
    assert len(entries) == 1
    assert entries[0].after is not None
    assert entries[0].after["stored"] == 3
    assert (session.scalar(select(func.count()).select_from(AuditEntry)) or 0) == before + 1
    assert sum(summary.grades.values()) == 3


def test_a_back_test_stores_history_but_leaves_the_current_rating(session: Session) -> None:
    customer = scored_customer(late_days=20)
    _score(session, customer.id)
    rating = session.get(CustomerRating, customer.id)
    assert rating is not None
    current = rating.risk_score_id

    _score(session, customer.id, as_of=date(2025, 12, 31))

    session.expire_all()
    assert _history_rows(session, customer.id) == 2
    rating = session.get(CustomerRating, customer.id)
    assert rating is not None
    assert rating.risk_score_id == current


def test_scoring_needs_risk_write(session: Session) -> None:
    analyst = Actor(user_id=None, username="alice", role=Role.CREDIT_ANALYST)
    with pytest.raises(PermissionDenied):
        service.score_customers(session, analyst, trigger=ScoreTrigger.MANUAL)


def test_a_customer_never_scored_has_no_risk(session: Session) -> None:
    customer = factories.customer()
    with pytest.raises(service.RiskNotScored):
        service.get_risk(session, ACTOR, customer_id=customer.id)


def test_what_if_scores_without_storing_and_applies_knock_outs(session: Session) -> None:
    safe = service.what_if(session, ACTOR, features={"debt_to_asset": 0.3, "max_dpd_12m": 0.0})
    listed = service.what_if(
        session, ACTOR, features={"debt_to_asset": 0.3, "dishonest_debtor_flag": 1.0}
    )

    assert listed.grade == "E"
    assert listed.knocked_out_by == "dishonest_debtor_flag"
    assert safe.grade != "E"
    assert safe.risk_score_id is None
    assert safe.as_of is None
    assert session.scalar(select(func.count()).select_from(RiskScore)) == 0


def test_what_if_refuses_an_unknown_feature_by_name(session: Session) -> None:
    with pytest.raises(service.UnknownFeature, match="debt_ratio"):
        service.what_if(session, ACTOR, features={"debt_ratio": 0.5})
