"""The stream consumer in-process (embedded mode, and the function every worker job runs):
each customer's events are applied in order, once in effect, and the positions move with the
effects in one transaction."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
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
from tests.sql_statements import statements_sent

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


def test_a_jobs_customers_are_its_partitions_customers_named_in_its_range_with_their_last_event(
    session: Session,
) -> None:
    customers = [factories.customer() for _ in range(4)]
    start = consumer.read_window(session, after=0).last_event_id
    for customer in customers:
        factories.invoice(customer_id=customer.id)
    middle = consumer.read_window(session, after=start).last_event_id
    for customer in customers:
        factories.payment(customer_id=customer.id)
    consumer.apply_customers(
        session, SYSTEM, through=consumer.read_window(session, after=0).through
    )  # writes the customers' own customer_rescored events after the range
    window = consumer.read_window(session, after=start)
    partition = customers[0].id % 2
    in_partition = [c.id for c in customers if c.id % 2 == partition]
    whole = consumer.customers_through(
        session, after=start, through=window.last_event_id, partition=partition, partitions=2
    )
    assert whole == {c: window.through[c] for c in in_partition}
    assert max(whole.values()) < window.last_event_id  # the rescores' events are not counted
    first_half = consumer.customers_through(
        session, after=start, through=middle, partition=partition, partitions=2
    )
    assert set(first_half) == set(in_partition)
    assert all(start < last <= middle for last in first_half.values())


def test_customers_at_different_positions_each_get_a_batch_of_only_their_new_events(
    session: Session,
) -> None:
    ahead, behind = factories.customer(), factories.customer()
    consumer.process_pending(session, SYSTEM)
    factories.invoice(customer_id=ahead.id)
    factories.payment(customer_id=ahead.id)
    newcomer = factories.customer()
    factories.invoice(customer_id=newcomer.id)
    stream = session.get(ConsumerPosition, consumer.STREAM_CONSUMER)
    assert stream is not None
    window = consumer.read_window(session, after=stream.last_event_id)
    through = {**window.through, behind.id: window.through[ahead.id]}
    applied = consumer.apply_customers(session, SYSTEM, through=through)
    assert (applied.customers, applied.events, applied.skipped) == (2, 4, 1)
    assert [b.events for b in _batches(session, ahead.id)][1:] == [2]
    (first,) = _batches(session, newcomer.id)
    assert first.events == 2  # the customer created, then its invoice
    assert len(_batches(session, behind.id)) == 1  # nothing after its position: skipped


def test_a_job_sends_as_many_statements_for_four_customers_as_for_two(session: Session) -> None:
    customers = [factories.customer() for _ in range(7)]
    for customer in customers:
        factories.legal_event(customer_id=customer.id, event_type=LegalEventType.DISHONEST_DEBTOR)
    window = consumer.read_window(session, after=0)

    def apply(part: list[int]) -> None:
        consumer.apply_customers(session, SYSTEM, through={c: window.through[c] for c in part})

    ids = [c.id for c in customers]
    apply(ids[:1])  # the first job stores the default configurations: not counted
    two = statements_sent(session, lambda: apply(ids[1:3]))
    four = statements_sent(session, lambda: apply(ids[3:]))

    def inserts(sent: list[str]) -> int:
        return sum(statement.startswith("INSERT") for statement in sent)

    # SQLite's RETURNING cannot be matched to many rows, so there the ORM inserts new scores,
    # alerts and rule states one row at a time; nothing else may grow with the customers.
    assert len(four) - inserts(four) == len(two) - inserts(two)
    if session.get_bind().dialect.name == "postgresql":
        assert len(four) == len(two)
    assert _count(session, StreamBatch) == 7


def test_a_jobs_pending_events_are_read_in_one_statement_on_postgresql(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backlog's job holds its whole partition (thousands of customers): PostgreSQL reads
    their pending events with their ranges as arrays, one statement; SQLite in chunks."""
    monkeypatch.setattr(consumer, "_PENDING_CHUNK", 2)
    customers = [factories.customer() for _ in range(5)]
    for customer in customers[:3]:
        factories.invoice(customer_id=customer.id)
    window = consumer.read_window(session, after=0)

    sent = statements_sent(
        session, lambda: consumer.apply_customers(session, SYSTEM, through=window.through)
    )

    pending_reads = [s for s in sent if re.search(r"min\((events|e)\.id\)", s)]
    postgresql = session.get_bind().dialect.name == "postgresql"
    assert len(pending_reads) == (1 if postgresql else 3)
    for customer in customers:
        (batch,) = _batches(session, customer.id)
        assert batch.events == (2 if customer in customers[:3] else 1)


def test_a_jobs_positions_move_in_one_statement_on_postgresql(session: Session) -> None:
    """Each position moves to its customer's last event and counts the events applied, across
    jobs; PostgreSQL counts a job's events, moves its positions and records its batches in one
    statement (the ranges as arrays), SQLite moves the positions in one executemany."""
    customers = [factories.customer() for _ in range(3)]
    window = consumer.read_window(session, after=0)
    consumer.apply_customers(session, SYSTEM, through=window.through)
    for customer in customers[:2]:
        factories.invoice(customer_id=customer.id)
        factories.payment(customer_id=customer.id)
    later = consumer.read_window(session, after=window.last_event_id)

    sent = statements_sent(
        session, lambda: consumer.apply_customers(session, SYSTEM, through=later.through)
    )

    (move,) = [s for s in sent if "UPDATE customer_stream_positions" in s]
    if session.get_bind().dialect.name == "postgresql":
        assert "unnest" in move
        assert "INSERT INTO stream_batches" in move
        assert not [s for s in sent if s.startswith("INSERT INTO stream_batches")]
    else:
        assert move.startswith("UPDATE customer_stream_positions")
    for customer in customers:
        position = session.get(CustomerStreamPosition, customer.id)
        assert position is not None
        batches = _batches(session, customer.id)
        assert position.last_event_id == batches[-1].last_event_id
        assert position.events_applied == sum(batch.events for batch in batches)
    assert [len(_batches(session, c.id)) for c in customers] == [2, 2, 1]


def _statements_of_a_later_job(session: Session, customer_ids: list[int]) -> list[str]:
    """The statements of a job over all but the first customer: the first job, which stores the
    default configurations, is not counted."""
    window = consumer.read_window(session, after=0)

    def apply(part: list[int]) -> None:
        consumer.apply_customers(session, SYSTEM, through={c: window.through[c] for c in part})

    apply(customer_ids[:1])
    return statements_sent(session, lambda: apply(customer_ids[1:]))


def test_a_job_reads_the_configurations_and_the_model_registry_once(session: Session) -> None:
    """The scorecard and grade scale are read once a job (scoring passes them to the registry
    sync), and the scorecard's registry entry, once found champion, is not looked up again."""
    customers = [factories.customer() for _ in range(3)]
    for customer in customers:
        factories.invoice(customer_id=customer.id)
    sent = _statements_of_a_later_job(session, [c.id for c in customers])

    def reads(table: str) -> int:
        return sum(s.startswith("SELECT") and f"\nFROM {table} " in f"{s} " for s in sent)

    assert reads("scorecard_versions") == 1
    assert reads("grade_scale_versions") == 1
    assert reads("model_versions") == 2  # the active scorecard's entry; the shadow challengers


def test_a_customer_met_before_is_locked_without_creating_its_position_again(
    session: Session,
) -> None:
    customer = factories.customer()
    factories.invoice(customer_id=customer.id)
    window = consumer.read_window(session, after=0)
    consumer.apply_customers(session, SYSTEM, through={customer.id: window.through[customer.id]})
    factories.payment(customer_id=customer.id)
    later = consumer.read_window(session, after=window.last_event_id)
    through = {customer.id: later.through[customer.id]}

    sent = statements_sent(
        session, lambda: consumer.apply_customers(session, SYSTEM, through=through)
    )

    assert not any(s.startswith("INSERT INTO customer_stream_positions") for s in sent)
    position = session.get(CustomerStreamPosition, customer.id)
    assert position is not None
    assert position.last_event_id == later.through[customer.id]
    assert len(_batches(session, customer.id)) == 2


def test_a_job_reads_each_ledger_once_for_scoring_the_rules_and_exposure(
    session: Session,
) -> None:
    """Scoring, the monitoring facts and the exposure refresh derive their rows from one read
    of each ledger (fengkong.ledger_rows), not one read each."""
    customers = [factories.customer() for _ in range(3)]
    for customer in customers:
        factories.invoice(customer_id=customer.id)
        factories.order(customer_id=customer.id)
    sent = _statements_of_a_later_job(session, [c.id for c in customers])

    tables = (
        "orders",
        "payment_allocations",
        "financial_statements",
        "credit_reports",
        "legal_events",
    )
    for table in tables:
        assert sum(re.search(rf"\bFROM {table}\b", s) is not None for s in sent) == 1, table


def test_a_job_reads_its_customers_ratings_once(session: Session) -> None:
    """Scoring reads the ratings (has the inputs changed?) and hands what it leaves to the rules
    and exposure: no second or third read of ``customer_ratings`` a job."""
    customers = [factories.customer() for _ in range(3)]
    for customer in customers:
        factories.invoice(customer_id=customer.id)
    consumer.process_pending(session, SYSTEM)
    for customer in customers:
        factories.payment(customer_id=customer.id)
    sent = statements_sent(session, lambda: consumer.process_pending(session, SYSTEM))
    reads = [s for s in sent if s.lstrip().startswith("SELECT") and "customer_ratings" in s]
    assert len(reads) == 1
    assert all(session.get(CustomerRating, c.id) is not None for c in customers)


_KEPT_SINCE = datetime(2026, 11, 1, tzinfo=UTC)


def _applied(session: Session, customer_id: int, applied_at: datetime) -> None:
    session.add(
        StreamBatch(
            customer_id=customer_id,
            first_event_id=customer_id,
            last_event_id=customer_id,
            events=1,
            first_recorded_at=applied_at,
            applied_at=applied_at,
        )
    )
    session.flush()


def _kept(session: Session) -> list[int]:
    return list(session.scalars(select(StreamBatch.customer_id).order_by(StreamBatch.id)))


def test_batches_past_their_days_are_deleted_oldest_first_at_most_a_limit_a_pass(
    session: Session,
) -> None:
    for customer_id in range(1, 6):
        _applied(session, customer_id, _KEPT_SINCE - timedelta(days=10 - customer_id))
    _applied(session, 6, _KEPT_SINCE + timedelta(seconds=1))
    _applied(session, 7, _KEPT_SINCE)

    assert consumer.prune_batches(session, applied_before=_KEPT_SINCE, limit=3) == 3
    assert _kept(session) == [4, 5, 6, 7]
    # The next three oldest hold two past their days and one not: only those two go.
    assert consumer.prune_batches(session, applied_before=_KEPT_SINCE, limit=3) == 2
    assert _kept(session) == [6, 7]
    assert consumer.prune_batches(session, applied_before=_KEPT_SINCE, limit=3) == 0
    assert _kept(session) == [6, 7]


def test_pruning_with_nothing_past_its_days_reads_one_row_and_deletes_nothing(
    session: Session,
) -> None:
    assert consumer.prune_batches(session, applied_before=_KEPT_SINCE) == 0
    _applied(session, 1, _KEPT_SINCE + timedelta(hours=1))
    sent = statements_sent(
        session, lambda: consumer.prune_batches(session, applied_before=_KEPT_SINCE)
    )
    assert len(sent) == 1
    assert sent[0].lstrip().startswith("SELECT")
    assert _kept(session) == [1]
