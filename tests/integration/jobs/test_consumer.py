"""The stream consumer in-process (embedded mode, and the function every worker job runs):
each customer's events are applied in order, once in effect, and the positions move with the
effects in one transaction."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.jobs import consumer
from fengkong.jobs.models import CustomerStreamPosition, StreamBatch
from fengkong.legal_events.kinds import LegalEventType
from fengkong.monitoring import service as monitoring_service
from fengkong.monitoring.models import Alert
from fengkong.risk.models import ConsumerPosition, CustomerRating
from tests import factories

SYSTEM = Actor.system("test")


@pytest.fixture(autouse=True)
def quiet_notifications(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Alerts' notifications, recorded instead of queued (delivery is tested in its area)."""
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(
        monitoring_service, "notifier", lambda: lambda _s, _a, **fields: sent.append(fields)
    )
    return sent


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _batches(session: Session, customer_id: int) -> list[StreamBatch]:
    statement = (
        select(StreamBatch).where(StreamBatch.customer_id == customer_id).order_by(StreamBatch.id)
    )
    return list(session.scalars(statement))


def test_a_pass_rescores_each_named_customer_and_moves_every_position(session: Session) -> None:
    first, second = factories.customer(), factories.customer()
    factories.invoice(customer_id=first.id)
    factories.invoice(customer_id=second.id)
    factories.invoice(customer_id=first.id)
    summary = consumer.process_pending(session, SYSTEM)
    assert summary.customers == 2
    assert summary.events >= 5  # two customers and three invoices created
    for customer in (first, second):
        assert session.get(CustomerRating, customer.id) is not None
        position = session.get(CustomerStreamPosition, customer.id)
        assert position is not None
        (batch,) = _batches(session, customer.id)
        assert position.last_event_id == batch.last_event_id
        assert position.events_applied == batch.events
    stream = session.get(ConsumerPosition, consumer.STREAM_CONSUMER)
    assert stream is not None
    assert stream.last_event_id == summary.last_event_id
    assert consumer.lag(session) > 0  # the pass's own customer_rescored events, ignored next
    again = consumer.process_pending(session, SYSTEM)
    assert again.customers == 0
    assert consumer.lag(session) == 0
    assert _count(session, StreamBatch) == 2


def test_later_events_are_applied_in_a_new_batch_that_starts_after_the_last(
    session: Session,
) -> None:
    customer = factories.customer()
    consumer.process_pending(session, SYSTEM)
    factories.invoice(customer_id=customer.id)
    factories.payment(customer_id=customer.id)
    consumer.process_pending(session, SYSTEM)
    first, second = _batches(session, customer.id)
    assert second.first_event_id > first.last_event_id
    assert second.events == 2
    position = session.get(CustomerStreamPosition, customer.id)
    assert position is not None
    assert position.events_applied == first.events + second.events


def test_a_new_dishonest_debtor_record_raises_one_alert_and_a_redelivered_batch_changes_nothing(
    session: Session,
) -> None:
    customer = factories.customer()
    factories.legal_event(customer_id=customer.id, event_type=LegalEventType.DISHONEST_DEBTOR)
    window = consumer.read_window(session, after=0)
    applied = consumer.apply_customers(session, SYSTEM, through=window.through)
    assert applied.customers == 1
    alerts = list(session.scalars(select(Alert).where(Alert.customer_id == customer.id)))
    assert "dishonest_debtor" in {a.rule_id for a in alerts}
    redelivered = consumer.apply_customers(session, SYSTEM, through=window.through)
    assert (redelivered.customers, redelivered.skipped) == (0, 1)
    assert _count(session, Alert) == len(alerts)
    assert len(_batches(session, customer.id)) == 1


def test_events_for_a_deleted_customer_move_the_position_without_scoring(
    session: Session,
) -> None:
    customer = factories.customer()
    through = {customer.id: 10**12, 10**9: 10**12}
    applied = consumer.apply_customers(session, SYSTEM, through=through)
    assert applied.customers == 1  # the missing customer has no events at all: skipped
    assert applied.skipped == 1
