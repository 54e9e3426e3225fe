"""Apply the outbox stream to customers, in order, with exactly-once effects.

The stream is the ``events`` table (app writes and ingested events alike) in ``id`` order. Two
steps, the same on both backends:

* **read a window** (``read_window``): the events after a consumer's position, stopping before
  an id gap that an unfinished transaction may still fill (see ``_gap_is_final``), grouped into
  "customer → last event id";
* **apply** (``apply_customers``): for each customer, lock its ``customer_stream_positions`` row,
  take its events after that position up to the given id, rescore it, evaluate the monitoring
  rules for it and refresh its exposure snapshot, then move the position and record a
  ``stream_batches`` row — all in the caller's transaction. A batch delivered twice (a worker
  killed after the commit but before it acknowledged the job, say) finds the position already
  moved and changes nothing.

Embedded mode (SQLite) does both in one transaction (``process_pending``); production mode
(PostgreSQL) has a dispatcher enqueue one procrastinate job per partition of customers and range
of the stream (``fengkong.jobs.queue``); workers read each job's customers from its range
(``customers_through``) and run ``apply_customers`` for them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fengkong import recorders
from fengkong.auth.actor import Actor
from fengkong.db import UTCDateTime
from fengkong.events.models import Event
from fengkong.exposure import service as exposure_service
from fengkong.jobs.models import CustomerStreamPosition, StreamBatch
from fengkong.kit.id_sets import IdArray, id_sets
from fengkong.kit.plain_rows import flushed_connection, plain_rows
from fengkong.kit.time import business_today, utcnow
from fengkong.ledger_rows import read_ledger_rows
from fengkong.monitoring import service as monitoring_service
from fengkong.risk import service as risk_service
from fengkong.risk.models import ConsumerPosition, ScoreTrigger
from fengkong.settings import get_settings

STREAM_CONSUMER = "stream"
_POSITIONS = CustomerStreamPosition.metadata.tables[CustomerStreamPosition.__tablename__]
_BATCHES = StreamBatch.metadata.tables[StreamBatch.__tablename__]
# Events the consumer's own effects write (a grade change, an alert raised) and events of alert
# handling: they change no fact the rules read, so applying them would only repeat the work.
OWN_EVENT_TYPES = frozenset(
    {
        risk_service.RESCORED_EVENT,
        "alert_raised",
        "alert_updated",
        "monitoring_action_taken",
        "monitoring_action_updated",
    }
)
# How much later than an event's ``recorded_at`` an open transaction must have started for an id
# gap before that event to count as rolled back (clock skew between Python and the server).
GAP_MARGIN = timedelta(seconds=2)
DEFAULT_WINDOW = 10_000
BATCHES_PRUNED_A_PASS = 5_000
"""``stream_batches`` rows deleted a pass at most: a steady 5,000 events/s adds ~4,000 a second,
and passes come several times a second."""
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Window:
    """Events ``after`` < id <= ``last_event_id`` read in one pass; ``through`` maps each customer
    named by a relevant event to its last such event id."""

    after: int
    last_event_id: int
    events: int
    through: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ApplySummary:
    customers: int
    events: int
    skipped: int


def _lock_position(session: Session, name: str) -> ConsumerPosition:
    position = session.get(ConsumerPosition, name, with_for_update=True)
    if position is None:
        position = ConsumerPosition(name=name, last_event_id=0)
        session.add(position)
        session.flush()
    return position


def _oldest_open_writer(session: Session) -> datetime | None:
    """When the oldest other transaction that has written something in this database began
    (PostgreSQL). Only this database's: the ids come from its own sequence, so a writer in another
    database of the same server can never fill a gap."""
    started: datetime | None = session.scalar(
        text(
            "SELECT min(xact_start) FROM pg_stat_activity "
            "WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() "
            "AND datname = current_database()"
        )
    )
    return started


def _gap_is_final(session: Session, event_after_gap: int) -> bool:
    """Whether a missing id before the event ``event_after_gap`` will never appear.

    Ids come from a sequence in the order rows are inserted, but transactions commit in any order:
    a gap may be a rolled-back insert (or an ``ON CONFLICT DO NOTHING`` that consumed an id) — or
    a transaction still open that will commit it later. The missing id was drawn before the event
    after it, so its transaction began before that event was recorded: once every open writing
    transaction began later than that, the gap is final. SQLite has one writer at a time and
    commits in id order, so its gaps are always final. (The event's time is read here, not with
    the window: gaps are rare, and converting every row's time cost the dispatcher more.)"""
    if session.get_bind().dialect.name != "postgresql":
        return True
    oldest = _oldest_open_writer(session)
    if oldest is None:
        return True
    recorded = plain_rows(
        session, select(Event.recorded_at).where(Event.id == event_after_gap)
    ).scalar_one()
    return oldest > recorded + GAP_MARGIN


def read_window(session: Session, *, after: int, limit: int = DEFAULT_WINDOW) -> Window:
    """The events after ``after`` (at most ``limit``), up to the first id gap that is not final.

    Read as plain rows on the session's connection: a window is thousands of rows, and the ORM's
    row loading (for columns, no entities) cost the dispatcher more than the query."""
    rows = plain_rows(
        session,
        select(Event.id, Event.customer_id, Event.event_type)
        .where(Event.id > after)
        .order_by(Event.id)
        .limit(limit),
    ).all()
    last = after
    through: dict[int, int] = {}
    read = 0
    for event_id, customer_id, event_type in rows:
        if event_id != last + 1 and not _gap_is_final(session, event_id):
            break
        last = event_id
        read += 1
        if customer_id is not None and event_type not in OWN_EVENT_TYPES:
            through[customer_id] = event_id
    return Window(after=after, last_event_id=last, events=read, through=through)


def customers_through(
    session: Session, *, after: int, through: int, partition: int, partitions: int
) -> dict[int, int]:
    """Each customer of the partition (``customer_id % partitions``) named by a relevant event
    ``after`` < id <= ``through``, with its last such event id: a job's customers, read from the
    stream rather than carried by the job."""
    rows = plain_rows(
        session,
        select(Event.customer_id, func.max(Event.id))
        .where(
            Event.id > after,
            Event.id <= through,
            Event.customer_id % partitions == partition,
            Event.event_type.not_in(OWN_EVENT_TYPES),
        )
        .group_by(Event.customer_id),
    )
    # a NULL customer_id fails the partition's test, so none is grouped here
    return {cast(int, customer_id): int(last) for customer_id, last in rows}


def _ensure_positions(session: Session, customer_ids: Sequence[int]) -> None:
    if not customer_ids:
        return
    dialect = session.get_bind().dialect.name
    rows = [
        {"customer_id": c, "last_event_id": 0, "events_applied": 0, "updated_at": utcnow()}
        for c in customer_ids
    ]
    if dialect == "postgresql":
        statement: Any = postgresql.insert(_POSITIONS).on_conflict_do_nothing()
    else:
        statement = sqlite.insert(_POSITIONS).on_conflict_do_nothing()
    session.execute(statement, rows)


def _locked_positions(session: Session, customer_ids: Sequence[int]) -> dict[int, int]:
    """Each customer's position (its last applied event id), locked; created first for the
    customers met for the first time (most have one already: the insert is only sent when a
    customer has none)."""
    found = _lock_existing_positions(session, customer_ids)
    missing = [c for c in customer_ids if c not in found]
    if missing:
        _ensure_positions(session, missing)
        found.update(_lock_existing_positions(session, missing))
    return found


def _lock_existing_positions(session: Session, customer_ids: Sequence[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for part in id_sets(session, customer_ids, chunk=_CHUNK):
        statement = (
            select(_POSITIONS.c.customer_id, _POSITIONS.c.last_event_id)
            .where(part.among(_POSITIONS.c.customer_id))
            .order_by(_POSITIONS.c.customer_id)
            .with_for_update()
        )
        found.update((int(row[0]), int(row[1])) for row in plain_rows(session, statement))
    return found


# PostgreSQL: a job's bookkeeping in one statement once its effects are written — each
# customer's events after its position up to its ``through`` counted (in a LATERAL subquery: an
# index lookup a customer however many a job holds; as a join, PostgreSQL planned large jobs as
# a parallel hash join over the whole events table), its position moved and its batch recorded.
# The ranges go as three array parameters: one short statement, parsed and planned once a
# process. As three statements (count, move, insert) with the batches sent as JSON, it cost a
# worker ~10 % of a job.
_RECORD_APPLIED = text(
    "WITH due AS (SELECT b.customer_id, b.through_id, pending.first_id, pending.events, "
    "pending.first_recorded_at "
    "FROM unnest(CAST(:customers AS integer[]), CAST(:afters AS bigint[]), "
    "CAST(:throughs AS bigint[])) AS b(customer_id, after_id, through_id) "
    "CROSS JOIN LATERAL (SELECT min(e.id) AS first_id, count(*) AS events, "
    "min(e.recorded_at) AS first_recorded_at FROM events e "
    "WHERE e.customer_id = b.customer_id AND e.id > b.after_id AND e.id <= b.through_id "
    "AND e.event_type <> ALL(CAST(:own AS varchar[]))) AS pending "
    "WHERE pending.events > 0), "
    "moved AS (UPDATE customer_stream_positions AS p SET last_event_id = due.through_id, "
    "events_applied = p.events_applied + due.events, updated_at = :now "
    "FROM due WHERE p.customer_id = due.customer_id) "
    "INSERT INTO stream_batches (customer_id, first_event_id, last_event_id, events, "
    "first_recorded_at, applied_at, worker) "
    "SELECT customer_id, first_id, through_id, events, first_recorded_at, :applied_at, :worker "
    "FROM due ORDER BY customer_id RETURNING customer_id, events"
).bindparams(bindparam("now", type_=UTCDateTime()), bindparam("applied_at", type_=UTCDateTime()))
_MOVE_ONE = (
    update(_POSITIONS)
    .where(_POSITIONS.c.customer_id == bindparam("customer"))
    .values(
        last_event_id=bindparam("through"),
        events_applied=_POSITIONS.c.events_applied + bindparam("events", type_=BigInteger()),
        updated_at=bindparam("now"),
    )
)
# SQLite: customers a pending-events query (three bound parameters and an OR branch each).
_PENDING_CHUNK = 200


def _pending_on_sqlite(
    session: Session, bounds: Mapping[int, tuple[int, int]]
) -> Iterator[Sequence[Any]]:
    """Each customer's relevant events ``after`` < id <= ``through`` (``bounds[customer]``):
    customer, first id, count, first recorded — one statement a chunk of customers."""
    customer_ids = sorted(bounds)
    for start in range(0, len(customer_ids), _PENDING_CHUNK):
        chunk = customer_ids[start : start + _PENDING_CHUNK]
        ranges = [
            and_(Event.customer_id == c, Event.id > bounds[c][0], Event.id <= bounds[c][1])
            for c in chunk
        ]
        yield from plain_rows(
            session,
            select(
                Event.customer_id,
                func.min(Event.id),
                func.count(),
                func.min(Event.recorded_at),
            )
            .where(or_(*ranges), Event.event_type.not_in(OWN_EVENT_TYPES))
            .group_by(Event.customer_id),
        )


def _record_applied(
    session: Session,
    bounds: Mapping[int, tuple[int, int]],
    *,
    now: datetime,
    worker: str | None,
) -> dict[int, int]:
    """Move each customer's position to its ``through`` (``bounds[customer]`` = (position,
    through)) and record its batch of the relevant events in between; the customers that had
    any, with how many."""
    customer_ids = sorted(bounds)
    applied_at = utcnow()
    if session.get_bind().dialect.name == "postgresql":
        rows = flushed_connection(session).execute(
            _RECORD_APPLIED,
            {
                "customers": IdArray(customer_ids),
                "afters": IdArray([bounds[c][0] for c in customer_ids]),
                "throughs": IdArray([bounds[c][1] for c in customer_ids]),
                "own": sorted(OWN_EVENT_TYPES),
                "now": now,
                "applied_at": applied_at,
                "worker": worker,
            },
        )
        return {int(customer_id): int(events) for customer_id, events in rows}
    batches = [
        {
            # every row matched one of the customers asked for, so customer_id is never NULL
            "customer_id": cast(int, customer_id),
            "first_event_id": first,
            "last_event_id": bounds[cast(int, customer_id)][1],
            "events": count,
            "first_recorded_at": recorded,
            "applied_at": applied_at,
            "worker": worker,
        }
        for customer_id, first, count, recorded in _pending_on_sqlite(session, bounds)
    ]
    if not batches:
        return {}
    session.execute(
        _MOVE_ONE,
        [
            {
                "customer": batch["customer_id"],
                "through": batch["last_event_id"],
                "events": batch["events"],
                "now": now,
            }
            for batch in batches
        ],
    )
    session.execute(_BATCHES.insert(), batches)
    return {batch["customer_id"]: batch["events"] for batch in batches}


def apply_customers(
    session: Session,
    actor: Actor,
    *,
    through: Mapping[int, int],
    as_of: date | None = None,
    now: datetime | None = None,
    worker: str | None = None,
) -> ApplySummary:
    """Apply each customer's events after its position up to ``through[customer]``: rescore the
    customers that still exist, evaluate the monitoring rules for them and refresh their
    exposure snapshots, then move their positions and record one ``stream_batches`` row each —
    in the caller's transaction. Customers whose position is already at or past ``through``
    are skipped (a redelivered job), and so are those with no relevant event in between."""
    moment = now or utcnow()
    day = as_of or business_today(get_settings().zone)
    customer_ids = sorted(through)
    positions = _locked_positions(session, customer_ids)
    # ``through`` is a customer's last relevant event (``read_window``, ``customers_through``),
    # so a position short of it has that event, at least, to apply.
    due = {c: (positions[c], through[c]) for c in customer_ids if through[c] > positions[c]}
    if not due:
        return ApplySummary(customers=0, events=0, skipped=len(customer_ids))
    # Scoring, the rules and exposure read the same ledgers: once for the three. Their own
    # writes (scores, alerts, snapshots) change none of these rows. A deleted customer has no
    # row in them: its events only move its position.
    rows = read_ledger_rows(session, sorted(due), as_of=day)
    existing = sorted(row.id for row in rows.customers)
    if existing:
        with recorders.audit_at_end(session):
            scoring = risk_service.score_customers(
                session,
                actor,
                customer_ids=existing,
                as_of=day,
                trigger=ScoreTrigger.CHANGED,
                rows=rows,
            )
            monitoring_service.evaluate_customers(
                session,
                actor,
                customer_ids=existing,
                as_of=day,
                now=moment,
                rows=rows,
                ratings=scoring.ratings,
            )
            # The events that change a score change exposure too: the dashboard sums these rows.
            exposure_service.refresh_exposures(
                session, actor, customer_ids=existing, as_of=day, rows=rows, ratings=scoring.ratings
            )
    applied = _record_applied(session, due, now=moment, worker=worker)
    session.flush()
    return ApplySummary(
        customers=len(applied),
        events=sum(applied.values()),
        skipped=len(customer_ids) - len(applied),
    )


@dataclass(frozen=True, slots=True)
class PassSummary:
    """One pass of a consumer: the events read and how far its position moved."""

    events: int
    last_event_id: int
    customers: int


def process_pending(
    session: Session,
    actor: Actor,
    *,
    limit: int = DEFAULT_WINDOW,
    as_of: date | None = None,
    now: datetime | None = None,
    worker: str | None = None,
) -> PassSummary:
    """Embedded mode: read the next window and apply it to every customer it names, moving the
    stream position in the same transaction."""
    position = _lock_position(session, STREAM_CONSUMER)
    window = read_window(session, after=position.last_event_id, limit=limit)
    if window.last_event_id == position.last_event_id:
        return PassSummary(events=0, last_event_id=position.last_event_id, customers=0)
    applied = apply_customers(
        session, actor, through=window.through, as_of=as_of, now=now, worker=worker
    )
    position.last_event_id = window.last_event_id
    position.updated_at = utcnow()
    session.flush()
    return PassSummary(
        events=window.events, last_event_id=window.last_event_id, customers=applied.customers
    )


def prune_batches(
    session: Session,
    *,
    applied_before: datetime | None = None,
    limit: int = BATCHES_PRUNED_A_PASS,
) -> int:
    """Delete up to ``limit`` of the oldest ``stream_batches`` rows applied before
    ``applied_before`` (default: ``stream_batches_kept_days`` before now); how many. The record
    is for watching latency and checking delivery over days, and grows by a row a customer
    application. Oldest by id, the one index: one row read when there is nothing to delete; a
    row committed late (ids are taken before a job's commit) may outlive its time by a pass."""
    if applied_before is None:
        applied_before = utcnow() - timedelta(days=get_settings().stream_batches_kept_days)
    oldest = session.execute(
        select(_BATCHES.c.applied_at).order_by(_BATCHES.c.id).limit(1)
    ).scalar_one_or_none()
    if oldest is None or oldest >= applied_before:
        return 0
    head = select(_BATCHES.c.id).order_by(_BATCHES.c.id).limit(limit)
    result = session.execute(
        delete(_BATCHES).where(_BATCHES.c.id.in_(head), _BATCHES.c.applied_at < applied_before)
    )
    return int(getattr(result, "rowcount", 0))


def lag(session: Session) -> int:
    """How many outbox events the stream consumer has not read yet."""
    position = session.get(ConsumerPosition, STREAM_CONSUMER)
    after = position.last_event_id if position else 0
    return session.scalar(select(func.count()).select_from(Event).where(Event.id > after)) or 0
