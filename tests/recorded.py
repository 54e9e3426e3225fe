"""What the recorders wrote for one record: its audit entries and outbox events, oldest first."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.audit.models import AuditEntry
from fengkong.events.models import Event


def audit_entries_of(session: Session, entity_type: str, entity_id: object) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == str(entity_id))
            .order_by(AuditEntry.id)
        )
    )


def events_of(session: Session, entity_type: str, entity_id: object) -> list[Event]:
    return list(
        session.scalars(
            select(Event)
            .where(Event.entity_type == entity_type, Event.entity_id == str(entity_id))
            .order_by(Event.id)
        )
    )
