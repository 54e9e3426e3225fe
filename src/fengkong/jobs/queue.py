"""Production mode on PostgreSQL: procrastinate jobs, one per partition of customers with
pending events.

* The **dispatcher** (``dispatch``) locks the stream position, reads the next window of the
  outbox and, in the same transaction, inserts one job per partition (``customer_id %
  stream_partitions``, a setting) into procrastinate's ``procrastinate_jobs`` table through our
  own connection, then moves the position. Either both happen or neither: no event is dispatched
  twice and none is skipped. Every worker process runs a dispatcher loop; the position row lock
  makes them take turns.
* Each job carries a range of the stream, ``{"partition", "partitions", "after", "through"}``,
  with ``lock = "partition:<k>/<n>"`` (procrastinate runs jobs sharing a lock one at a time, in
  creation order: a customer stays in its partition while the setting holds, so its events are
  applied in order across any number of workers; its position row keeps them in order when it
  changes) and ``queueing_lock`` the same: while a partition's job still waits, a new window
  widens that job's range (``ON CONFLICT … DO UPDATE``; the waiting row is locked until our
  commit, so a worker cannot take it half-updated).
* The **task** reads the partition's customers named in its range with each one's last event
  (``consumer.customers_through``) and runs ``consumer.apply_customers`` for them in one
  transaction, skipping what each customer's position says is done: a job redelivered after a
  crash changes nothing. Batching customers matters: rescoring and evaluating 100 customers at
  once costs about a tenth per customer of doing them one by one (the configuration is loaded
  once a batch).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

import procrastinate
from procrastinate.schema import SchemaManager
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.database import open_database
from fengkong.db import Database
from fengkong.jobs import consumer, periodic
from fengkong.jobs.audit_seal import SealLoop
from fengkong.jobs.consumer import DEFAULT_WINDOW, PassSummary
from fengkong.jobs.loop import BackgroundLoop
from fengkong.kit.heap import freeze_startup_objects
from fengkong.kit.time import utcnow
from fengkong.settings import get_settings

logger = logging.getLogger(__name__)

QUEUE = "stream"
TASK_NAME = "fengkong.apply_stream_partition"
WORKER_ACTOR = Actor.system("stream-worker")
# A worker silent (no heartbeat) this long is taken for dead and its running job queued again.
STALLED_AFTER = 30.0
# A failing job (the database restarting, a deadlock) queues itself again after 2 s, 4 s, 8 s …
# (about 17 minutes over 10 attempts), merged into any job already waiting for the partition.
# Should every attempt fail, the customer's next event queues a job that applies everything
# after its position, the failed events included. (procrastinate's own retry would put the job
# back to "todo" and collide with a waiting job's queueing lock.)
MAX_ATTEMPTS = 10

# A partition's waiting job takes in the new range: it covers both (a retry or a requeued job
# carries an earlier range than a window dispatched since; any events between the two were
# dispatched too, and the customers' positions skip what is applied already). A job's arguments
# stay a few numbers however many customers it covers: when a job carried its customers' map,
# rewriting that ``jsonb`` on every merge was 13 % of PostgreSQL's time at a steady rate.
_DEFER = text(
    "INSERT INTO procrastinate_jobs "
    "(queue_name, task_name, priority, lock, queueing_lock, args, scheduled_at) "
    "VALUES (:queue, :task, 0, :lock, :lock, CAST(:args AS jsonb), :at) "
    "ON CONFLICT (queueing_lock) WHERE status = 'todo' DO UPDATE SET args = "
    "procrastinate_jobs.args || jsonb_build_object("
    "'after', least((procrastinate_jobs.args->>'after')::bigint, "
    "(EXCLUDED.args->>'after')::bigint), "
    "'through', greatest((procrastinate_jobs.args->>'through')::bigint, "
    "(EXCLUDED.args->>'through')::bigint))"
)
_STALLED = text(
    "UPDATE procrastinate_jobs SET status = 'failed' "
    "WHERE status = 'doing' AND queue_name = :queue AND (worker_id IS NULL OR worker_id IN ("
    "SELECT id FROM procrastinate_workers "
    "WHERE last_heartbeat < now() - make_interval(secs => :seconds))) "
    "RETURNING args"
)


# procrastinate keeps every finished job (and its events); the stream's are of no use once done
# (``stream_batches`` records what each applied) and come at ~40 a second at a steady rate. Each
# dispatcher deletes the succeeded ones it saw created at least ``SUCCEEDED_JOBS_KEPT_SECONDS``
# before; failed jobs stay for inspection.
SUCCEEDED_JOBS_KEPT_SECONDS = 600.0
_DELETE_SUCCEEDED = text(
    "DELETE FROM procrastinate_jobs "
    "WHERE id <= :upto AND queue_name = :queue AND status = 'succeeded'"
)
_LAST_JOB = text("SELECT coalesce(max(id), 0) FROM procrastinate_jobs")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def partition_lock(partition: int, partitions: int) -> str:
    return f"partition:{partition}/{partitions}"


@dataclass(frozen=True, slots=True)
class StreamRange:
    """A job's share of the stream: the events ``after`` < id <= ``through`` of the customers
    with ``customer_id % partitions == partition``."""

    partition: int
    partitions: int
    after: int
    through: int

    def job(self, *, attempt: int, at: Any) -> dict[str, Any]:
        return {
            "queue": QUEUE,
            "task": TASK_NAME,
            "lock": partition_lock(self.partition, self.partitions),
            "args": json.dumps(
                {
                    "partition": self.partition,
                    "partitions": self.partitions,
                    "after": self.after,
                    "through": self.through,
                    "attempt": attempt,
                }
            ),
            "at": at,
        }


def queue_ranges(
    session: Session, ranges: Sequence[StreamRange], *, attempt: int = 0, at: Any = None
) -> None:
    """Queue a job for each range, merged into its partition's waiting job if it has one, in
    the caller's transaction."""
    if ranges:
        session.execute(_DEFER, [r.job(attempt=attempt, at=at) for r in ranges])


def dispatch(session: Session, *, partitions: int, limit: int = DEFAULT_WINDOW) -> PassSummary:
    """Enqueue the next window of the stream as per-partition jobs and move the position, in the
    caller's transaction.

    ``partitions`` (the ``stream_partitions`` setting) bounds the parallelism (at most this many
    jobs run at once) and the batching (a window's customers are split this many ways); only
    the partitions the window has customers in get a job. Workers may disagree on it, as while
    it is being changed: a customer then sits in two partitionings' jobs (their locks differ),
    and its position row, locked while it is applied, makes the second wait for the first and
    apply only what is left."""
    position = consumer._lock_position(session, consumer.STREAM_CONSUMER)
    window = consumer.read_window(session, after=position.last_event_id, limit=limit)
    if window.last_event_id == position.last_event_id:
        return PassSummary(events=0, last_event_id=position.last_event_id, customers=0)
    queue_ranges(
        session,
        [
            StreamRange(k, partitions, window.after, window.last_event_id)
            for k in sorted({customer_id % partitions for customer_id in window.through})
        ],
    )
    position.last_event_id = window.last_event_id
    position.updated_at = utcnow()
    session.flush()
    return PassSummary(
        events=window.events, last_event_id=window.last_event_id, customers=len(window.through)
    )


def requeue_stalled(session: Session, *, stalled_after: float) -> int:
    """Jobs left running by a worker that stopped sending heartbeats (killed, machine lost) are
    marked failed and their customers queued again, in the caller's transaction. Applying is
    idempotent, so the new job does what the dead one did not commit, and nothing twice."""
    rows = session.execute(_STALLED, {"queue": QUEUE, "seconds": stalled_after}).scalars().all()
    queue_ranges(session, [_range_of(args) for args in rows])
    if rows:
        logger.warning("requeued %d job(s) of stalled workers", len(rows))
    return len(rows)


def _range_of(args: Mapping[str, Any]) -> StreamRange:
    return StreamRange(
        int(args["partition"]), int(args["partitions"]), int(args["after"]), int(args["through"])
    )


def delete_succeeded_jobs(session: Session, *, upto: int) -> int:
    """Delete the stream's succeeded jobs of id ``upto`` or below (their procrastinate events go
    with them), in the caller's transaction; how many."""
    result = session.execute(_DELETE_SUCCEEDED, {"upto": upto, "queue": QUEUE})
    return int(getattr(result, "rowcount", 0))


def last_job_id(session: Session) -> int:
    return int(session.scalar(_LAST_JOB) or 0)


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as a libpq connection string for procrastinate's psycopg pool."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ValueError("procrastinate workers need PostgreSQL (embedded mode runs in-process)")
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


@cache
def _database(url: str) -> Database:
    return open_database(url)


def apply_partition(
    stream_range: StreamRange, *, url: str | None = None, as_of: date | None = None
) -> consumer.ApplySummary:
    """The task body: apply the range's events to its partition's customers in one
    transaction."""
    database = _database(url or get_settings().resolved_database_url)
    with database.session_scope(actor=WORKER_ACTOR) as session:
        through = consumer.customers_through(
            session,
            after=stream_range.after,
            through=stream_range.through,
            partition=stream_range.partition,
            partitions=stream_range.partitions,
        )
        return consumer.apply_customers(
            session, WORKER_ACTOR, through=through, as_of=as_of, worker=worker_name()
        )


def make_app(url: str) -> procrastinate.App:
    """A procrastinate app on our database with the stream task and the periodic daily jobs
    (the drift watch) registered."""
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=libpq_url(url)),
        worker_defaults={"queues": [QUEUE, periodic.QUEUE]},
    )

    def _daily(timestamp: int) -> None:
        del timestamp  # the deferral time; the jobs run as of today where the business is
        periodic.run_daily_jobs(_database(url))

    daily = app.task(
        name=periodic.DRIFT_TASK,
        queue=periodic.QUEUE,
        queueing_lock=periodic.DRIFT_TASK,
        pass_context=False,
    )(_daily)
    app.periodic(cron=periodic.DRIFT_CRON)(daily)

    def _task(partition: int, partitions: int, after: int, through: int, attempt: int = 0) -> None:
        stream_range = StreamRange(partition, partitions, after, through)
        try:
            apply_partition(stream_range, url=url)
        except Exception:
            if attempt + 1 >= MAX_ATTEMPTS:
                raise
            logger.warning(
                "partition %s: attempt %d failed; retrying", partition, attempt + 1, exc_info=True
            )
            at = utcnow() + timedelta(seconds=2 ** (attempt + 1))
            with _database(url).session_scope(actor=WORKER_ACTOR) as session:
                queue_ranges(session, [stream_range], attempt=attempt + 1, at=at)

    app.task(name=TASK_NAME, queue=QUEUE, pass_context=False)(_task)
    return app


class DispatchLoop(BackgroundLoop):
    """Dispatches the stream every ``interval_seconds`` (at once again while a full window was
    read), in a daemon thread beside the procrastinate worker. Between passes, now and then: the
    jobs of stalled workers are queued again (every sixth of ``stalled_after``, not every pass:
    a pass comes five times a second) and succeeded jobs older than ``keep_succeeded_seconds``
    are deleted; every pass, ``stream_batches`` rows past their days (``consumer.prune_batches``:
    one row read when there are none)."""

    thread_name = "fengkong-dispatch"
    failure = "dispatching the event stream failed; retrying"

    def __init__(
        self,
        database: Database,
        *,
        interval_seconds: float,
        partitions: int,
        stalled_after: float = STALLED_AFTER,
        limit: int = DEFAULT_WINDOW,
        keep_succeeded_seconds: float = SUCCEEDED_JOBS_KEPT_SECONDS,
    ) -> None:
        super().__init__(interval_seconds=interval_seconds, first_wait=0.0)
        self.database = database
        self.partitions = partitions
        self.stalled_after = stalled_after
        self.limit = limit
        self.keep_succeeded_seconds = keep_succeeded_seconds
        self._stalled_check_at = 0.0
        self._cleanup_at = 0.0
        self._delete_upto: int | None = None

    def run_once(self) -> PassSummary:
        with self.database.session_scope(actor=WORKER_ACTOR) as session:
            clock = time.monotonic()
            if clock >= self._stalled_check_at:
                requeue_stalled(session, stalled_after=self.stalled_after)
                self._stalled_check_at = clock + self.stalled_after / 6
            if clock >= self._cleanup_at:
                if self._delete_upto is not None:
                    delete_succeeded_jobs(session, upto=self._delete_upto)
                self._delete_upto = last_job_id(session)
                self._cleanup_at = clock + self.keep_succeeded_seconds
            consumer.prune_batches(session)
            return dispatch(session, partitions=self.partitions, limit=self.limit)

    def step(self) -> float:
        summary = self.run_once()
        return 0.0 if summary.events >= self.limit else self.interval_seconds


def run_worker(
    url: str,
    *,
    concurrency: int = 1,
    dispatch_interval: float = 0.2,
    dispatch: bool = True,
    stop_when_idle: bool = False,
    stalled_after: float = STALLED_AFTER,
) -> None:
    """One ``fengkong worker`` process: a dispatcher thread, the audit chain's sealer and a
    procrastinate worker that sends a heartbeat every ``stalled_after / 5`` seconds and defers
    the periodic daily jobs."""
    loop = (
        DispatchLoop(
            _database(url),
            interval_seconds=dispatch_interval,
            partitions=get_settings().stream_partitions,
            stalled_after=stalled_after,
        )
        if dispatch
        else None
    )
    if loop is not None:
        loop.start()
    sealer = SealLoop(_database(url).engine)
    sealer.start()
    app = make_app(url)
    freeze_startup_objects()
    try:
        app.run_worker(
            queues=[QUEUE, periodic.QUEUE],
            concurrency=concurrency,
            name=worker_name(),
            wait=not stop_when_idle,
            update_heartbeat_interval=stalled_after / 5,
            stalled_worker_timeout=stalled_after,
        )
    finally:
        sealer.stop()
        if loop is not None:
            loop.stop()


def pending_jobs(session: Session) -> int:
    """Jobs of the stream queue not finished yet (todo or doing)."""
    count: Any = session.scalar(
        text(
            "SELECT count(*) FROM procrastinate_jobs "
            "WHERE queue_name = :queue AND status IN ('todo', 'doing')"
        ),
        {"queue": QUEUE},
    )
    return int(count or 0)


def schema_sql() -> str:
    """procrastinate's schema (of the pinned version), applied by migration 0010 on PostgreSQL."""
    return str(SchemaManager.get_schema())
