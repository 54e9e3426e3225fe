"""Ingesting typed events: stored in the outbox in order, idempotent by event_id, atomic on
validation errors that name the event's index and field."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fengkong.errors import PermissionDenied, ValidationFailed
from fengkong.events import ingestion
from fengkong.events.models import Event
from fengkong.events.schemas import EventBatchIn, IncomingEvent
from fengkong.kit.time import utcnow
from tests import factories
from tests.personas import Personas
from tests.sql_statements import statements_sent

_EVENT = TypeAdapter(IncomingEvent)


def invoice_event(event_id: str, customer: dict[str, Any], **payload: Any) -> IncomingEvent:
    return _EVENT.validate_python(
        {
            "event_id": event_id,
            "type": "invoice_issued",
            "occurred_at": "2026-11-20T08:00:00+08:00",
            **customer,
            "payload": {
                "invoice_number": f"INV-{event_id}",
                "amount_minor": 1_000_00,
                "currency": "CNY",
                "issue_date": "2026-11-20",
                "due_date": "2026-12-20",
                **payload,
            },
        }
    )


def _ingested(session: Session) -> list[Event]:
    statement = select(Event).where(Event.entity_type == ingestion.INGESTED).order_by(Event.id)
    return list(session.scalars(statement))


def test_a_batch_is_stored_in_order_on_the_outbox_with_customers_named_by_id_or_uscc(
    session: Session, personas: Personas
) -> None:
    first, second = factories.customer(), factories.customer()
    events = [
        invoice_event("erp-1", {"customer_id": first.id}),
        invoice_event("erp-2", {"customer_uscc": second.uscc}),
        invoice_event("erp-3", {"customer_id": first.id}),
    ]
    summary = ingestion.ingest_events(session, personas.alice_analyst.actor, events=events)
    assert (summary.accepted, summary.duplicates) == (3, 0)
    stored = _ingested(session)
    assert [e.event_id for e in stored] == ["erp-1", "erp-2", "erp-3"]
    assert [e.customer_id for e in stored] == [first.id, second.id, first.id]
    assert stored[0].event_type == "invoice_issued"
    assert stored[0].payload["amount_minor"] == 100000
    assert stored[0].occurred_at == events[0].occurred_at


def test_a_replayed_batch_changes_nothing_and_reports_its_duplicates(
    session: Session, personas: Personas
) -> None:
    customer = factories.customer()
    events = [invoice_event(f"replay-{n}", {"customer_id": customer.id}) for n in range(3)]
    actor = personas.alice_analyst.actor
    ingestion.ingest_events(session, actor, events=events[:2])
    before = session.scalar(select(func.count()).select_from(Event))
    summary = ingestion.ingest_events(session, actor, events=events)
    assert (summary.accepted, summary.duplicates) == (1, 2)
    assert summary.duplicate_event_ids == ["replay-0", "replay-1"]
    assert session.scalar(select(func.count()).select_from(Event)) == (before or 0) + 1
    again = ingestion.ingest_events(session, actor, events=events)
    assert (again.accepted, again.duplicates) == (0, 3)
    assert [e.event_id for e in _ingested(session)] == ["replay-0", "replay-1", "replay-2"]


def test_a_batch_with_an_unknown_customer_stores_nothing_and_names_the_event(
    session: Session, personas: Personas
) -> None:
    customer = factories.customer()
    archived = factories.customer(archived_at=utcnow())
    events = [
        invoice_event("ok-1", {"customer_id": customer.id}),
        invoice_event("bad-1", {"customer_id": 987654}),
        invoice_event("bad-2", {"customer_uscc": factories.make_uscc(99999)}),
        invoice_event("bad-3", {"customer_id": archived.id}),
        invoice_event("ok-1", {"customer_id": customer.id}),
    ]
    with pytest.raises(ValidationFailed) as raised:
        ingestion.ingest_events(session, personas.alice_analyst.actor, events=events)
    fields = [(d["field"], d["message"]) for d in raised.value.details]
    assert fields == [
        ("events[1].customer_id", "no such customer"),
        ("events[2].customer_uscc", "no such customer"),
        ("events[3].customer_id", "the customer is archived"),
        ("events[4].event_id", "repeats events[0].event_id"),
    ]
    assert _ingested(session) == []


def test_payloads_are_typed_per_event_kind_and_refuse_unknown_fields() -> None:
    base = {"event_id": "x", "occurred_at": "2026-11-20T00:00:00Z", "customer_id": 1}
    with pytest.raises(ValidationError) as raised:
        EventBatchIn.model_validate(
            {
                "events": [
                    {**base, "type": "legal_event", "payload": {"kind": "enforcement"}},
                    {
                        **base,
                        "type": "order_placed",
                        "payload": {
                            "order_number": "SO-1",
                            "amount_minor": 1,
                            "currency": "CNY",
                            "order_date": "2026-11-20",
                            "owner_id": 7,
                        },
                    },
                    {**base, "type": "shipment_sent", "payload": {}},
                ]
            }
        )
    locations = {tuple(error["loc"]) for error in raised.value.errors()}
    assert ("events", 0, "legal_event", "payload", "case_number") in locations
    assert ("events", 1, "order_placed", "payload", "owner_id") in locations
    assert any(loc[:2] == ("events", 2) for loc in locations)


def test_an_event_names_its_customer_exactly_once_and_has_an_aware_time() -> None:
    body = {"event_id": "x", "type": "customer_updated", "payload": {"changes": {"name": "新"}}}
    with pytest.raises(ValidationError):
        _EVENT.validate_python({**body, "occurred_at": "2026-11-20T00:00:00Z"})
    with pytest.raises(ValidationError):
        _EVENT.validate_python({**body, "occurred_at": "2026-11-20T00:00:00", "customer_id": 1})


def test_ingesting_needs_events_write(session: Session, personas: Personas) -> None:
    customer = factories.customer()
    with pytest.raises(PermissionDenied):
        ingestion.ingest_events(
            session,
            personas.sam_sales.actor,
            events=[invoice_event("sales-1", {"customer_id": customer.id})],
        )


def test_a_batch_goes_in_one_insert_and_keeps_every_value_exactly(
    session: Session, personas: Personas
) -> None:
    """On PostgreSQL the batch travels as one JSON parameter of one insert (not a page of
    placeholders per thousand events); what comes back is what was sent: text that looks like
    SQL or JSON, Chinese, a time to the microsecond in another zone."""
    customer = factories.customer()
    actor = personas.alice_analyst.actor
    ingestion.ingest_events(
        session, actor, events=[invoice_event("dup-0", {"customer_id": customer.id})]
    )
    hostile = '\'); DROP TABLE events; -- "}\\u0000 {"a": 1} 发票'
    events = [
        _EVENT.validate_python(
            {
                "event_id": f"exact-{n}",
                "type": "customer_updated",
                "occurred_at": f"2026-11-20T08:00:00.{n:06d}+08:00",
                "customer_id": customer.id,
                "payload": {
                    "changes": {
                        "name": f"{hostile}{n}",
                        "n": n,
                        "ok": True,
                        "ratio": n / 3,
                        "gone": None,
                    }
                },
            }
        )
        for n in range(1, 1_201)
    ] + [invoice_event("dup-0", {"customer_id": customer.id})]

    def ingest() -> None:
        summary = ingestion.ingest_events(session, actor, events=events)
        assert (summary.accepted, summary.duplicates) == (1_200, 1)
        assert summary.duplicate_event_ids == ["dup-0"]

    inserts = [
        s for s in statements_sent(session, ingest) if s.lstrip().startswith("INSERT INTO events")
    ]
    if session.get_bind().dialect.name == "postgresql":
        assert len(inserts) == 1
        assert "json_to_recordset" in inserts[0]
    stored = [e for e in _ingested(session) if e.event_id.startswith("exact-")]
    assert [e.event_id for e in stored] == [f"exact-{n}" for n in range(1, 1_201)]
    assert [e.payload for e in stored] == [e.payload.model_dump(mode="json") for e in events[:-1]]
    assert [e.occurred_at for e in stored] == [e.occurred_at for e in events[:-1]]
    assert stored[4].occurred_at.microsecond == 5
