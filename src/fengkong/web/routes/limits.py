"""Credit limits in the UI: the customer page's "Credit limit" section (limit in force, used vs
limit, the recommendation with its reasoning, the request form, blocks), the approvals queue
and the blocks list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from operator import attrgetter
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from fengkong.api.deps import DbSession
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.errors import DomainError
from fengkong.exposure import service as exposure_service
from fengkong.i18n import N_, translations
from fengkong.kit.money import Money, MoneyError
from fengkong.kit.time import business_today
from fengkong.limits import configs, messages, service
from fengkong.limits.models import CreditBlock, CreditLimit, LimitRequest
from fengkong.limits.service import BlockView, LimitInForce, LimitRecommendation
from fengkong.limits.status import (
    BlockKind,
    BlockSource,
    Decision,
    LimitKind,
    LimitStatus,
    RequestKind,
    RequestStatus,
)
from fengkong.reports.exports import (
    MAX_EXPORT_ROWS,
    ColumnKind,
    ExportColumn,
    ExportTable,
    local_time,
)
from fengkong.settings import Locale
from fengkong.web import sessions
from fengkong.web.deps import app_settings, request_locale, requires
from fengkong.web.exports import export_format, export_response
from fengkong.web.templating import render

router = APIRouter(include_in_schema=False)

MAX_FLASH_LENGTH = 400

REQUEST_KIND_LABELS: dict[RequestKind, str] = {
    RequestKind.NEW: N_("New limit"),
    RequestKind.INCREASE: N_("Increase"),
    RequestKind.DECREASE: N_("Decrease"),
    RequestKind.TEMPORARY: N_("Temporary limit on top"),
}
REQUEST_STATUS_LABELS: dict[RequestStatus, str] = {
    RequestStatus.SUBMITTED: N_("Awaiting approval"),
    RequestStatus.APPROVED: N_("Approved"),
    RequestStatus.REJECTED: N_("Rejected"),
    RequestStatus.WITHDRAWN: N_("Withdrawn"),
    RequestStatus.EXPIRED: N_("Expired"),
}
LIMIT_KIND_LABELS: dict[LimitKind, str] = {
    LimitKind.PERMANENT: N_("Permanent"),
    LimitKind.TEMPORARY: N_("Temporary"),
}
LIMIT_STATUS_LABELS: dict[LimitStatus, str] = {
    LimitStatus.ACTIVE: N_("Active"),
    LimitStatus.EXPIRED: N_("Expired"),
    LimitStatus.SUPERSEDED: N_("Superseded"),
    LimitStatus.REVOKED: N_("Revoked"),
}
BLOCK_KIND_LABELS: dict[BlockKind, str] = {
    BlockKind.CREDIT_BLOCK: N_("Credit block"),
    BlockKind.STOP_SHIPPING: N_("Stop shipping"),
}
RISK_CLASS_LABELS: dict[str, str] = {
    "low": N_("Low risk"),
    "medium": N_("Medium risk"),
    "high": N_("High risk"),
    "unrated": N_("Unrated"),
}
LABELS: dict[str, Any] = {
    "request_kinds": REQUEST_KIND_LABELS,
    "request_statuses": REQUEST_STATUS_LABELS,
    "limit_kinds": LIMIT_KIND_LABELS,
    "limit_statuses": LIMIT_STATUS_LABELS,
    "block_kinds": BLOCK_KIND_LABELS,
    "risk_classes": RISK_CLASS_LABELS,
}

_REQUESTED = N_("Limit request %(id)s submitted; tier %(tier)s decides it.")
_APPROVED = N_("Request %(id)s approved.")
_APPROVED_IN_FORCE = N_("Request %(id)s approved: the limit is in force now.")
_REJECTED = N_("Request %(id)s rejected.")
_BLOCK_SET = N_("Block set.")
_BLOCK_RELEASED = N_("Block %(id)s released.")
_BAD_AMOUNT = N_("Enter the amount as a number, e.g. 500000.00.")
_BAD_DATE = N_("Enter the end date as YYYY-MM-DD.")


@dataclass(frozen=True, slots=True)
class LimitSection:
    customer_id: int
    in_force: LimitInForce | None
    used: Money | None
    headroom: Money | None
    recommendation: LimitRecommendation
    reasons: list[str]
    history: tuple[CreditLimit, ...]
    open_requests: tuple[LimitRequest, ...]
    blocks: list[BlockView]
    can_request: bool
    can_block: bool
    today: date


def _gettext(request: Request) -> Any:
    return translations(request_locale(request)).gettext


def customer_section(
    request: Request, session: Session, actor: Actor, customer_id: int
) -> dict[str, Any]:
    """What the customer page's "Credit limit" section shows; nothing for a user who may not
    read limits."""
    context: dict[str, Any] = {"limit_labels": LABELS}
    if not actor.can(Permission.LIMITS_READ):
        return {"limit_section": None, **context}
    locale: Locale = request_locale(request)
    today = business_today(app_settings(request).zone)
    found = service.customer_limit(session, actor, customer_id=customer_id, today=today)
    used = headroom = None
    if found.in_force is not None:
        currency = found.in_force.amount.currency
        exposure = exposure_service.credit_exposure_fast(session, customer_id, as_of=today)
        if exposure.currency == currency:
            used = Money.from_minor_units(exposure.exposure, currency)
            headroom = found.in_force.amount - used
    section = LimitSection(
        customer_id=customer_id,
        in_force=found.in_force,
        used=used,
        headroom=headroom,
        recommendation=found.recommendation,
        reasons=found.recommendation.texts(locale),
        history=found.history,
        open_requests=found.open_requests,
        blocks=list(found.blocks),
        can_request=actor.can(Permission.LIMITS_REQUEST),
        can_block=actor.can(Permission.BLOCKS_WRITE),
        today=today,
    )
    return {"limit_section": section, **context}


def _flash_error(request: Request, error: DomainError) -> None:
    sessions.flash(request, "error", error.message[:MAX_FLASH_LENGTH])


@router.post("/customers/{customer_id:int}/limit-requests")
def submit_request(
    request: Request,
    customer_id: int,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.LIMITS_REQUEST)],
    kind: Annotated[RequestKind, Form()],
    amount: Annotated[str, Form(max_length=32)],
    justification: Annotated[str, Form(max_length=4000)] = "",
    valid_until: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    gettext = _gettext(request)
    back = RedirectResponse(f"/customers/{customer_id}#limit", status_code=303)
    try:
        currency = configs.active_policy(session).config.currency
        money = Money(Decimal(amount.strip().replace(",", "")), currency)
    except (InvalidOperation, MoneyError, ValueError):
        sessions.flash(request, "error", gettext(_BAD_AMOUNT))
        return back
    until = None
    if valid_until.strip():
        try:
            until = date.fromisoformat(valid_until.strip())
        except ValueError:
            sessions.flash(request, "error", gettext(_BAD_DATE))
            return back
    try:
        with session.begin_nested():
            created = service.request_limit(
                session,
                actor,
                customer_id=customer_id,
                kind=kind,
                amount=money,
                valid_until=until,
                justification=justification,
            )
    except DomainError as error:
        _flash_error(request, error)
    else:
        params = {"id": created.id, "tier": created.tier}
        sessions.flash(request, "success", gettext(_REQUESTED) % params)
    return back


@router.post("/customers/{customer_id:int}/blocks")
def set_block(
    request: Request,
    customer_id: int,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.BLOCKS_WRITE)],
    kind: Annotated[BlockKind, Form()],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        with session.begin_nested():
            service.set_block(session, actor, customer_id=customer_id, kind=kind, reason=reason)
    except DomainError as error:
        _flash_error(request, error)
    else:
        sessions.flash(request, "success", _gettext(request)(_BLOCK_SET))
    return RedirectResponse(f"/customers/{customer_id}#limit", status_code=303)


# --- approvals ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApprovalRow:
    request: LimitRequest
    amount: Money
    current: Money
    recommended: Money
    after: Money
    approvals: int


@router.get("/approvals")
def approvals_page(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.LIMITS_READ)],
) -> Response:
    """The limit requests the signed-in user may decide, oldest first, and their own open ones."""
    rows = []
    for item in service.approvals_queue(session, actor):
        detail = service.get_request(session, actor, request_id=item.id)
        rows.append(_approval_row(item, detail.approvals))
    mine = [
        _approval_row(item, 0)
        for item in service.list_requests(session, actor, status=RequestStatus.SUBMITTED, mine=True)
    ]
    return render(
        request,
        "limits/approvals.html",
        {"rows": rows, "mine": mine, "labels": LABELS},
    )


@router.get("/approvals/export.{fmt}")
def export_approvals(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.LIMITS_READ)],
    fmt: str,
) -> Response:
    """The page's two lists in one file: the requests awaiting the user's decision, then their
    own open ones."""
    chosen = export_format(fmt)
    gettext = _gettext(request)
    zone = app_settings(request).zone
    table: ExportTable[LimitRequest] = ExportTable(
        N_("Approvals"),
        [
            ExportColumn(N_("Request"), attrgetter("id"), ColumnKind.NUMBER),
            ExportColumn(N_("Customer"), attrgetter("customer_id"), ColumnKind.NUMBER),
            ExportColumn(N_("Kind"), lambda r: gettext(REQUEST_KIND_LABELS[r.kind])),
            ExportColumn(N_("Currency"), attrgetter("currency")),
            ExportColumn(
                N_("Amount"),
                lambda r: Money.from_minor_units(r.amount_minor, r.currency).amount,
                ColumnKind.MONEY,
            ),
            ExportColumn(N_("Status"), lambda r: gettext(REQUEST_STATUS_LABELS[r.status])),
            ExportColumn(N_("Requested by"), attrgetter("requested_by")),
            ExportColumn(
                N_("Submitted"), lambda r: local_time(r.submitted_at, zone), ColumnKind.DATETIME
            ),
            ExportColumn(N_("Justification"), attrgetter("justification")),
        ],
    )
    queue = service.approvals_queue(session, actor)
    queued = {item.id for item in queue}
    mine = service.list_requests(
        session, actor, status=RequestStatus.SUBMITTED, mine=True, limit=MAX_EXPORT_ROWS
    )
    rows = [*queue, *(item for item in mine if item.id not in queued)]
    return export_response(
        request, session, actor, entity_type="limit_requests", table=table, rows=rows, fmt=chosen
    )


def _approval_row(item: LimitRequest, approvals: int) -> ApprovalRow:
    return ApprovalRow(
        request=item,
        amount=Money.from_minor_units(item.amount_minor, item.currency),
        current=Money.from_minor_units(item.current_minor, item.currency),
        recommended=Money.from_minor_units(item.recommended_minor, item.currency),
        after=Money.from_minor_units(item.tier_amount_minor, item.currency),
        approvals=approvals,
    )


@router.post("/approvals/{request_id:int}/decision")
def decide(
    request: Request,
    request_id: int,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.LIMITS_APPROVE)],
    decision: Annotated[Decision, Form()],
    comment: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    gettext = _gettext(request)
    try:
        with session.begin_nested():
            decided = service.decide_limit_request(
                session, actor, request_id=request_id, decision=decision, comment=comment
            )
    except DomainError as error:
        _flash_error(request, error)
    else:
        if decided.status is RequestStatus.APPROVED:
            message = _APPROVED_IN_FORCE
        elif decided.status is RequestStatus.REJECTED:
            message = _REJECTED
        else:
            message = _APPROVED
        sessions.flash(request, "success", gettext(message) % {"id": request_id})
    return RedirectResponse("/approvals", status_code=303)


# --- blocks ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BlockRow:
    block: CreditBlock
    findings: str | None


@router.get("/blocks")
def blocks_page(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.LIMITS_READ)],
) -> Response:
    """Active blocks, newest first, with the release form for those who may lift them."""
    locale = request_locale(request)
    rows = [
        BlockRow(block, _findings(block, locale)) for block in service.list_blocks(session, actor)
    ]
    return render(
        request,
        "limits/blocks.html",
        {
            "rows": rows,
            "labels": LABELS,
            "can_block": actor.can(Permission.BLOCKS_WRITE),
            "rule_source": BlockSource.RULE,
            "export_query": str(request.query_params),
        },
    )


@router.get("/blocks/export.{fmt}")
def export_blocks(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.LIMITS_READ)],
    fmt: str,
) -> Response:
    """The active blocks as the page lists them, as Excel or CSV."""
    chosen = export_format(fmt)
    locale = request_locale(request)
    gettext = translations(locale).gettext
    zone = app_settings(request).zone
    table: ExportTable[CreditBlock] = ExportTable(
        N_("Credit blocks"),
        [
            ExportColumn(N_("Customer"), attrgetter("customer_id"), ColumnKind.NUMBER),
            ExportColumn(N_("Kind"), lambda b: gettext(BLOCK_KIND_LABELS[b.kind])),
            ExportColumn(N_("Reason"), lambda b: _findings(b, locale) or b.reason),
            ExportColumn(N_("Source"), lambda b: b.rule_name or gettext("manual")),
            ExportColumn(N_("Set by"), attrgetter("set_by")),
            ExportColumn(N_("Set"), lambda b: local_time(b.set_at, zone), ColumnKind.DATETIME),
        ],
    )
    return export_response(
        request,
        session,
        actor,
        entity_type="credit_blocks",
        table=table,
        rows=service.list_blocks(session, actor, limit=MAX_EXPORT_ROWS),
        fmt=chosen,
    )


def _findings(block: CreditBlock, locale: Locale) -> str | None:
    """A rule block's finding in the reader's language (the stored reason is in English)."""
    found = block.findings or {}
    if "key" not in found:
        return None
    return messages.text(
        str(found["key"]), dict(found.get("values") or {}), str(found.get("currency")), locale
    )


@router.post("/blocks/{block_id:int}/release")
def release_block(
    request: Request,
    block_id: int,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.BLOCKS_WRITE)],
    reason: Annotated[str, Form(max_length=500)] = "",
    back: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        with session.begin_nested():
            block = service.release_block(session, actor, block_id=block_id, reason=reason)
    except DomainError as error:
        _flash_error(request, error)
        target = "/blocks"
    else:
        sessions.flash(request, "success", _gettext(request)(_BLOCK_RELEASED) % {"id": block_id})
        target = f"/customers/{block.customer_id}#limit" if back == "customer" else "/blocks"
    return RedirectResponse(target, status_code=303)
