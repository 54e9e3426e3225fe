"""Collections over REST: the worklist, dunning runs, dunning notices and their letters, promises
to pay and their review (docs/collections.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import HTMLResponse

from fengkong.api.deps import DbSession, requires
from fengkong.api.etags import ExpectedVersion, tag
from fengkong.api.idempotency import IdempotentRoute, writes
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.collections import service
from fengkong.collections.letters import render_letter
from fengkong.collections.schemas import (
    DunningRunIn,
    DunningRunOut,
    Language,
    NoticeCancel,
    NoticeList,
    NoticeOut,
    PromiseCancel,
    PromiseCreate,
    PromiseList,
    PromiseOut,
    PromiseReviewIn,
    PromiseReviewOut,
    WorklistEntryOut,
    WorklistOut,
)
from fengkong.collections.status import NoticeStatus, PromiseStatus

router = APIRouter(tags=["collections"], route_class=IdempotentRoute)

Reader = Annotated[Actor, requires(Permission.COLLECTIONS_READ)]
Collector = Annotated[Actor, writes(Permission.COLLECTIONS_WRITE)]
Promiser = Annotated[Actor, writes(Permission.PROMISES_WRITE)]


@router.get("/collections/worklist", response_model=WorklistOut)
def worklist(
    session: DbSession,
    actor: Reader,
    as_of: date | None = None,
    level: Annotated[int | None, Query(ge=0, description="the customer's dunning level")] = None,
    owner_id: int | None = None,
    region: Annotated[str | None, Query(pattern=r"^[0-9]{2,6}$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> WorklistOut:
    """Customers with overdue invoices, highest overdue × PD first (one entry per currency)."""
    listed = service.worklist(
        session,
        actor,
        as_of=as_of,
        level=level,
        owner_id=owner_id,
        region=region,
        limit=limit,
        offset=offset,
    )
    return WorklistOut(
        as_of=listed.as_of,
        total=listed.total,
        items=[
            WorklistEntryOut.of(offset + index, entry)
            for index, entry in enumerate(listed.entries, start=1)
        ],
    )


@router.post("/dunning-runs", response_model=DunningRunOut)
def run_dunning(data: DunningRunIn, session: DbSession, actor: Collector) -> DunningRunOut:
    """Run dunning for ``run_on`` (default today); a second run the same day issues nothing."""
    summary = service.run_dunning(
        session,
        actor,
        today=data.run_on,
        customer_ids=data.customer_ids,
        language=data.language,
    )
    return DunningRunOut(
        run_on=summary.run_on,
        config_name=summary.config_name,
        config_version=summary.config_version,
        config_sha256=summary.config_sha256,
        notices_issued=summary.notices_issued,
        invoices_dunned=summary.invoices_dunned,
        notices_by_level=summary.notices_by_level,
        skipped=summary.skipped,
        legal_handover_customer_ids=list(summary.legal_handover_customer_ids),
        notice_ids=list(summary.notice_ids),
    )


@router.get("/dunning-notices", response_model=NoticeList)
def list_notices(
    session: DbSession,
    actor: Reader,
    customer_id: int | None = None,
    status_: Annotated[NoticeStatus | None, Query(alias="status")] = None,
    level: Annotated[int | None, Query(ge=1)] = None,
    run_on: date | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> NoticeList:
    """Notices, newest first."""
    total, notices = service.list_notices(
        session,
        actor,
        customer_id=customer_id,
        status=status_,
        level=level,
        run_on=run_on,
        limit=limit,
        offset=offset,
    )
    return NoticeList(total=total, items=[NoticeOut.of(notice) for notice in notices])


@router.get("/dunning-notices/{notice_id}", response_model=NoticeOut)
def get_notice(notice_id: int, session: DbSession, response: Response, actor: Reader) -> NoticeOut:
    """A notice with the invoices it covers."""
    notice = service.get_notice(session, actor, notice_id=notice_id)
    items = service.notice_items(session, actor, notice_id=notice_id)
    tag(response, notice.version)
    return NoticeOut.of(notice, items)


@router.get(
    "/dunning-notices/{notice_id}/letter",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}, "description": "the letter as HTML"}},
)
def notice_letter(
    notice_id: int,
    session: DbSession,
    actor: Reader,
    lang: Language | None = None,
) -> HTMLResponse:
    """The dunning letter as an HTML document, in ``lang`` (default: the notice's language)."""
    letter = service.letter(session, actor, notice_id=notice_id, language=lang)
    return HTMLResponse(
        render_letter(letter),
        headers={"Content-Language": letter.language.replace("_", "-")},
    )


@router.post("/dunning-notices/{notice_id}/cancel", response_model=NoticeOut)
def cancel_notice(
    notice_id: int,
    data: NoticeCancel,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Collector,
) -> NoticeOut:
    """Withdraw a notice; its invoices go back to the level they had before it."""
    notice = service.cancel_notice(
        session, actor, notice_id=notice_id, reason=data.reason, expected_version=expected
    )
    tag(response, notice.version)
    return NoticeOut.of(notice)


@router.get("/customers/{customer_id}/promises", response_model=PromiseList)
def list_promises(
    customer_id: int,
    session: DbSession,
    actor: Reader,
    status_: Annotated[PromiseStatus | None, Query(alias="status")] = None,
) -> PromiseList:
    promises = service.list_promises(session, actor, customer_id=customer_id, status=status_)
    return PromiseList(items=[PromiseOut.of(promise) for promise in promises])


@router.post(
    "/customers/{customer_id}/promises",
    response_model=PromiseOut,
    status_code=status.HTTP_201_CREATED,
)
def record_promise(
    customer_id: int,
    data: PromiseCreate,
    session: DbSession,
    response: Response,
    actor: Promiser,
) -> PromiseOut:
    """Record a promise to pay, for one invoice or for the customer's overdue as a whole."""
    promise = service.record_promise(session, actor, customer_id=customer_id, data=data)
    tag(response, promise.version, location=f"/api/v1/promises/{promise.id}")
    return PromiseOut.of(promise)


@router.get("/promises/{promise_id}", response_model=PromiseOut)
def get_promise(
    promise_id: int, session: DbSession, response: Response, actor: Reader
) -> PromiseOut:
    promise = service.get_promise(session, actor, promise_id=promise_id)
    tag(response, promise.version)
    return PromiseOut.of(promise)


@router.post("/promises/{promise_id}/cancel", response_model=PromiseOut)
def cancel_promise(
    promise_id: int,
    data: PromiseCancel,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Promiser,
) -> PromiseOut:
    """Withdraw an open promise."""
    promise = service.cancel_promise(
        session, actor, promise_id=promise_id, reason=data.reason, expected_version=expected
    )
    tag(response, promise.version)
    return PromiseOut.of(promise)


@router.post("/promises/review", response_model=PromiseReviewOut)
def review_promises(
    data: PromiseReviewIn, session: DbSession, actor: Collector
) -> PromiseReviewOut:
    """Judge open promises: kept when paid, broken when past due (plus grace) unpaid."""
    review = service.review_promises(session, actor, today=data.today)
    return PromiseReviewOut(
        today=review.today,
        reviewed=review.reviewed,
        kept=list(review.kept),
        broken=list(review.broken),
    )
