"""Legal event use cases: lawsuits, judgments, enforcement, dishonest-debtor listings and the like,
one per customer, type, date and case number. Callers own the transaction; nothing here commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.customers.service import resolve_customer
from fengkong.errors import Conflict, NotFound, ValidationFailed
from fengkong.kit.pagination import Page, PageRequest, paginate
from fengkong.legal_events.kinds import LegalEventType
from fengkong.legal_events.models import LegalEvent
from fengkong.legal_events.schemas import LegalEventCreate, LegalEventUpdate
from fengkong.records import archive, check_version, ensure_not_archived, field_error, restore


class LegalEventNotFound(NotFound):
    code = "legal_event_not_found"


class DuplicateLegalEvent(Conflict):
    code = "duplicate_legal_event"


class LegalEventSort(StrEnum):
    OCCURRED_ON = "occurred_on"
    OCCURRED_ON_DESC = "-occurred_on"


_SORT_COLUMNS: dict[LegalEventSort, ColumnElement[Any]] = {
    LegalEventSort.OCCURRED_ON: LegalEvent.occurred_on.asc(),
    LegalEventSort.OCCURRED_ON_DESC: LegalEvent.occurred_on.desc(),
}


@dataclass(frozen=True, slots=True)
class LegalEventFilter:
    customer_id: int | None = None
    event_type: LegalEventType | None = None
    occurred_from: date | None = None
    occurred_to: date | None = None
    unresolved_only: bool = False
    include_archived: bool = False


def _filtered(criteria: LegalEventFilter) -> Select[LegalEvent]:
    statement = select(LegalEvent)
    if criteria.customer_id is not None:
        statement = statement.where(LegalEvent.customer_id == criteria.customer_id)
    if criteria.event_type is not None:
        statement = statement.where(LegalEvent.event_type == criteria.event_type)
    if criteria.occurred_from is not None:
        statement = statement.where(LegalEvent.occurred_on >= criteria.occurred_from)
    if criteria.occurred_to is not None:
        statement = statement.where(LegalEvent.occurred_on <= criteria.occurred_to)
    if criteria.unresolved_only:
        statement = statement.where(LegalEvent.resolved_on.is_(None))
    if not criteria.include_archived:
        statement = statement.where(LegalEvent.archived_at.is_(None))
    return statement


def list_legal_events(
    session: Session,
    actor: Actor,
    *,
    criteria: LegalEventFilter = LegalEventFilter(),
    sort: LegalEventSort = LegalEventSort.OCCURRED_ON_DESC,
    page: PageRequest = PageRequest(),  # noqa: B008 - frozen, safe as a default
) -> Page[LegalEvent]:
    statement = _filtered(criteria).order_by(_SORT_COLUMNS[sort], LegalEvent.id.asc())
    return paginate(session, statement, page)


def find_legal_event(session: Session, *, legal_event_id: int) -> LegalEvent | None:
    return session.get(LegalEvent, legal_event_id)


def get_legal_event(session: Session, actor: Actor, *, legal_event_id: int) -> LegalEvent:
    event = find_legal_event(session, legal_event_id=legal_event_id)
    if event is None:
        raise LegalEventNotFound(f"no legal event with id {legal_event_id}")
    return event


def _ensure_unique(
    session: Session,
    *,
    customer_id: int,
    event_type: LegalEventType,
    occurred_on: date,
    case_number: str,
    own_id: int | None = None,
) -> None:
    statement = select(LegalEvent.id).where(
        LegalEvent.customer_id == customer_id,
        LegalEvent.event_type == event_type,
        LegalEvent.occurred_on == occurred_on,
        LegalEvent.case_number == case_number,
    )
    if own_id is not None:
        statement = statement.where(LegalEvent.id != own_id)
    existing = session.scalar(statement)
    if existing is not None:
        message = f"already recorded as legal event {existing}"
        raise DuplicateLegalEvent(
            f"customer {customer_id} already has this {event_type} of {occurred_on} "
            f"(legal event {existing})",
            details=[
                field_error("customer_id", customer_id, message),
                field_error("event_type", event_type, message),
                field_error("occurred_on", occurred_on, message),
                field_error("case_number", case_number, message),
            ],
        )


def _check_dates(occurred_on: date, resolved_on: date | None) -> None:
    if resolved_on is not None and resolved_on < occurred_on:
        raise ValidationFailed(
            "an event cannot be resolved before it occurred",
            details=[field_error("resolved_on", resolved_on, f"before occurred_on {occurred_on}")],
        )


def create_legal_event(session: Session, actor: Actor, *, data: LegalEventCreate) -> LegalEvent:
    customer = resolve_customer(
        session, customer_id=data.customer_id, customer_uscc=data.customer_uscc
    )
    _check_dates(data.occurred_on, data.resolved_on)
    _ensure_unique(
        session,
        customer_id=customer.id,
        event_type=data.event_type,
        occurred_on=data.occurred_on,
        case_number=data.case_number,
    )
    event = LegalEvent(
        customer_id=customer.id,
        amount=data.amount.to_money() if data.amount else None,
        **data.model_dump(exclude={"customer_id", "customer_uscc", "amount"}),
    )
    session.add(event)
    session.flush()
    return event


def update_legal_event(
    session: Session,
    actor: Actor,
    *,
    legal_event_id: int,
    data: LegalEventUpdate,
    expected_version: int | None = None,
) -> LegalEvent:
    event = get_legal_event(session, actor, legal_event_id=legal_event_id)
    label = f"legal event {legal_event_id}"
    check_version(event, expected_version, label=label)
    ensure_not_archived(event, label=label)
    changes = data.model_dump(exclude_unset=True, exclude={"amount"})
    occurred_on = changes.get("occurred_on", event.occurred_on)
    _check_dates(occurred_on, changes.get("resolved_on", event.resolved_on))
    key = (
        changes.get("event_type", event.event_type),
        occurred_on,
        changes.get("case_number", event.case_number),
    )
    if key != (event.event_type, event.occurred_on, event.case_number):
        _ensure_unique(
            session,
            customer_id=event.customer_id,
            event_type=key[0],
            occurred_on=key[1],
            case_number=key[2],
            own_id=event.id,
        )
    for field, value in changes.items():
        setattr(event, field, value)
    if "amount" in data.model_fields_set:
        event.amount = data.amount.to_money() if data.amount else None
    session.flush()
    return event


def archive_legal_event(
    session: Session, actor: Actor, *, legal_event_id: int, expected_version: int | None = None
) -> LegalEvent:
    event = get_legal_event(session, actor, legal_event_id=legal_event_id)
    check_version(event, expected_version, label=f"legal event {legal_event_id}")
    archive(event)
    session.flush()
    return event


def restore_legal_event(
    session: Session, actor: Actor, *, legal_event_id: int, expected_version: int | None = None
) -> LegalEvent:
    event = get_legal_event(session, actor, legal_event_id=legal_event_id)
    check_version(event, expected_version, label=f"legal event {legal_event_id}")
    restore(event)
    session.flush()
    return event
