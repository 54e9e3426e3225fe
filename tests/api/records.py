"""What a write left behind, read straight from the tables: audit entries, outbox events, rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fengkong.audit.models import AuditEntry
from fengkong.events.models import Event

QueryValue = str | int | float | bool | None
"""A query-string value as the test client takes it."""


def audit_actions(session: Session, table: str, entity_id: object) -> list[str]:
    """The audited row changes of a record (views of its personal data are left out)."""
    statement = (
        select(AuditEntry.action)
        .where(
            AuditEntry.entity_type == table,
            AuditEntry.entity_id == str(entity_id),
            AuditEntry.action.in_(("create", "update", "delete")),
        )
        .order_by(AuditEntry.id)
    )
    return list(session.scalars(statement))


def event_types(session: Session, table: str, entity_id: object) -> list[str]:
    statement = (
        select(Event.event_type)
        .where(Event.entity_type == table, Event.entity_id == str(entity_id))
        .order_by(Event.id)
    )
    return list(session.scalars(statement))


def row_count(session: Session, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def error_fields(body: dict[str, Any]) -> set[str]:
    """The fields an error response names in its details."""
    return {detail["field"] for detail in body["error"]["details"] or []}
