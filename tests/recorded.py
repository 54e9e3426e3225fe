"""What the recorders wrote: one record's audit entries and outbox events, oldest first, and the
audit chain once the session's entries are sealed into it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.audit.chain import ChainReport, seal_pending, verify_chain
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


def sealed_chain(session: Session) -> ChainReport:
    """Seal the session's pending entries (PostgreSQL inserts them pending, the background sealer
    links them after commit) in its own transaction, and verify the whole chain."""
    session.flush()
    connection = session.connection()
    seal_pending(connection)
    return verify_chain(connection)
