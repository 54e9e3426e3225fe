"""Periodic reviews in the UI: the list (overdue and due first), starting a review and the
complete form with its checklist (docs/reviews.md)."""

from __future__ import annotations

from datetime import date
from operator import attrgetter
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from fengkong.api.deps import DbSession
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.errors import DomainError
from fengkong.i18n import N_, translations
from fengkong.kit.time import business_today
from fengkong.reports.exports import (
    MAX_EXPORT_ROWS,
    ColumnKind,
    ExportColumn,
    ExportTable,
)
from fengkong.reviews import service
from fengkong.reviews.models import Review
from fengkong.reviews.status import (
    OPEN_STATUSES,
    REVIEW_STATUS_LABELS,
    GradeOutcome,
    LimitOutcome,
    ReviewStatus,
)
from fengkong.web import sessions
from fengkong.web.deps import app_settings, request_locale, requires
from fengkong.web.exports import export_format, export_response
from fengkong.web.templating import render

router = APIRouter(include_in_schema=False)

MAX_FLASH_LENGTH = 400
CHECKLIST_LABELS: dict[str, str] = {
    "financials_updated": N_("Financial statements updated"),
    "credit_report_pulled": N_("Credit report pulled"),
    "limit_reassessed": N_("Limit reassessed"),
    "visit_or_call_notes": N_("Visit or call notes recorded"),
}
GRADE_OUTCOME_LABELS: dict[GradeOutcome, str] = {
    GradeOutcome.CONFIRMED: N_("Grade confirmed"),
    GradeOutcome.OVERRIDDEN: N_("Grade overridden"),
}
LIMIT_OUTCOME_LABELS: dict[LimitOutcome, str] = {
    LimitOutcome.KEPT: N_("Limit kept"),
    LimitOutcome.CHANGED: N_("Limit changed"),
}
_STARTED = N_("Review %(id)s started.")
_COMPLETED = N_("Review %(id)s completed; the next one is due on %(due)s.")


def _gettext(request: Request) -> Any:
    return translations(request_locale(request)).gettext


def _listed(session: Session, actor: Actor, *, show: str, today: date, limit: int) -> list[Review]:
    """The reviews ``show`` picks: ``overdue`` or ``mine`` narrow the open ones, ``all`` adds
    the closed ones."""
    rows = service.list_reviews(
        session,
        actor,
        today=today,
        overdue=show == "overdue",
        assignee_id=actor.user_id if show == "mine" else None,
        limit=limit,
    )
    return rows if show == "all" else [row for row in rows if row.status in OPEN_STATUSES]


@router.get("/reviews")
def reviews_page(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.REVIEWS_READ)],
    show: str = "open",
) -> Response:
    """Open reviews by due date, so overdue ones lead; ``show=overdue`` or ``show=mine`` narrow
    the list, ``show=all`` adds the closed ones."""
    today = business_today(app_settings(request).zone)
    rows = _listed(session, actor, show=show, today=today, limit=500)
    return render(
        request,
        "reviews/list.html",
        {
            "rows": rows,
            "today": today,
            "show": show,
            "open_statuses": OPEN_STATUSES,
            "scheduled": ReviewStatus.SCHEDULED,
            "status_labels": REVIEW_STATUS_LABELS,
            "checklist_labels": CHECKLIST_LABELS,
            "grade_outcomes": GRADE_OUTCOME_LABELS,
            "limit_outcomes": LIMIT_OUTCOME_LABELS,
            "can_write": actor.can(Permission.REVIEWS_WRITE),
            "export_query": str(request.query_params),
        },
    )


@router.get("/reviews/export.{fmt}")
def export_reviews(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.REVIEWS_READ)],
    fmt: str,
    show: str = "open",
) -> Response:
    """The reviews as the list shows them, as Excel or CSV."""
    chosen = export_format(fmt)
    gettext = _gettext(request)
    today = business_today(app_settings(request).zone)
    table: ExportTable[Review] = ExportTable(
        N_("Reviews"),
        [
            ExportColumn(N_("Review"), attrgetter("id"), ColumnKind.NUMBER),
            ExportColumn(N_("Customer"), attrgetter("customer_id"), ColumnKind.NUMBER),
            ExportColumn(N_("Due"), attrgetter("due_on"), ColumnKind.DATE),
            ExportColumn(N_("Grade"), attrgetter("grade")),
            ExportColumn(N_("Status"), lambda r: gettext(REVIEW_STATUS_LABELS[r.status])),
            ExportColumn(N_("Completed"), attrgetter("completed_on"), ColumnKind.DATE),
            ExportColumn(N_("Completed by"), attrgetter("completed_by")),
        ],
    )
    rows = _listed(session, actor, show=show, today=today, limit=MAX_EXPORT_ROWS)
    return export_response(
        request, session, actor, entity_type="reviews", table=table, rows=rows, fmt=chosen
    )


@router.post("/reviews/{review_id:int}/start")
def start_review(
    request: Request,
    review_id: int,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.REVIEWS_WRITE)],
) -> Response:
    try:
        with session.begin_nested():
            service.start_review(session, actor, review_id=review_id)
    except DomainError as error:
        sessions.flash(request, "error", error.message[:MAX_FLASH_LENGTH])
    else:
        sessions.flash(request, "success", _gettext(request)(_STARTED) % {"id": review_id})
    return RedirectResponse(f"/reviews#review-{review_id}", status_code=303)


@router.post("/reviews/{review_id:int}/complete")
def complete_review(
    request: Request,
    review_id: int,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.REVIEWS_WRITE)],
    grade_outcome: Annotated[GradeOutcome, Form()],
    limit_outcome: Annotated[LimitOutcome, Form()],
    tick: Annotated[list[str] | None, Form(max_length=64)] = None,
    override_grade: Annotated[str, Form(max_length=8)] = "",
    override_reason: Annotated[str, Form(max_length=4000)] = "",
    limit_request_id: Annotated[str, Form(max_length=12)] = "",
    notes: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    back = RedirectResponse(f"/reviews#review-{review_id}", status_code=303)
    request_id = int(limit_request_id) if limit_request_id.strip().isdigit() else None
    try:
        with session.begin_nested():
            done = service.complete_review(
                session,
                actor,
                review_id=review_id,
                today=business_today(app_settings(request).zone),
                grade_outcome=grade_outcome,
                limit_outcome=limit_outcome,
                override_grade=override_grade,
                override_reason=override_reason,
                limit_request_id=request_id,
                notes=notes,
                tick=tuple(tick or ()),
            )
    except DomainError as error:
        sessions.flash(request, "error", error.message[:MAX_FLASH_LENGTH])
    else:
        params = {"id": review_id, "due": done.next_review.due_on.isoformat()}
        sessions.flash(request, "success", _gettext(request)(_COMPLETED) % params)
    return back
