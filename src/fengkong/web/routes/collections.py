"""Collections in the UI: the worklist (ranked by overdue × PD, with filters and a form to record
a promise to pay), the dunning notices with their letters, and the button that runs dunning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from operator import attrgetter
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fengkong.api.deps import DbSession
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.collections import service as collections_service
from fengkong.collections.letters import render_letter
from fengkong.collections.models import DunningNotice
from fengkong.collections.schemas import PromiseCreate
from fengkong.collections.status import NoticeStatus
from fengkong.collections.worklist import WorklistEntry
from fengkong.errors import DomainError
from fengkong.i18n import N_, translations
from fengkong.kit.amounts import PositiveMoneyIn
from fengkong.kit.time import business_today
from fengkong.reports.exports import (
    MAX_EXPORT_ROWS,
    ColumnKind,
    ExportColumn,
    ExportTable,
)
from fengkong.web import sessions
from fengkong.web.deps import app_settings, request_locale, requires
from fengkong.web.exports import export_format, export_response
from fengkong.web.templating import render

router = APIRouter(prefix="/collections", include_in_schema=False)

PAGE_SIZE = 50
LEVELS = (0, 1, 2, 3, 4)

LEVEL_LABELS: dict[str, str] = {
    "reminder": N_("Reminder"),
    "second_notice": N_("Second notice"),
    "final_notice": N_("Final notice"),
    "legal_handover": N_("Legal hand-over"),
}
NOTICE_STATUS_LABELS: dict[NoticeStatus, str] = {
    NoticeStatus.ISSUED: N_("Issued"),
    NoticeStatus.CANCELLED: N_("Cancelled"),
}
_PROMISE_RECORDED = N_("Promise to pay of %(amount)s by %(date)s recorded.")
_PROMISE_REFUSED = N_("The promise was not recorded: %(reason)s")
_RUN_DONE = N_("Dunning run of %(date)s: %(notices)s notice(s) covering %(invoices)s invoice(s).")


WORKLIST_EXPORT: ExportTable[WorklistEntry] = ExportTable(
    N_("Collections"),
    [
        ExportColumn(N_("Customer"), attrgetter("customer_name")),
        ExportColumn(N_("Customer number"), attrgetter("customer_id"), ColumnKind.NUMBER),
        ExportColumn(N_("Region"), attrgetter("region_code")),
        ExportColumn(N_("Currency"), attrgetter("currency")),
        ExportColumn(N_("Overdue"), lambda e: e.overdue_money.amount, ColumnKind.MONEY),
        ExportColumn(N_("Disputed"), lambda e: e.disputed_money.amount, ColumnKind.MONEY),
        ExportColumn(N_("Days past due"), attrgetter("oldest_days_past_due"), ColumnKind.NUMBER),
        ExportColumn(N_("Dunning level"), attrgetter("dunning_level"), ColumnKind.NUMBER),
        ExportColumn(N_("Grade"), attrgetter("grade")),
        ExportColumn(N_("Probability of default"), attrgetter("pd"), ColumnKind.SHARE),
        ExportColumn(N_("Priority"), attrgetter("priority"), ColumnKind.MONEY),
        ExportColumn(N_("Promised"), lambda e: e.promised_money.amount, ColumnKind.MONEY),
        ExportColumn(N_("Next promise due"), attrgetter("next_promise_due"), ColumnKind.DATE),
        ExportColumn(N_("Broken promises"), attrgetter("broken_promises"), ColumnKind.NUMBER),
    ],
)


@dataclass(frozen=True, slots=True)
class WorklistQuery:
    level: int | None
    region: str
    mine: bool
    page: int

    @property
    def is_filtered(self) -> bool:
        return self.level is not None or bool(self.region) or self.mine


def _level_names() -> dict[int, str]:
    config = collections_service.configuration()
    return {level.level: level.name for level in config.levels}


@router.get("")
def worklist_page(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.COLLECTIONS_READ)],
    level: Annotated[str, Query()] = "",
    region: Annotated[str, Query(max_length=6)] = "",
    mine: Annotated[bool, Query()] = False,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    """Customers with overdue invoices, highest overdue × PD first."""
    chosen_level = int(level) if level.isdigit() else None
    region_prefix = region if region.isdigit() else ""
    query = WorklistQuery(level=chosen_level, region=region_prefix, mine=mine, page=page)
    listed = collections_service.worklist(
        session,
        actor,
        level=chosen_level,
        region=region_prefix or None,
        owner_id=actor.user_id if mine else None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    pages = max(1, -(-listed.total // PAGE_SIZE))
    return render(
        request,
        "collections/worklist.html",
        {
            "worklist": listed,
            "query": query,
            "pages": pages,
            "first_rank": (page - 1) * PAGE_SIZE + 1,
            "levels": LEVELS,
            "level_names": _level_names(),
            "level_labels": LEVEL_LABELS,
            "can_promise": actor.can(Permission.PROMISES_WRITE),
            "can_run": actor.can(Permission.COLLECTIONS_WRITE),
            "today": business_today(app_settings(request).zone),
            "export_query": str(request.query_params),
        },
    )


@router.get("/export.{fmt}")
def export_worklist(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.COLLECTIONS_READ)],
    fmt: str,
    level: Annotated[str, Query()] = "",
    region: Annotated[str, Query(max_length=6)] = "",
    mine: Annotated[bool, Query()] = False,
) -> Response:
    """The worklist as filtered, every page of it in rank order, as Excel or CSV."""
    chosen = export_format(fmt)
    listed = collections_service.worklist(
        session,
        actor,
        level=int(level) if level.isdigit() else None,
        region=region if region.isdigit() else None,
        owner_id=actor.user_id if mine else None,
        limit=MAX_EXPORT_ROWS,
    )
    return export_response(
        request,
        session,
        actor,
        entity_type="collections_worklist",
        table=WORKLIST_EXPORT,
        rows=listed.entries,
        fmt=chosen,
    )


@router.post("/promises")
def record_promise(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.PROMISES_WRITE)],
    customer_id: Annotated[int, Form()],
    amount: Annotated[str, Form(max_length=32)],
    due_on: Annotated[str, Form(max_length=10)],
    currency: Annotated[str, Form(max_length=3)] = "CNY",
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Record a promise from the worklist and come back to it with a message."""
    catalogue = translations(request_locale(request))
    try:
        data = PromiseCreate(
            amount=PositiveMoneyIn(amount=amount, currency=currency),
            due_on=date.fromisoformat(due_on),
            note=note.strip() or None,
        )
        promise = collections_service.record_promise(
            session, actor, customer_id=customer_id, data=data
        )
    except (ValueError, DomainError) as error:
        reason = error.message if isinstance(error, DomainError) else str(error).splitlines()[0]
        sessions.flash(request, "error", catalogue.gettext(_PROMISE_REFUSED) % {"reason": reason})
        return RedirectResponse("/collections", status_code=303)
    sessions.flash(
        request,
        "success",
        catalogue.gettext(_PROMISE_RECORDED)
        % {
            "amount": f"{promise.amount.currency} {promise.amount.amount:,}",
            "date": promise.due_on,
        },
    )
    return RedirectResponse("/collections", status_code=303)


@router.post("/dunning-run")
def run_dunning(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.COLLECTIONS_WRITE)],
) -> Response:
    """Run today's dunning; a second run the same day issues nothing new."""
    summary = collections_service.run_dunning(session, actor)
    catalogue = translations(request_locale(request))
    message = catalogue.gettext(_RUN_DONE) % {
        "date": summary.run_on.isoformat(),
        "notices": summary.notices_issued,
        "invoices": summary.invoices_dunned,
    }
    sessions.flash(request, "success", message)
    return RedirectResponse("/collections/notices", status_code=303)


@router.get("/notices")
def notices_page(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.COLLECTIONS_READ)],
    status: Annotated[str, Query()] = "",
    customer_id: Annotated[int | None, Query()] = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    """Dunning notices, newest first, each with its letter in Chinese and English."""
    chosen = _notice_status(status)
    total, notices = collections_service.list_notices(
        session,
        actor,
        status=chosen,
        customer_id=customer_id,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    return render(
        request,
        "collections/notices.html",
        {
            "notices": notices,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "status": chosen,
            "customer_id": customer_id,
            "statuses": list(NoticeStatus),
            "status_labels": NOTICE_STATUS_LABELS,
            "level_labels": LEVEL_LABELS,
            "can_run": actor.can(Permission.COLLECTIONS_WRITE),
            "export_query": _notice_filters(chosen, customer_id),
        },
    )


def _notice_status(value: str) -> NoticeStatus | None:
    return NoticeStatus(value) if value in {s.value for s in NoticeStatus} else None


def _notice_filters(status: NoticeStatus | None, customer_id: int | None) -> str:
    """The notice list's filters as a query string (not its page: an export holds every page)."""
    filters = {"status": status.value if status else None, "customer_id": customer_id}
    return urlencode({name: value for name, value in filters.items() if value is not None})


@router.get("/notices/export.{fmt}")
def export_notices(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.COLLECTIONS_READ)],
    fmt: str,
    status: Annotated[str, Query()] = "",
    customer_id: Annotated[int | None, Query()] = None,
) -> Response:
    """The dunning notices as filtered, newest first, as Excel or CSV."""
    chosen = export_format(fmt)
    gettext = translations(request_locale(request)).gettext
    _, notices = collections_service.list_notices(
        session,
        actor,
        status=_notice_status(status),
        customer_id=customer_id,
        limit=MAX_EXPORT_ROWS,
    )
    table: ExportTable[DunningNotice] = ExportTable(
        N_("Dunning notices"),
        [
            ExportColumn(N_("Number"), lambda notice: f"DN-{notice.id}"),
            ExportColumn(N_("Run date"), attrgetter("run_on"), ColumnKind.DATE),
            ExportColumn(N_("Customer number"), attrgetter("customer_id"), ColumnKind.NUMBER),
            ExportColumn(N_("Dunning level"), attrgetter("level"), ColumnKind.NUMBER),
            ExportColumn(
                N_("Level"),
                lambda notice: gettext(LEVEL_LABELS.get(notice.level_name, notice.level_name)),
            ),
            ExportColumn(N_("Currency"), attrgetter("currency")),
            ExportColumn(
                N_("Total overdue"), lambda notice: notice.total_overdue.amount, ColumnKind.MONEY
            ),
            ExportColumn(N_("Status"), lambda notice: gettext(NOTICE_STATUS_LABELS[notice.status])),
            ExportColumn(N_("Issued by"), attrgetter("issued_by")),
        ],
    )
    return export_response(
        request,
        session,
        actor,
        entity_type="dunning_notices",
        table=table,
        rows=notices,
        fmt=chosen,
    )


@router.get("/notices/{notice_id:int}/letter")
def notice_letter(
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.COLLECTIONS_READ)],
    notice_id: int,
    lang: Annotated[str, Query(pattern="^(zh_CN|en)$")] = "zh_CN",
) -> Response:
    """The letter as its own printable page."""
    letter = collections_service.letter(session, actor, notice_id=notice_id, language=lang)
    return HTMLResponse(render_letter(letter), headers={"Cache-Control": "no-store"})
