"""Request and response shapes of the monitoring API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from fengkong.kit.schemas import InputModel, MoneyIn, OutputModel
from fengkong.monitoring.models import Alert, AlertAction, AlertComment
from fengkong.monitoring.rules import ActionCode, Severity
from fengkong.monitoring.service import AlertDetail, EvaluationSummary, PreviewResult
from fengkong.monitoring.status import ActionStatus, AlertStatus


class AlertOut(OutputModel):
    id: int
    customer_id: int
    rule_id: str
    rule_set_version_id: int
    kind: str
    severity: Severity
    title: str
    values: dict[str, Any]
    recommended_actions: list[str]
    status: AlertStatus
    assignee_id: int | None
    raised_at: datetime
    due_at: datetime
    escalated_at: datetime | None
    condition_cleared_at: datetime | None
    closed_at: datetime | None
    closed_by: str | None
    resolution_note: str | None
    version: int

    @classmethod
    def of(cls, row: Alert) -> AlertOut:
        return cls.model_validate(row)


class AlertList(OutputModel):
    items: list[AlertOut]


class CommentOut(OutputModel):
    id: int
    author: str
    body: str
    created_at: datetime


class ActionOut(OutputModel):
    id: int
    alert_id: int | None
    customer_id: int
    code: ActionCode
    status: ActionStatus
    note: str | None
    created_by: str
    created_at: datetime
    limit_request_id: int | None
    credit_block_id: int | None
    due_on: datetime | None

    @classmethod
    def of(cls, row: AlertAction) -> ActionOut:
        return cls.model_validate(row)


class AttachmentOut(OutputModel):
    id: int
    alert_id: int
    filename: str
    size_bytes: int
    sha256: str
    uploaded_by: str
    created_at: datetime


class AlertDetailOut(AlertOut):
    comments: list[CommentOut]
    actions: list[ActionOut]
    attachments: list[AttachmentOut]

    @classmethod
    def of_detail(cls, detail: AlertDetail) -> AlertDetailOut:
        base = AlertOut.of(detail.alert).model_dump()
        return cls(
            **base,
            comments=[CommentOut.model_validate(c) for c in detail.comments],
            actions=[ActionOut.of(a) for a in detail.actions],
            attachments=[AttachmentOut.model_validate(a) for a in detail.attachments],
        )


class NoteIn(InputModel):
    note: str = Field(min_length=1, max_length=5000)


class AssignIn(InputModel):
    assignee_id: int | None


class CommentIn(InputModel):
    body: str = Field(min_length=1, max_length=5000)


class BulkIn(InputModel):
    alert_ids: list[int] = Field(min_length=1, max_length=500)
    action: Literal["acknowledge", "start", "resolve", "false_positive"]
    note: str | None = Field(default=None, max_length=5000)


class BulkOut(OutputModel):
    done: list[int]
    refused: dict[int, str]


class ActionIn(InputModel):
    code: ActionCode
    alert_id: int | None = None
    customer_id: int | None = None
    note: str | None = Field(default=None, max_length=5000)
    amount: MoneyIn | None = Field(default=None, description="the proposed limit (limit cuts)")


class ActionCloseIn(InputModel):
    status: Literal[ActionStatus.DONE, ActionStatus.CANCELLED]
    note: str | None = Field(default=None, max_length=5000)


class ActionList(OutputModel):
    items: list[ActionOut]


class EvaluateIn(InputModel):
    customer_ids: list[int] | None = Field(default=None, max_length=10_000)
    as_of: date | None = None


class EvaluationOut(OutputModel):
    as_of: date
    rule_set_version: int
    customers: int
    fired: int
    raised: list[int]
    suppressed: int
    cleared: int

    @classmethod
    def of(cls, summary: EvaluationSummary) -> EvaluationOut:
        return cls.model_validate(summary)


class PreviewIn(InputModel):
    rule_yaml: str = Field(min_length=1, max_length=20_000)
    as_of: date | None = None


class PreviewOut(OutputModel):
    rule_id: str
    as_of: date
    evaluated: int
    fired: int
    customer_ids: list[int]

    @classmethod
    def of(cls, result: PreviewResult) -> PreviewOut:
        return cls(
            rule_id=result.rule_id,
            as_of=result.as_of,
            evaluated=result.evaluated,
            fired=result.fired,
            customer_ids=list(result.customer_ids),
        )


class EscalationOut(OutputModel):
    escalated: list[int]
    notified: bool


def comment_out(row: AlertComment) -> CommentOut:
    return CommentOut.model_validate(row)
