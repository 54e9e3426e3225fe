"""Rescoring the customers whose data changed, from the outbox, and the background loop."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.risk import service
from fengkong.risk.models import ConsumerPosition, RiskScore, ScoreTrigger
from tests import factories
from tests.integration.risk.conftest import AS_OF, scored_customer

ACTOR = Actor.system("test")


def _rows(session: Session, customer_id: int) -> int:
    return int(
        session.scalar(select(func.count()).where(RiskScore.customer_id == customer_id)) or 0
    )


def test_only_customers_named_by_new_events_are_rescored(session: Session) -> None:
    changed, quiet = scored_customer(), scored_customer()
    first = service.rescore_changed(session, ACTOR, as_of=AS_OF)
    assert first.customers == 2
    factories.invoice(customer_id=changed.id, issue_date=date(2026, 2, 1))

    second = service.rescore_changed(session, ACTOR, as_of=AS_OF)

    assert second.customers == 1
    assert second.scoring is not None
    assert second.scoring.stored == 1
    assert (_rows(session, changed.id), _rows(session, quiet.id)) == (2, 1)


def test_a_pass_ignores_its_own_rescored_events_and_resumes_after_the_last(
    session: Session,
) -> None:
    scored_customer()
    service.rescore_changed(session, ACTOR, as_of=AS_OF)
    # The first pass also recorded the expert scorecard in the model registry: events that
    # name no customer, read and passed over by the next pass.
    service.rescore_changed(session, ACTOR, as_of=AS_OF)

    again = service.rescore_changed(session, ACTOR, as_of=AS_OF)

    assert (again.events, again.customers, again.scoring) == (0, 0, None)
    position = session.get(ConsumerPosition, service.RESCORE_CONSUMER)
    assert position is not None
    assert position.last_event_id == again.last_event_id


def test_scoring_everyone_today_leaves_nothing_for_the_consumer(session: Session) -> None:
    scored_customer()
    service.score_customers(session, ACTOR, trigger=ScoreTrigger.ALL)

    after = service.rescore_changed(session, ACTOR)

    assert after.customers == 0
