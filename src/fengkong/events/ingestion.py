"""Ingest a batch of typed events into the outbox, idempotently by ``event_id``.

Ingested events share the ``events`` table with the events the app's own writes emit, so the
consumer reads one stream in one order. Each is stored with ``entity_type = "ingested"`` and the
client's ``event_id``; a replay of an ``event_id`` already stored is counted as a duplicate and
changes nothing (``INSERT … ON CONFLICT DO NOTHING``, on SQLite ``INSERT OR IGNORE``). The batch
is validated as a whole first — every customer must exist and not be archived, no ``event_id``
may repeat within the batch — so a bad event stores none of them. Ingesting records the facts;
it does not write ledgers (ERPs do that through the REST API and imports).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fengkong import recorders
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.customers.models import Customer
from fengkong.errors import ValidationFailed
from fengkong.events.models import Event
from fengkong.events.schemas import MAX_BATCH, IncomingEvent
from fengkong.json_insert import insert_as_json
from fengkong.kit.id_sets import id_sets
from fengkong.kit.plain_rows import flushed_connection, plain_rows
from fengkong.kit.time import utcnow
from fengkong.records import field_error

INGESTED = "ingested"
_EVENTS = Event.metadata.tables[Event.__tablename__]
_CHUNK = 1_000


@dataclass(frozen=True, slots=True)
class IngestSummary:
    accepted: int
    duplicates: int
    duplicate_event_ids: list[str]


def _customers_by_id(session: Session, ids: Sequence[int]) -> dict[int, tuple[int, bool]]:
    found: dict[int, tuple[int, bool]] = {}
    for part in id_sets(session, sorted(set(ids)), chunk=_CHUNK):
        statement = select(Customer.id, Customer.archived_at).where(part.among(Customer.id))
        found.update(
            {cid: (cid, archived is not None) for cid, archived in plain_rows(session, statement)}
        )
    return found


def _customers_by_uscc(session: Session, codes: Sequence[str]) -> dict[str, tuple[int, bool]]:
    found: dict[str, tuple[int, bool]] = {}
    unique = sorted(set(codes))
    for start in range(0, len(unique), _CHUNK):
        statement = select(Customer.uscc, Customer.id, Customer.archived_at).where(
            Customer.uscc.in_(unique[start : start + _CHUNK])
        )
        found.update(
            {
                code: (cid, archived is not None)
                for code, cid, archived in plain_rows(session, statement)
            }
        )
    return found


def _resolve(session: Session, events: Sequence[IncomingEvent]) -> list[int]:
    by_id = _customers_by_id(session, [e.customer_id for e in events if e.customer_id is not None])
    by_uscc = _customers_by_uscc(
        session, [e.customer_uscc for e in events if e.customer_uscc is not None]
    )
    problems: list[dict[str, Any]] = []
    resolved: list[int] = []
    seen: dict[str, int] = {}
    for index, incoming in enumerate(events):
        if incoming.event_id in seen:
            problems.append(
                field_error(
                    f"events[{index}].event_id",
                    incoming.event_id,
                    f"repeats events[{seen[incoming.event_id]}].event_id",
                )
            )
        seen.setdefault(incoming.event_id, index)
        value: int | str | None
        if incoming.customer_id is not None:
            field, value, hit = "customer_id", incoming.customer_id, by_id.get(incoming.customer_id)
        else:
            field, value = "customer_uscc", incoming.customer_uscc
            hit = None if value is None else by_uscc.get(value)
        if hit is None:
            problems.append(field_error(f"events[{index}].{field}", value, "no such customer"))
            continue
        if hit[1]:
            problems.append(
                field_error(f"events[{index}].{field}", value, "the customer is archived")
            )
        resolved.append(hit[0])
    if problems:
        raise ValidationFailed(
            f"{len(problems)} problem(s) in the batch; no event was stored", details=problems
        )
    return resolved


def ingest_events(
    session: Session, actor: Actor, *, events: Sequence[IncomingEvent]
) -> IngestSummary:
    """Store the batch in order, skipping events whose ``event_id`` is already stored; one audit
    entry for the batch. Nothing is stored when any event is invalid."""
    auth_service.ensure_permission(actor, Permission.EVENTS_WRITE)
    if not events:
        return IngestSummary(accepted=0, duplicates=0, duplicate_event_ids=[])
    if len(events) > MAX_BATCH:
        raise ValidationFailed(
            f"at most {MAX_BATCH} events a batch",
            details=[field_error("events", len(events), f"at most {MAX_BATCH}")],
        )
    customer_ids = _resolve(session, events)
    now = utcnow()
    rows = [
        {
            "event_id": incoming.event_id,
            "event_type": incoming.type,
            "customer_id": customer_id,
            "entity_type": INGESTED,
            "entity_id": incoming.event_id,
            "payload": incoming.payload.model_dump(mode="json"),
            "occurred_at": incoming.occurred_at,
            "recorded_at": now,
        }
        for incoming, customer_id in zip(events, customer_ids, strict=True)
    ]
    connection = flushed_connection(session)
    stored: set[str] = set()
    as_json = insert_as_json(
        connection, _EVENTS, rows, skip_on_conflict_of="event_id", returning=("event_id",)
    )
    if as_json is not None:
        stored.update(as_json.scalars())
    else:
        insert: Any = (
            postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        )
        statement = (
            insert(_EVENTS)
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(_EVENTS.c.event_id)
        )
        for start in range(0, len(rows), _CHUNK):
            stored.update(connection.execute(statement, rows[start : start + _CHUNK]).scalars())
    duplicates = [e.event_id for e in events if e.event_id not in stored]
    recorders.record_bulk_load(
        session,
        action="ingest",
        entity_type=Event.__tablename__,
        summary={"received": len(events), "accepted": len(stored), "duplicates": len(duplicates)},
    )
    return IngestSummary(
        accepted=len(stored), duplicates=len(duplicates), duplicate_event_ids=duplicates
    )
