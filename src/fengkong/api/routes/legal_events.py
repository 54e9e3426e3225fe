from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Response, status

from fengkong.api.deps import DbSession, requires
from fengkong.api.etags import ExpectedVersion, tag
from fengkong.api.idempotency import IdempotentRoute, writes
from fengkong.api.params import PageParams, page_fields
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.kit.schemas import PageOut
from fengkong.legal_events import service
from fengkong.legal_events.kinds import LegalEventType
from fengkong.legal_events.schemas import LegalEventCreate, LegalEventRead, LegalEventUpdate

router = APIRouter(prefix="/legal-events", tags=["legal events"], route_class=IdempotentRoute)

Reader = Annotated[Actor, requires(Permission.LEGAL_EVENTS_READ)]
Writer = Annotated[Actor, writes(Permission.LEGAL_EVENTS_WRITE)]


class LegalEventPage(PageOut):
    items: list[LegalEventRead]


@router.get("", response_model=LegalEventPage)
def list_legal_events(
    session: DbSession,
    actor: Reader,
    page: PageParams,
    customer_id: int | None = None,
    event_type: LegalEventType | None = None,
    occurred_from: date | None = None,
    occurred_to: date | None = None,
    unresolved_only: bool = False,
    include_archived: bool = False,
    sort: service.LegalEventSort = service.LegalEventSort.OCCURRED_ON_DESC,
) -> LegalEventPage:
    result = service.list_legal_events(
        session,
        actor,
        criteria=service.LegalEventFilter(
            customer_id=customer_id,
            event_type=event_type,
            occurred_from=occurred_from,
            occurred_to=occurred_to,
            unresolved_only=unresolved_only,
            include_archived=include_archived,
        ),
        sort=sort,
        page=page,
    )
    return LegalEventPage(
        items=[LegalEventRead.of(event) for event in result.items], **page_fields(result)
    )


@router.get("/{legal_event_id}", response_model=LegalEventRead)
def get_legal_event(
    legal_event_id: int, session: DbSession, response: Response, actor: Reader
) -> LegalEventRead:
    event = service.get_legal_event(session, actor, legal_event_id=legal_event_id)
    tag(response, event.version)
    return LegalEventRead.of(event)


@router.post("", response_model=LegalEventRead, status_code=status.HTTP_201_CREATED)
def create_legal_event(
    data: LegalEventCreate, session: DbSession, response: Response, actor: Writer
) -> LegalEventRead:
    event = service.create_legal_event(session, actor, data=data)
    tag(response, event.version, location=f"/api/v1/legal-events/{event.id}")
    return LegalEventRead.of(event)


@router.patch("/{legal_event_id}", response_model=LegalEventRead)
def update_legal_event(
    legal_event_id: int,
    data: LegalEventUpdate,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> LegalEventRead:
    event = service.update_legal_event(
        session, actor, legal_event_id=legal_event_id, data=data, expected_version=expected
    )
    tag(response, event.version)
    return LegalEventRead.of(event)


@router.post("/{legal_event_id}/archive", response_model=LegalEventRead)
def archive_legal_event(
    legal_event_id: int,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> LegalEventRead:
    event = service.archive_legal_event(
        session, actor, legal_event_id=legal_event_id, expected_version=expected
    )
    tag(response, event.version)
    return LegalEventRead.of(event)


@router.post("/{legal_event_id}/restore", response_model=LegalEventRead)
def restore_legal_event(
    legal_event_id: int,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> LegalEventRead:
    event = service.restore_legal_event(
        session, actor, legal_event_id=legal_event_id, expected_version=expected
    )
    tag(response, event.version)
    return LegalEventRead.of(event)
