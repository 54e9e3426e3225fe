"""Alerts as cases: lifecycle and refusals, assignment, comments, bulk actions, linked actions
into the limit workflow, and SLA escalation with a controllable clock."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.errors import PermissionDenied
from fengkong.limits.models import CreditBlock, CreditLimit, LimitRequest
from fengkong.limits.status import LimitKind, LimitStatus, RequestKind
from fengkong.monitoring import service
from fengkong.monitoring.rules import ActionCode, Severity
from fengkong.monitoring.status import ActionStatus, AlertStatus
from fengkong.reviews.models import Review
from tests import factories
from tests.integration.monitoring.conftest import (
    NOW,
    TODAY,
    Notifications,
    cny,
    overdue_invoice,
    use_rules,
)
from tests.personas import Personas


def _alerts(session: Session, personas: Personas, count: int = 1) -> list[int]:
    use_rules(session)
    ids = []
    for _ in range(count):
        customer = factories.customer()
        overdue_invoice(customer.id, days=45)
        ids.append(customer.id)
    return service.evaluate_customers(
        session, personas.alice_analyst.actor, customer_ids=ids, as_of=TODAY, now=NOW
    ).raised


def test_an_alert_moves_new_acknowledged_in_progress_resolved_and_then_refuses_to_move(
    session: Session, personas: Personas
) -> None:
    (alert_id,) = _alerts(session, personas)
    actor = personas.alice_analyst.actor
    assert service.acknowledge(session, actor, alert_id=alert_id).status is AlertStatus.ACKNOWLEDGED
    started = service.start(session, actor, alert_id=alert_id)
    assert (started.status, started.assignee_id) == (AlertStatus.IN_PROGRESS, actor.user_id)
    with pytest.raises(service.InvalidAlertInput) as no_note:
        service.resolve(session, actor, alert_id=alert_id, note="  ")
    assert no_note.value.details[0]["field"] == "note"
    done = service.resolve(session, actor, alert_id=alert_id, note="客户已付款", now=NOW)
    assert (done.status, done.closed_by, done.closed_at, done.resolution_note) == (
        AlertStatus.RESOLVED,
        "alice_analyst",
        NOW,
        "客户已付款",
    )
    with pytest.raises(service.AlertTransitionRefused):
        service.acknowledge(session, actor, alert_id=alert_id)
    with pytest.raises(service.AlertTransitionRefused):
        service.assign(session, actor, alert_id=alert_id, assignee_id=actor.user_id)
    with pytest.raises(service.AlertTransitionRefused):
        service.start(session, actor, alert_id=alert_id)


def test_a_false_positive_closes_a_new_alert_and_in_progress_cannot_go_back(
    session: Session, personas: Personas
) -> None:
    first, second = _alerts(session, personas, 2)
    actor = personas.bob_manager.actor
    closed = service.mark_false_positive(session, actor, alert_id=first, note="数据错误")
    assert closed.status is AlertStatus.FALSE_POSITIVE
    service.start(session, actor, alert_id=second)
    with pytest.raises(service.AlertTransitionRefused):
        service.acknowledge(session, actor, alert_id=second)
    with pytest.raises(service.AlertNotFound):
        service.acknowledge(session, actor, alert_id=999_999)


def test_sales_and_auditors_read_alerts_but_cannot_work_them(
    session: Session, personas: Personas
) -> None:
    (alert_id,) = _alerts(session, personas)
    for persona in (personas.sam_sales, personas.ada_auditor):
        assert service.get_alert(session, persona.actor, alert_id=alert_id).alert.id == alert_id
        with pytest.raises(PermissionDenied):
            service.acknowledge(session, persona.actor, alert_id=alert_id)
        with pytest.raises(PermissionDenied):
            service.comment(session, persona.actor, alert_id=alert_id, body="x")


def test_alerts_are_assigned_commented_and_filtered(session: Session, personas: Personas) -> None:
    first, second = _alerts(session, personas, 2)
    actor = personas.bob_manager.actor
    analyst = personas.alice_analyst.user
    service.assign(session, actor, alert_id=first, assignee_id=analyst.id)
    with pytest.raises(service.InvalidAlertInput):
        service.assign(session, actor, alert_id=first, assignee_id=999_999)
    service.comment(session, actor, alert_id=first, body="请跟进")
    detail = service.get_alert(session, actor, alert_id=first)
    assert [(c.author, c.body) for c in detail.comments] == [("bob_manager", "请跟进")]
    mine = service.list_alerts(session, actor, criteria=service.AlertFilter(assignee_id=analyst.id))
    assert [a.id for a in mine] == [first]
    high = service.list_alerts(session, actor, criteria=service.AlertFilter(severity=Severity.HIGH))
    assert {a.id for a in high} == {first, second}
    assert (
        service.list_alerts(session, actor, criteria=service.AlertFilter(overdue=True), now=NOW)
        == []
    )
    later = NOW + timedelta(hours=25)
    overdue = service.list_alerts(
        session, actor, criteria=service.AlertFilter(overdue=True), now=later
    )
    assert {a.id for a in overdue} == {first, second}


def test_bulk_actions_apply_to_each_alert_and_report_refusals(
    session: Session, personas: Personas
) -> None:
    first, second, third = _alerts(session, personas, 3)
    actor = personas.alice_analyst.actor
    service.resolve(session, actor, alert_id=third, note="done")
    result = service.bulk_update(
        session, actor, alert_ids=[first, second, third, 999_999], action="acknowledge"
    )
    assert result.done == [first, second]
    assert set(result.refused) == {third, 999_999}
    resolved = service.bulk_update(
        session, actor, alert_ids=[first, second], action="resolve", note="批量处理"
    )
    assert resolved.done == [first, second]
    statuses = {
        a.id: a.status for a in service.list_alerts(session, actor) if a.id in (first, second)
    }
    assert statuses == {first: AlertStatus.RESOLVED, second: AlertStatus.RESOLVED}
    with pytest.raises(service.InvalidAlertInput):
        service.bulk_update(session, actor, alert_ids=[first], action="explode")


def test_a_limit_cut_action_files_a_decrease_request_and_a_block_action_sets_a_block(
    session: Session, personas: Personas
) -> None:
    (alert_id,) = _alerts(session, personas)
    actor = personas.bob_manager.actor
    customer_id = service.get_alert(session, actor, alert_id=alert_id).alert.customer_id
    session.add(
        CreditLimit(
            customer_id=customer_id,
            kind=LimitKind.PERMANENT,
            amount=cny("500000.00"),
            valid_from=TODAY - timedelta(days=100),
            status=LimitStatus.ACTIVE,
            granted_by="someone",
        )
    )
    session.flush()
    cut = service.take_action(
        session,
        actor,
        code=ActionCode.PROPOSE_LIMIT_CUT,
        alert_id=alert_id,
        amount=cny("200000.00"),
        note="逾期45天",
        now=NOW,
    )
    request = session.get(LimitRequest, cut.limit_request_id)
    assert request is not None
    assert (request.kind, request.amount, request.customer_id) == (
        RequestKind.DECREASE,
        cny("200000.00"),
        customer_id,
    )
    assert request.justification == f"alert {alert_id}: 逾期45天"
    block_action = service.take_action(
        session, actor, code=ActionCode.CREDIT_BLOCK, alert_id=alert_id, note="逾期", now=NOW
    )
    block = session.get(CreditBlock, block_action.credit_block_id)
    assert block is not None
    assert (block.customer_id, block_action.status) == (customer_id, ActionStatus.DONE)
    task = service.take_action(
        session, actor, code=ActionCode.COLLECTION_TASK, customer_id=customer_id, now=NOW
    )
    assert (task.alert_id, task.status, task.due_on) == (
        None,
        ActionStatus.OPEN,
        NOW + timedelta(days=7),
    )
    review_action = service.take_action(
        session, actor, code=ActionCode.EARLY_REVIEW, alert_id=alert_id, now=NOW
    )
    review = session.scalars(select(Review).where(Review.customer_id == customer_id)).one()
    assert review.due_on == (NOW + timedelta(days=30)).date()
    assert review_action.due_on == NOW + timedelta(days=30)
    assert review_action.note == f"review {review.id}"
    detail = service.get_alert(session, actor, alert_id=alert_id)
    assert [a.code for a in detail.actions] == [
        ActionCode.PROPOSE_LIMIT_CUT,
        ActionCode.CREDIT_BLOCK,
        ActionCode.EARLY_REVIEW,
    ]
    with pytest.raises(service.InvalidAlertInput) as missing:
        service.take_action(
            session, actor, code=ActionCode.PROPOSE_LIMIT_CUT, alert_id=alert_id, note="x"
        )
    assert missing.value.details[0]["field"] == "amount"


def test_sales_cannot_take_actions_on_an_alert(session: Session, personas: Personas) -> None:
    (alert_id,) = _alerts(session, personas)
    with pytest.raises(PermissionDenied):
        service.take_action(
            session,
            personas.sam_sales.actor,
            code=ActionCode.CREDIT_BLOCK,
            alert_id=alert_id,
            note="x",
        )


def test_overdue_alerts_are_escalated_once_and_risk_managers_notified(
    session: Session, personas: Personas, notifications: Notifications
) -> None:
    first, second = _alerts(session, personas, 2)
    assert notifications.topics() == ["alert.raised", "alert.raised"]
    actor = personas.bob_manager.actor
    service.resolve(session, actor, alert_id=second, note="ok")
    early = service.escalate_overdue_alerts(session, actor, now=NOW + timedelta(hours=23))
    assert early.escalated == []
    late = NOW + timedelta(hours=25)
    summary = service.escalate_overdue_alerts(session, actor, now=late)
    assert (summary.escalated, summary.notified) == ([first], True)
    assert service.get_alert(session, actor, alert_id=first).alert.escalated_at == late
    escalation = notifications.sent[-1]
    assert escalation["topic"] == "alert.escalated"
    assert escalation["recipients"] == [personas.bob_manager.user.id]
    assert escalation["dedupe_key"] == f"alert.escalated:{first}"
    again = service.escalate_overdue_alerts(session, actor, now=late + timedelta(hours=5))
    assert again.escalated == []


def test_an_attachment_is_stored_by_its_sha256_read_back_checked_and_size_limited(
    session: Session, personas: Personas, tmp_path: Path
) -> None:
    (alert_id,) = _alerts(session, personas)
    actor = personas.alice_analyst.actor
    content = "对账单 2026-06".encode()
    row = service.add_attachment(
        session,
        actor,
        alert_id=alert_id,
        filename="../../对账单.pdf",
        content=content,
        directory=tmp_path,
    )
    assert (row.filename, row.size_bytes, row.sha256) == (
        "对账单.pdf",
        len(content),
        hashlib.sha256(content).hexdigest(),
    )
    stored = service.attachment_path(tmp_path, row.sha256)
    assert stored.read_bytes() == content
    found, read = service.read_attachment(
        session, personas.ada_auditor.actor, attachment_id=row.id, directory=tmp_path
    )
    assert (found.id, read) == (row.id, content)
    assert [a.id for a in service.get_alert(session, actor, alert_id=alert_id).attachments] == [
        row.id
    ]
    stored.write_bytes(b"tampered")
    with pytest.raises(service.AttachmentDamaged):
        service.read_attachment(session, actor, attachment_id=row.id, directory=tmp_path)
    with pytest.raises(service.InvalidAlertInput) as too_big:
        service.add_attachment(
            session,
            actor,
            alert_id=alert_id,
            filename="big.bin",
            content=b"x" * 11,
            directory=tmp_path,
            max_bytes=10,
        )
    assert too_big.value.details[0]["field"] == "file"
    with pytest.raises(PermissionDenied):
        service.add_attachment(
            session,
            personas.sam_sales.actor,
            alert_id=alert_id,
            filename="a.txt",
            content=b"a",
            directory=tmp_path,
        )
