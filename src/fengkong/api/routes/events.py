"""The event stream over REST: post batches of typed events (docs/monitoring-stream.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from fengkong.api.deps import DbSession
from fengkong.api.idempotency import IdempotentRoute, writes
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.events import ingestion
from fengkong.events.schemas import EventBatchIn, EventBatchOut

router = APIRouter(prefix="/events", tags=["events"], route_class=IdempotentRoute)

Writer = Annotated[Actor, writes(Permission.EVENTS_WRITE)]


@router.post("", response_model=EventBatchOut)
def post_events(data: EventBatchIn, session: DbSession, actor: Writer) -> EventBatchOut:
    """Store up to 10,000 typed events in order. Idempotent by ``event_id``: an event already
    stored is counted as a duplicate and changes nothing. A batch with any invalid event (unknown
    or archived customer, an ``event_id`` repeated in the batch) stores nothing; ``details``
    name each event by its index and field. The consumer then rescores each named customer and
    evaluates the monitoring rules for it."""
    summary = ingestion.ingest_events(session, actor, events=data.events)
    return EventBatchOut(
        accepted=summary.accepted,
        duplicates=summary.duplicates,
        duplicate_event_ids=summary.duplicate_event_ids,
    )
