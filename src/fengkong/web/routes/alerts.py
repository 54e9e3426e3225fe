"""Early warning in the UI: the alerts inbox (filters, severity badges, bulk acknowledge and
resolve), the alert case page (what fired it, lifecycle buttons, comments, actions) and the
rules page (the active rule set and a preview form)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from operator import attrgetter
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from fengkong.api.deps import DbSession
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.display.labels import ALERT_ACTION_LABELS, ALERT_STATUS_LABELS
from fengkong.errors import DomainError
from fengkong.i18n import N_, translations
from fengkong.kit.money import Money, MoneyError
from fengkong.kit.time import business_today
from fengkong.monitoring import service
from fengkong.monitoring.models import Alert
from fengkong.monitoring.rules import SEVERITY_LABELS, ActionCode, Severity, rule_document
from fengkong.monitoring.status import ALERT_TRANSITIONS, AlertStatus
from fengkong.reports.exports import (
    MAX_EXPORT_ROWS,
    ColumnKind,
    ExportColumn,
    ExportTable,
    local_time,
)
from fengkong.web import sessions
from fengkong.web.deps import app_settings, request_locale, requires
from fengkong.web.exports import export_format, export_response
from fengkong.web.templating import render

router = APIRouter(include_in_schema=False)

MAX_FLASH_LENGTH = 400

STATUS_LABELS = ALERT_STATUS_LABELS
ACTION_LABELS = ALERT_ACTION_LABELS
LABELS: dict[str, Any] = {
    "statuses": STATUS_LABELS,
    "severities": SEVERITY_LABELS,
    "actions": ACTION_LABELS,
}
_DONE = N_("Done for %(count)d alert(s).")
_REFUSED = N_("Refused for %(count)d alert(s): %(reasons)s")
_MOVED = N_("Alert %(id)d is now: %(status)s.")
_COMMENTED = N_("Comment added.")
_ACTED = N_("Action recorded: %(action)s.")
_ATTACHED = N_("File attached: %(name)s.")
_NO_FILE = N_("Choose a file to attach.")
_BAD_AMOUNT = N_("Enter the proposed limit as a number, e.g. 200000.")


def _gettext(request: Request) -> Any:
    return translations(request_locale(request)).gettext


def _flash_error(request: Request, error: DomainError) -> None:
    sessions.flash(request, "error", error.message[:MAX_FLASH_LENGTH])


def _enum_or_none(kind: type[AlertStatus] | type[Severity], value: str) -> Any:
    try:
        return kind(value) if value else None
    except ValueError:
        return None


def _criteria(
    actor: Actor, status: str, severity: str, rule: str, mine: bool, overdue: bool
) -> service.AlertFilter:
    chosen_status = _enum_or_none(AlertStatus, status)
    return service.AlertFilter(
        status=chosen_status,
        severity=_enum_or_none(Severity, severity),
        rule_id=rule.strip()[:64] or None,
        assignee_id=actor.user_id if mine else None,
        overdue=overdue,
        open_only=chosen_status is None,
    )


@router.get("/alerts")
def inbox(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.ALERTS_READ)],
    status: str = "",
    severity: str = "",
    rule: str = "",
    mine: bool = False,
    overdue: bool = False,
) -> Response:
    """Alerts, newest first, filtered; open ones unless a status is chosen."""
    criteria = _criteria(actor, status, severity, rule, mine, overdue)
    rows = service.list_alerts(session, actor, criteria=criteria)
    return render(
        request,
        "alerts/inbox.html",
        {
            "rows": rows,
            "labels": LABELS,
            "filters": {
                "status": criteria.status.value if criteria.status else "",
                "severity": criteria.severity.value if criteria.severity else "",
                "rule": rule.strip()[:64],
                "mine": mine,
                "overdue": overdue,
            },
            "statuses": list(AlertStatus),
            "severities": list(Severity),
            "can_work": actor.can(Permission.ALERTS_WRITE),
            "export_query": str(request.query_params),
        },
    )


@router.get("/alerts/export.{fmt}")
def export_alerts(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.ALERTS_READ)],
    fmt: str,
    status: str = "",
    severity: str = "",
    rule: str = "",
    mine: bool = False,
    overdue: bool = False,
) -> Response:
    """The inbox as filtered, every alert of it up to the export cap, as Excel or CSV."""
    chosen = export_format(fmt)
    gettext = _gettext(request)
    zone = app_settings(request).zone
    rows = service.list_alerts(
        session,
        actor,
        criteria=_criteria(actor, status, severity, rule, mine, overdue),
        limit=MAX_EXPORT_ROWS,
    )

    table: ExportTable[Alert] = ExportTable(
        N_("Alerts"),
        [
            ExportColumn(N_("Alert"), attrgetter("id"), ColumnKind.NUMBER),
            ExportColumn(N_("Title"), attrgetter("title")),
            ExportColumn(N_("Severity"), lambda a: gettext(SEVERITY_LABELS[a.severity])),
            ExportColumn(N_("Customer"), attrgetter("customer_id"), ColumnKind.NUMBER),
            ExportColumn(N_("Rule"), attrgetter("rule_id")),
            ExportColumn(N_("Status"), lambda a: gettext(STATUS_LABELS[a.status])),
            ExportColumn(
                N_("Raised"), lambda a: local_time(a.raised_at, zone), ColumnKind.DATETIME
            ),
            ExportColumn(N_("Due"), lambda a: local_time(a.due_at, zone), ColumnKind.DATETIME),
        ],
    )
    return export_response(
        request, session, actor, entity_type="alerts", table=table, rows=rows, fmt=chosen
    )


@router.post("/alerts/bulk")
def bulk(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.ALERTS_WRITE)],
    action: Annotated[str, Form(max_length=32)],
    alert_ids: Annotated[list[int] | None, Form()] = None,
    note: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    gettext = _gettext(request)
    try:
        result = service.bulk_update(
            session, actor, alert_ids=alert_ids or [], action=action, note=note or None
        )
    except DomainError as error:
        _flash_error(request, error)
    else:
        if result.done:
            sessions.flash(request, "success", gettext(_DONE) % {"count": len(result.done)})
        if result.refused:
            reasons = "; ".join(f"#{key}: {text}" for key, text in result.refused.items())
            message = gettext(_REFUSED) % {"count": len(result.refused), "reasons": reasons}
            sessions.flash(request, "error", message[:MAX_FLASH_LENGTH])
    return RedirectResponse("/alerts", status_code=303)


@router.get("/alerts/{alert_id:int}")
def case_page(
    request: Request,
    alert_id: int,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.ALERTS_READ)],
) -> Response:
    detail = service.get_alert(session, actor, alert_id=alert_id)
    allowed = ALERT_TRANSITIONS.get(detail.alert.status, frozenset())
    return render(
        request,
        "alerts/case.html",
        {
            "detail": detail,
            "alert": detail.alert,
            "labels": LABELS,
            "can_work": actor.can(Permission.ALERTS_WRITE),
            "can_acknowledge": AlertStatus.ACKNOWLEDGED in allowed,
            "can_start": AlertStatus.IN_PROGRESS in allowed,
            "can_close": AlertStatus.RESOLVED in allowed,
            "action_codes": list(ActionCode),
        },
    )


_MOVES = {
    "acknowledge": AlertStatus.ACKNOWLEDGED,
    "start": AlertStatus.IN_PROGRESS,
    "resolve": AlertStatus.RESOLVED,
    "false_positive": AlertStatus.FALSE_POSITIVE,
}


@router.post("/alerts/{alert_id:int}/move")
def move(
    request: Request,
    alert_id: int,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.ALERTS_WRITE)],
    to: Annotated[str, Form(max_length=32)],
    note: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    gettext = _gettext(request)
    try:
        with session.begin_nested():
            result = service.bulk_update(
                session, actor, alert_ids=[alert_id], action=to, note=note or None
            )
    except DomainError as error:
        _flash_error(request, error)
    else:
        if result.refused:
            sessions.flash(request, "error", result.refused[alert_id][:MAX_FLASH_LENGTH])
        else:
            label = gettext(STATUS_LABELS[_MOVES[to]])
            sessions.flash(request, "success", gettext(_MOVED) % {"id": alert_id, "status": label})
    return RedirectResponse(f"/alerts/{alert_id}", status_code=303)


@router.post("/alerts/{alert_id:int}/comments")
def add_comment(
    request: Request,
    alert_id: int,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.ALERTS_WRITE)],
    body: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    try:
        with session.begin_nested():
            service.comment(session, actor, alert_id=alert_id, body=body)
    except DomainError as error:
        _flash_error(request, error)
    else:
        sessions.flash(request, "success", _gettext(request)(_COMMENTED))
    return RedirectResponse(f"/alerts/{alert_id}#comments", status_code=303)


@router.post("/alerts/{alert_id:int}/actions")
def add_action(
    request: Request,
    alert_id: int,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.ALERTS_WRITE)],
    code: Annotated[ActionCode, Form()],
    note: Annotated[str, Form(max_length=5000)] = "",
    amount: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    gettext = _gettext(request)
    back = RedirectResponse(f"/alerts/{alert_id}#actions", status_code=303)
    money = None
    if amount.strip():
        try:
            money = Money(Decimal(amount.strip().replace(",", "")), "CNY")
        except (InvalidOperation, MoneyError, ValueError):
            sessions.flash(request, "error", gettext(_BAD_AMOUNT))
            return back
    try:
        with session.begin_nested():
            service.take_action(
                session, actor, code=code, alert_id=alert_id, note=note or None, amount=money
            )
    except DomainError as error:
        _flash_error(request, error)
    else:
        label = gettext(ACTION_LABELS[code])
        sessions.flash(request, "success", gettext(_ACTED) % {"action": label})
    return back


@router.post("/alerts/{alert_id:int}/attachments")
async def add_attachment(
    request: Request,
    alert_id: int,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.ALERTS_WRITE)],
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    gettext = _gettext(request)
    back = RedirectResponse(f"/alerts/{alert_id}#attachments", status_code=303)
    if file is None or not file.filename:
        sessions.flash(request, "error", gettext(_NO_FILE))
        return back
    content = await file.read(service.MAX_ATTACHMENT_BYTES + 1)
    try:
        with session.begin_nested():
            row = service.add_attachment(
                session,
                actor,
                alert_id=alert_id,
                filename=file.filename,
                content=content,
                directory=app_settings(request).data_dir,
            )
    except DomainError as error:
        _flash_error(request, error)
    else:
        sessions.flash(request, "success", gettext(_ATTACHED) % {"name": row.filename})
    return back


@router.get("/alert-attachments/{attachment_id:int}")
def download_attachment(
    request: Request,
    attachment_id: int,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.ALERTS_READ)],
) -> Response:
    """The file, always as a download (never rendered in the page's origin)."""
    row, content = service.read_attachment(
        session, actor, attachment_id=attachment_id, directory=app_settings(request).data_dir
    )
    return Response(
        content,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.filename)}"},
    )


@router.get("/rules")
def rules_page(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.ALERTS_READ)],
) -> Response:
    """The active rule set, one row a rule, and the preview form."""
    rule_set = service.active_rules(session)
    return render(
        request,
        "alerts/rules.html",
        {
            "rule_set": rule_set,
            "rules": [(rule, rule_document(rule)) for rule in rule_set.rules],
            "labels": LABELS,
            "preview": None,
            "rule_yaml": "",
        },
    )


@router.post("/rules/preview")
def preview(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.ALERTS_READ)],
    rule_yaml: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    """How many customers the rule would fire for today, shown on the rules page."""
    today = business_today(app_settings(request).zone)
    rule_set = service.active_rules(session)
    result = None
    try:
        result = service.preview_rule(session, actor, rule_yaml=rule_yaml, as_of=today)
    except DomainError as error:
        _flash_error(request, error)
    response = render(
        request,
        "alerts/rules.html",
        {
            "rule_set": rule_set,
            "rules": [(rule, rule_document(rule)) for rule in rule_set.rules],
            "labels": LABELS,
            "preview": result,
            "rule_yaml": rule_yaml,
        },
    )
    return response
