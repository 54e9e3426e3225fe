"""Early warning over REST: alerts as cases (list, detail, lifecycle, assignment, comments,
bulk actions), actions on customers, evaluation runs, escalation, rule sets and rule previews
(docs/monitoring.md)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Query, Request, Response, UploadFile, status

from fengkong.api.deps import DbSession, requires
from fengkong.api.etags import ExpectedVersion, tag
from fengkong.api.idempotency import IdempotentRoute, writes
from fengkong.api.params import BusinessDate
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.config_versions import (
    ConfigImportIn,
    ConfigVersionList,
    ConfigVersionOut,
    ConfigVersionYamlOut,
)
from fengkong.monitoring import service
from fengkong.monitoring.rules import Severity
from fengkong.monitoring.schemas import (
    ActionCloseIn,
    ActionIn,
    ActionList,
    ActionOut,
    AlertDetailOut,
    AlertList,
    AlertOut,
    AssignIn,
    AttachmentOut,
    BulkIn,
    BulkOut,
    CommentIn,
    CommentOut,
    EscalationOut,
    EvaluateIn,
    EvaluationOut,
    NoteIn,
    PreviewIn,
    PreviewOut,
    comment_out,
)
from fengkong.monitoring.status import ActionStatus, AlertStatus
from fengkong.settings import Settings

router = APIRouter(tags=["alerts"], route_class=IdempotentRoute)

Reader = Annotated[Actor, requires(Permission.ALERTS_READ)]
Worker = Annotated[Actor, writes(Permission.ALERTS_WRITE)]
RuleAdmin = Annotated[Actor, writes(Permission.RULES_WRITE)]


@router.get("/alerts", response_model=AlertList)
def list_alerts(
    session: DbSession,
    actor: Reader,
    status_: Annotated[AlertStatus | None, Query(alias="status")] = None,
    severity: Severity | None = None,
    rule_id: str | None = None,
    assignee_id: int | None = None,
    customer_id: int | None = None,
    overdue: bool = False,
    open_only: Annotated[bool, Query(alias="open")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> AlertList:
    """Alerts, newest first; ``overdue`` = open and past their SLA due time."""
    criteria = service.AlertFilter(
        status=status_,
        severity=severity,
        rule_id=rule_id,
        assignee_id=assignee_id,
        customer_id=customer_id,
        overdue=overdue,
        open_only=open_only,
    )
    rows = service.list_alerts(session, actor, criteria=criteria, limit=limit)
    return AlertList(items=[AlertOut.of(row) for row in rows])


@router.get("/alerts/{alert_id}", response_model=AlertDetailOut)
def get_alert(
    alert_id: int, session: DbSession, response: Response, actor: Reader
) -> AlertDetailOut:
    detail = service.get_alert(session, actor, alert_id=alert_id)
    tag(response, detail.alert.version)
    return AlertDetailOut.of_detail(detail)


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertOut)
def acknowledge(
    alert_id: int, session: DbSession, response: Response, expected: ExpectedVersion, actor: Worker
) -> AlertOut:
    alert = service.acknowledge(session, actor, alert_id=alert_id, expected_version=expected)
    tag(response, alert.version)
    return AlertOut.of(alert)


@router.post("/alerts/{alert_id}/start", response_model=AlertOut)
def start(
    alert_id: int, session: DbSession, response: Response, expected: ExpectedVersion, actor: Worker
) -> AlertOut:
    alert = service.start(session, actor, alert_id=alert_id, expected_version=expected)
    tag(response, alert.version)
    return AlertOut.of(alert)


@router.post("/alerts/{alert_id}/resolve", response_model=AlertOut)
def resolve(alert_id: int, data: NoteIn, session: DbSession, actor: Worker) -> AlertOut:
    """Close the case as handled; the note says how."""
    return AlertOut.of(service.resolve(session, actor, alert_id=alert_id, note=data.note))


@router.post("/alerts/{alert_id}/false-positive", response_model=AlertOut)
def false_positive(alert_id: int, data: NoteIn, session: DbSession, actor: Worker) -> AlertOut:
    return AlertOut.of(
        service.mark_false_positive(session, actor, alert_id=alert_id, note=data.note)
    )


@router.post("/alerts/{alert_id}/assign", response_model=AlertOut)
def assign(alert_id: int, data: AssignIn, session: DbSession, actor: Worker) -> AlertOut:
    return AlertOut.of(
        service.assign(session, actor, alert_id=alert_id, assignee_id=data.assignee_id)
    )


@router.post(
    "/alerts/{alert_id}/comments", response_model=CommentOut, status_code=status.HTTP_201_CREATED
)
def comment(alert_id: int, data: CommentIn, session: DbSession, actor: Worker) -> CommentOut:
    return comment_out(service.comment(session, actor, alert_id=alert_id, body=data.body))


@router.post("/alerts/bulk", response_model=BulkOut)
def bulk(data: BulkIn, session: DbSession, actor: Worker) -> BulkOut:
    """One lifecycle action on many alerts; refusals are listed, the rest done."""
    result = service.bulk_update(
        session, actor, alert_ids=data.alert_ids, action=data.action, note=data.note
    )
    return BulkOut(done=result.done, refused=result.refused)


@router.post("/alert-actions", response_model=ActionOut, status_code=status.HTTP_201_CREATED)
def take_action(data: ActionIn, session: DbSession, actor: Worker) -> ActionOut:
    """Act on a customer, from an alert or by hand: ``propose_limit_cut`` files a decrease
    request (``amount`` = the proposed limit), ``credit_block`` sets a block, the others are
    recorded as tasks."""
    action = service.take_action(
        session,
        actor,
        code=data.code,
        alert_id=data.alert_id,
        customer_id=data.customer_id,
        note=data.note,
        amount=data.amount.to_money() if data.amount is not None else None,
    )
    return ActionOut.of(action)


@router.post("/alert-actions/{action_id}/close", response_model=ActionOut)
def close_action(
    action_id: int, data: ActionCloseIn, session: DbSession, actor: Worker
) -> ActionOut:
    """Mark an open task done or cancelled."""
    action = service.close_action(
        session, actor, action_id=action_id, status=data.status, note=data.note
    )
    return ActionOut.of(action)


@router.get("/alert-actions", response_model=ActionList)
def list_actions(
    session: DbSession,
    actor: Reader,
    customer_id: int | None = None,
    status_: Annotated[ActionStatus | None, Query(alias="status")] = None,
) -> ActionList:
    rows = service.list_actions(session, actor, customer_id=customer_id, status=status_)
    return ActionList(items=[ActionOut.of(row) for row in rows])


@router.post("/monitoring/evaluate", response_model=EvaluationOut)
def evaluate(
    data: EvaluateIn, session: DbSession, actor: Worker, today: BusinessDate
) -> EvaluationOut:
    """Evaluate the active rule set now for these customers (all when omitted)."""
    summary = service.evaluate_customers(
        session, actor, customer_ids=data.customer_ids, as_of=data.as_of or today
    )
    return EvaluationOut.of(summary)


@router.post("/monitoring/escalate", response_model=EscalationOut)
def escalate(session: DbSession, actor: Worker) -> EscalationOut:
    summary = service.escalate_overdue_alerts(session, actor)
    return EscalationOut(escalated=summary.escalated, notified=summary.notified)


@router.get("/rule-sets", response_model=ConfigVersionList)
def list_rule_sets(session: DbSession, actor: Reader) -> ConfigVersionList:
    rows = service.list_rule_sets(session, actor)
    return ConfigVersionList(items=[ConfigVersionOut.of(row) for row in rows])


@router.get("/rule-sets/{version}", response_model=ConfigVersionYamlOut)
def get_rule_set(version: int, session: DbSession, actor: Reader) -> ConfigVersionYamlOut:
    """One stored version with its YAML (the export)."""
    return ConfigVersionYamlOut.of(service.get_rule_set(session, actor, version=version))


@router.post("/rule-sets", response_model=ConfigVersionOut, status_code=status.HTTP_201_CREATED)
def import_rule_set(data: ConfigImportIn, session: DbSession, actor: RuleAdmin) -> ConfigVersionOut:
    """Validate and store a rule set as the next version (a draft unless ``activate``)."""
    row = service.import_rule_set(
        session, actor, yaml_text=data.yaml, note=data.note, activate=data.activate
    )
    return ConfigVersionOut.of(row)


@router.post("/rule-sets/{version}/activate", response_model=ConfigVersionOut)
def activate_rule_set(version: int, session: DbSession, actor: RuleAdmin) -> ConfigVersionOut:
    return ConfigVersionOut.of(service.activate_rule_set(session, actor, version=version))


@router.post("/rules/preview", response_model=PreviewOut)
def preview(data: PreviewIn, session: DbSession, actor: Reader, today: BusinessDate) -> PreviewOut:
    """How many customers (and which, the first 50) one rule would fire for; writes nothing."""
    result = service.preview_rule(
        session, actor, rule_yaml=data.rule_yaml, as_of=data.as_of or today
    )
    return PreviewOut.of(result)


@router.post(
    "/alerts/{alert_id}/attachments",
    response_model=AttachmentOut,
    status_code=status.HTTP_201_CREATED,
)
async def add_attachment(
    alert_id: int,
    request: Request,
    session: DbSession,
    actor: Worker,
    file: Annotated[UploadFile, File(description="the file (at most 10 MB)")],
) -> AttachmentOut:
    """Attach a file to the case; it is kept under the data directory by its SHA-256."""
    settings: Settings = request.app.state.settings
    limit = service.MAX_ATTACHMENT_BYTES
    content = await file.read(limit + 1)
    row = service.add_attachment(
        session,
        actor,
        alert_id=alert_id,
        filename=file.filename or "attachment",
        content=content,
        directory=settings.data_dir,
        max_bytes=limit,
    )
    return AttachmentOut.model_validate(row)


@router.get("/alert-attachments/{attachment_id}")
def download_attachment(
    attachment_id: int, request: Request, session: DbSession, actor: Reader
) -> Response:
    """The file as uploaded, always as a download (never rendered by the browser)."""
    settings: Settings = request.app.state.settings
    row, content = service.read_attachment(
        session, actor, attachment_id=attachment_id, directory=settings.data_dir
    )
    return Response(
        content,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.filename)}",
            "X-Content-SHA256": row.sha256,
        },
    )
