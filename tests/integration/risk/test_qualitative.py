"""The qualitative questionnaire: answers are recorded with evidence and move the score."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.auth.roles import Role
from fengkong.errors import PermissionDenied, ValidationFailed
from fengkong.events.models import Event
from fengkong.risk import service
from fengkong.risk.models import QualitativeQuestion, ScoreTrigger
from tests.integration.risk.conftest import AS_OF, scored_customer

ACTOR = Actor.system("test")
ANALYST = Actor(user_id=None, username="alice_analyst", role=Role.CREDIT_ANALYST)


def _score(session: Session, customer_id: int) -> float:
    service.score_customers(
        session, ACTOR, customer_ids=[customer_id], as_of=AS_OF, trigger=ScoreTrigger.MANUAL
    )
    return service.get_risk(session, ACTOR, customer_id=customer_id).score


def test_poor_answers_lower_the_score(session: Session) -> None:
    customer = scored_customer()
    before = _score(session, customer.id)

    for question in QualitativeQuestion:
        service.record_assessment(
            session,
            ANALYST,
            customer_id=customer.id,
            question=question,
            answer=5,
            evidence="site visit on 2026-05-20",
            assessed_on=date(2026, 5, 20),
        )

    assert _score(session, customer.id) < before
    answers = service.list_assessments(session, ACTOR, customer_id=customer.id)
    assert {answer.question for answer in answers} == set(QualitativeQuestion)
    assert {answer.assessed_by for answer in answers} == {"alice_analyst"}


def test_an_answer_is_audited_and_announced(session: Session) -> None:
    customer = scored_customer()
    service.record_assessment(
        session,
        ANALYST,
        customer_id=customer.id,
        question=QualitativeQuestion.MANAGEMENT_QUALITY,
        answer=2,
        evidence="experienced management, audited statements",
        assessed_on=date(2026, 6, 1),
    )
    event = session.scalars(select(Event).where(Event.event_type == "qualitative_assessed")).one()
    assert event.customer_id == customer.id
    assert event.payload["answer"] == 2


def test_an_answer_needs_evidence_and_a_scale_of_one_to_five(session: Session) -> None:
    customer = scored_customer()
    with pytest.raises(ValidationFailed) as raised:
        service.record_assessment(
            session,
            ANALYST,
            customer_id=customer.id,
            question=QualitativeQuestion.OPERATIONAL_RISK,
            answer=7,
            evidence="  ",
            assessed_on=date(2026, 6, 1),
        )
    assert {detail["field"] for detail in raised.value.details} == {"answer", "evidence"}


def test_sales_cannot_answer_the_questionnaire(session: Session) -> None:
    customer = scored_customer()
    sales = Actor(user_id=None, username="sam", role=Role.SALES)
    with pytest.raises(PermissionDenied):
        service.record_assessment(
            session,
            sales,
            customer_id=customer.id,
            question=QualitativeQuestion.MARKET_REPUTATION,
            answer=1,
            evidence="well known brand",
            assessed_on=date(2026, 6, 1),
        )
