"""Production mode against PostgreSQL: ``fengkong worker`` processes dispatch the outbox into
per-customer procrastinate jobs. A worker killed inside a job's transaction loses nothing and
doubles nothing once another worker takes over; two workers share the load and keep each
customer's order; an id gap left by an open transaction holds the stream until it ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.db import Database
from fengkong.events import ingestion
from fengkong.events.models import Event
from fengkong.events.schemas import IncomingEvent
from fengkong.jobs import consumer, queue
from fengkong.jobs.models import CustomerStreamPosition, StreamBatch
from fengkong.kit.time import utcnow
from fengkong.legal_events.kinds import LegalEventType
from fengkong.monitoring.models import Alert
from tests import factories
from tests.conftest import migrated_database

SYSTEM = Actor.system("test")
_EVENT = TypeAdapter(IncomingEvent)

# A worker that stops, inside the transaction of its Nth job (after rescoring, before the rules
# and the commit), to be killed there.
PAUSE_IN_JOB = """
import sys, time
from fengkong import cli
from fengkong.monitoring import service

pause_at = int(sys.argv[1])
calls = 0
original = service.evaluate_customers

def pausing(*args, **kwargs):
    global calls
    calls += 1
    if calls == pause_at:
        print("PAUSED", flush=True)
        time.sleep(300)
    return original(*args, **kwargs)

service.evaluate_customers = pausing
sys.argv = ["fengkong", *sys.argv[2:]]
cli.app()
"""


@pytest.fixture
def stream_db(tmp_path: Path) -> Iterator[tuple[str, Database]]:
    with migrated_database("postgresql", tmp_path) as database:
        yield database.url, database


def _invoice_event(event_id: str, customer_id: int) -> IncomingEvent:
    return _EVENT.validate_python(
        {
            "event_id": event_id,
            "type": "invoice_issued",
            "occurred_at": utcnow().isoformat(),
            "customer_id": customer_id,
            "payload": {
                "invoice_number": event_id,
                "amount_minor": 50_000,
                "currency": "CNY",
                "issue_date": "2026-11-01",
                "due_date": "2026-12-01",
            },
        }
    )


def _seed(database: Database, customers: int, *, dishonest_every: int = 5) -> list[int]:
    with database.session_scope(actor=SYSTEM) as session:
        factories.bind(session)
        try:
            ids = [factories.customer().id for _ in range(customers)]
            for n, customer_id in enumerate(ids):
                if n % dishonest_every == 0:
                    factories.legal_event(
                        customer_id=customer_id, event_type=LegalEventType.DISHONEST_DEBTOR
                    )
        finally:
            factories.bind(None)
    return ids


def _ingest(database: Database, customer_ids: list[int], *, round_: int, per_customer: int) -> None:
    """Interleaved events: customer after customer, ``per_customer`` times."""
    events = [
        _invoice_event(f"r{round_}-{k}-{customer_id}", customer_id)
        for k in range(per_customer)
        for customer_id in customer_ids
    ]
    with database.session_scope(actor=SYSTEM) as session:
        ingestion.ingest_events(session, SYSTEM, events=events)


def _worker(
    url: str, *args: str, script: str | None = None, partitions: int | None = None
) -> subprocess.Popen[str]:
    """A worker process; its log goes to ``$FENGKONG_TEST_WORKER_LOG`` when set."""
    environment = os.environ | {"FENGKONG_DATABASE_URL": url, "OMP_NUM_THREADS": "1"}
    if partitions is not None:
        environment["FENGKONG_STREAM_PARTITIONS"] = str(partitions)
    log_path = os.environ.get("FENGKONG_TEST_WORKER_LOG")
    command = (
        [sys.executable, "-c", script, *args]
        if script
        else [
            sys.executable,
            "-c",
            "import sys; from fengkong import cli; sys.argv[0] = 'fengkong'; cli.app()",
            *args,
        ]
    )
    log = open(log_path, "a") if log_path else subprocess.DEVNULL  # noqa: SIM115
    return subprocess.Popen(  # noqa: S603 - our own command
        command, env=environment, stdout=subprocess.PIPE, stderr=log, text=True
    )


@contextmanager
def _running(process: subprocess.Popen[str]) -> Iterator[subprocess.Popen[str]]:
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _relevant(session: Session) -> dict[int, list[int]]:
    """Each customer's outbox event ids that the consumer must apply, in order."""
    statement = (
        select(Event.customer_id, Event.id)
        .where(Event.customer_id.is_not(None), Event.event_type.not_in(consumer.OWN_EVENT_TYPES))
        .order_by(Event.id)
    )
    found: dict[int, list[int]] = defaultdict(list)
    for customer_id, event_id in session.execute(statement):
        if customer_id is not None:
            found[customer_id].append(event_id)
    return found


def _caught_up(database: Database, customer_ids: list[int]) -> bool:
    with database.session_scope(actor=SYSTEM) as session:
        expected = _relevant(session)
        rows = session.execute(
            select(CustomerStreamPosition.customer_id, CustomerStreamPosition.last_event_id)
        ).all()
    positions = {customer_id: last for customer_id, last in rows}
    return all(positions.get(c, 0) >= expected[c][-1] for c in customer_ids)


def _applied(database: Database) -> int:
    with database.session_scope(actor=SYSTEM) as session:
        return session.scalar(select(func.count()).select_from(StreamBatch)) or 0


def _wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _assert_applied_exactly_once_in_order(database: Database) -> dict[str, Any]:
    """Every relevant event lies in exactly one batch of its customer, and each customer's
    batches, in the order they committed, cover its events in id order without overlap."""
    with database.session_scope(actor=SYSTEM) as session:
        expected = _relevant(session)
        batches: dict[int, list[StreamBatch]] = defaultdict(list)
        for batch in session.scalars(select(StreamBatch).order_by(StreamBatch.id)):
            batches[batch.customer_id].append(batch)
        workers = {b.worker for group in batches.values() for b in group}
        for customer_id, ids in expected.items():
            applied: list[int] = []
            for batch in batches[customer_id]:
                covered = [i for i in ids if batch.first_event_id <= i <= batch.last_event_id]
                assert covered
                assert covered[0] == batch.first_event_id
                assert len(covered) == batch.events
                assert not applied or covered[0] > applied[-1], "a batch went back in the stream"
                applied.extend(covered)
            assert applied == ids, f"customer {customer_id}: applied {applied}, expected {ids}"
        per_rule = session.execute(
            select(Alert.customer_id, Alert.rule_id, func.count()).group_by(
                Alert.customer_id, Alert.rule_id
            )
        ).all()
        assert all(count == 1 for _, _, count in per_rule), per_rule
        dishonest = {c for c, rule, _ in per_rule if rule == "dishonest_debtor"}
        return {"workers": workers, "dishonest": dishonest, "batches": batches}


def test_a_worker_killed_inside_a_job_loses_no_event_and_doubles_no_alert_after_a_restart(
    stream_db: tuple[str, Database],
) -> None:
    url, database = stream_db
    customer_ids = _seed(database, 40)
    _ingest(database, customer_ids, round_=0, per_customer=5)
    # Eight partitions split the one window of 40 customers into eight jobs of five.
    with _running(
        _worker(url, "5", "worker", "--stalled-after", "2", script=PAUSE_IN_JOB, partitions=8)
    ) as first:
        assert first.stdout is not None
        line = first.stdout.readline()
        assert line.strip() == "PAUSED", line
        applied_before_kill = _applied(database)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL
    # four jobs committed; the fifth had rescored its customers when the worker died, and none
    # of that was kept
    assert 0 < _applied(database) == applied_before_kill < len(customer_ids)
    with _running(_worker(url, "worker", "--stalled-after", "2")):
        _wait_for(lambda: _caught_up(database, customer_ids), timeout=180, what="the stream")
    found = _assert_applied_exactly_once_in_order(database)
    assert found["dishonest"] == set(customer_ids[::5])


def test_two_workers_share_the_load_keep_each_customers_order_and_apply_no_event_twice(
    stream_db: tuple[str, Database],
) -> None:
    """The two dispatch with different partition counts, as while the setting is being changed:
    a customer's events then go into jobs of both partitionings."""
    url, database = stream_db
    customer_ids = _seed(database, 60, dishonest_every=10)
    with _running(_worker(url, "worker", partitions=3)), _running(_worker(url, "worker")):
        # The first round is applied before the next ones arrive, however slowly the workers
        # start on a busy machine: each customer's events then span several batches.
        _ingest(database, customer_ids, round_=0, per_customer=3)
        _wait_for(lambda: _caught_up(database, customer_ids), timeout=240, what="the stream")
        for round_ in range(1, 4):
            _ingest(database, customer_ids, round_=round_, per_customer=3)
            time.sleep(1.0)
        _wait_for(lambda: _caught_up(database, customer_ids), timeout=240, what="the stream")
    found = _assert_applied_exactly_once_in_order(database)
    assert len(found["workers"]) == 2
    assert max(len(group) for group in found["batches"].values()) > 1
    assert found["dishonest"] == set(customer_ids[::10])


def test_an_id_gap_of_an_open_transaction_holds_the_stream_until_that_transaction_ends(
    stream_db: tuple[str, Database],
) -> None:
    _, database = stream_db
    (customer_id,) = _seed(database, 1)
    with database.session_scope(actor=SYSTEM) as session:
        after = session.scalar(select(func.max(Event.id))) or 0

    def insert_event(session: Session, event_id: str) -> None:
        session.execute(
            text(
                "INSERT INTO events (event_id, event_type, customer_id, entity_type, entity_id, "
                "payload, occurred_at, recorded_at) VALUES (:e, 'invoice_issued', :c, "
                "'ingested', :e, '{}', now(), now())"
            ),
            {"e": event_id, "c": customer_id},
        )

    slow = database.session_factory()
    try:
        insert_event(slow, "slow")  # draws the next id, commits later
        with database.session_scope(actor=SYSTEM) as fast:
            insert_event(fast, "fast")
        with database.session_scope(actor=SYSTEM) as reader:
            held = consumer.read_window(reader, after=after)
        assert held.last_event_id == after  # the open transaction may still commit the gap
        slow.commit()
    finally:
        slow.close()
    with database.session_scope(actor=SYSTEM) as reader:
        window = consumer.read_window(reader, after=after)
    assert window.events == 2
    assert window.through == {customer_id: window.last_event_id}


def test_an_id_gap_of_a_rolled_back_transaction_is_passed_once_no_older_writer_is_open(
    stream_db: tuple[str, Database],
) -> None:
    _, database = stream_db
    customer_ids = _seed(database, 2)
    with database.session_scope(actor=SYSTEM) as session:
        after = session.scalar(select(func.max(Event.id))) or 0
    rolled_back = database.session_factory()
    rolled_back.info["actor"] = SYSTEM
    factories.bind(rolled_back)
    try:
        factories.invoice(customer_id=customer_ids[0])
        rolled_back.flush()
    finally:
        factories.bind(None)
        rolled_back.rollback()
        rolled_back.close()
    with database.session_scope(actor=SYSTEM) as session:
        factories.bind(session)
        try:
            factories.invoice(customer_id=customer_ids[1])
        finally:
            factories.bind(None)
    with database.session_scope(actor=SYSTEM) as reader:
        window = consumer.read_window(reader, after=after)
    assert window.events >= 1
    assert set(window.through) == {customer_ids[1]}


def _waiting_jobs(session: Session) -> dict[str, dict[str, int]]:
    rows = session.execute(
        text("SELECT lock, args FROM procrastinate_jobs WHERE queue_name = :queue"),
        {"queue": queue.QUEUE},
    ).all()
    return {lock: args for lock, args in rows}


def test_a_window_is_split_into_one_job_per_partition_of_its_customers(
    stream_db: tuple[str, Database],
) -> None:
    _url, database = stream_db
    customer_ids = _seed(database, 10, dishonest_every=100)
    _ingest(database, customer_ids, round_=0, per_customer=2)
    with database.session_scope(actor=SYSTEM) as session:
        summary = queue.dispatch(session, partitions=3)
        jobs = _waiting_jobs(session)
        by_lock = {
            lock: consumer.customers_through(
                session,
                after=args["after"],
                through=args["through"],
                partition=args["partition"],
                partitions=args["partitions"],
            )
            for lock, args in jobs.items()
        }
    assert summary.customers == len(customer_ids)
    assert {(args["after"], args["through"]) for args in jobs.values()} == {
        (0, summary.last_event_id)  # the first window: from the stream's start
    }
    assert {lock: set(customers) for lock, customers in by_lock.items()} == {
        queue.partition_lock(k, 3): {c for c in customer_ids if c % 3 == k}
        for k in {c % 3 for c in customer_ids}
    }


def test_a_retry_merged_into_a_waiting_job_widens_its_range_to_cover_both(
    stream_db: tuple[str, Database],
) -> None:
    """A failed job queues itself again with its range; a window dispatched since may wait in a
    later one. The merged job covers both (the positions skip what is applied already)."""
    _url, database = stream_db
    with database.session_scope(actor=SYSTEM) as session:
        queue.queue_ranges(session, [queue.StreamRange(3, 8, 400, 500)])
        queue.queue_ranges(session, [queue.StreamRange(3, 8, 100, 200)], attempt=1)
        jobs = _waiting_jobs(session)
    assert jobs == {
        queue.partition_lock(3, 8): {
            "partition": 3,
            "partitions": 8,
            "after": 100,
            "through": 500,
            "attempt": 0,
        }
    }


def test_a_window_merged_into_a_waiting_job_extends_its_range_within_its_partitioning(
    stream_db: tuple[str, Database],
) -> None:
    """A window just read continues what waits: one job for the partition, over both windows.
    A partition of another partitioning (workers disagreeing while the setting changes) keeps
    its own job: its customers are not the same."""
    _url, database = stream_db
    with database.session_scope(actor=SYSTEM) as session:
        queue.queue_ranges(session, [queue.StreamRange(3, 8, 100, 200)])
        queue.queue_ranges(session, [queue.StreamRange(3, 8, 200, 300)])
        queue.queue_ranges(session, [queue.StreamRange(3, 16, 200, 300)])
        jobs = _waiting_jobs(session)
    assert {lock: (args["after"], args["through"]) for lock, args in jobs.items()} == {
        queue.partition_lock(3, 8): (100, 300),
        queue.partition_lock(3, 16): (200, 300),
    }


def _job(session: Session, queue_name: str, status: str) -> int:
    """A job taken through procrastinate's statuses, so that its triggers record its events."""
    job_id = int(
        session.execute(
            text(
                "INSERT INTO procrastinate_jobs (queue_name, task_name, args) "
                "VALUES (:queue, 'task', '{}') RETURNING id"
            ),
            {"queue": queue_name},
        ).scalar_one()
    )
    for step in ("doing", status):
        session.execute(
            text(
                "UPDATE procrastinate_jobs SET status = CAST(:status AS procrastinate_job_status) "
                "WHERE id = :id"
            ),
            {"status": step, "id": job_id},
        )
    return job_id


def _events_of(session: Session, job_id: int) -> int:
    return int(
        session.scalar(
            text("SELECT count(*) FROM procrastinate_events WHERE job_id = :id"), {"id": job_id}
        )
        or 0
    )


def test_a_dispatcher_deletes_the_streams_succeeded_jobs_once_kept_their_time(
    stream_db: tuple[str, Database],
) -> None:
    """procrastinate keeps every finished job; the stream's succeeded ones are deleted, with
    their events, one keeping period after a dispatcher first saw them. Failed jobs, unfinished
    jobs and other queues' jobs stay."""
    _url, database = stream_db
    with database.session_scope(actor=SYSTEM) as session:
        done = _job(session, queue.QUEUE, "succeeded")
        failed = _job(session, queue.QUEUE, "failed")
        waiting = _job(session, queue.QUEUE, "todo")
        periodic = _job(session, "periodic", "succeeded")
        assert _events_of(session, done) > 0
    loop = queue.DispatchLoop(
        database, interval_seconds=1.0, partitions=2, keep_succeeded_seconds=0
    )
    loop.run_once()
    with database.session_scope(actor=SYSTEM) as session:
        later = _job(session, queue.QUEUE, "succeeded")
    loop.run_once()

    with database.session_scope(actor=SYSTEM) as session:
        left = set(session.execute(text("SELECT id FROM procrastinate_jobs")).scalars())
        events_of_done = _events_of(session, done)
    assert left == {failed, waiting, periodic, later}
    assert events_of_done == 0


def test_a_dispatcher_pass_deletes_the_batches_past_their_days(
    stream_db: tuple[str, Database],
) -> None:
    """``stream_batches`` grows by a row a customer application: each pass deletes the rows
    applied more than ``stream_batches_kept_days`` (seven) ago."""
    _url, database = stream_db
    now = utcnow()
    with database.session_scope(actor=SYSTEM) as session:
        for customer_id, days in ((1, 8), (2, 6)):
            applied_at = now - timedelta(days=days)
            session.add(
                StreamBatch(
                    customer_id=customer_id,
                    first_event_id=1,
                    last_event_id=1,
                    events=1,
                    first_recorded_at=applied_at,
                    applied_at=applied_at,
                )
            )
    queue.DispatchLoop(database, interval_seconds=1.0, partitions=2).run_once()

    with database.session_scope(actor=SYSTEM) as session:
        kept = list(session.scalars(select(StreamBatch.customer_id)))
    assert kept == [2]
