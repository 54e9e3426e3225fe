"""Alerts over REST: inbox, case, lifecycle, bulk, actions, rule sets and preview — permissions
by persona."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import time_machine
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fengkong.monitoring import service
from tests import factories
from tests.integration.monitoring.conftest import (
    NOW,
    ONLY_DPD,
    SYSTEM,
    TODAY,
    notifications,  # noqa: F401  (autouse: records notify calls)
    overdue_invoice,
    use_rules,
)
from tests.personas import Personas


def _raise(session: Session, count: int = 1) -> list[int]:
    use_rules(session)
    ids = []
    for _ in range(count):
        customer = factories.customer()
        overdue_invoice(customer.id, days=45)
        ids.append(customer.id)
    raised = service.evaluate_customers(
        session, SYSTEM, customer_ids=ids, as_of=TODAY, now=NOW
    ).raised
    session.commit()
    return raised


def test_the_inbox_lists_alerts_for_every_reader_and_the_case_shows_its_values(
    client: TestClient, personas: Personas, session: Session
) -> None:
    (alert_id,) = _raise(session)
    for persona in personas.all():
        listed = client.get("/api/v1/alerts?status=new", headers=persona.headers)
        assert listed.status_code == 200, (persona.user.username, listed.text)
        assert [item["id"] for item in listed.json()["items"]] == [alert_id]
    case = client.get(f"/api/v1/alerts/{alert_id}", headers=personas.sam_sales.headers)
    assert case.status_code == 200
    body = case.json()
    assert (body["rule_id"], body["values"], body["severity"]) == (
        "dpd_over_30",
        {"value": 45, "threshold": 30},
        "high",
    )
    assert case.headers["ETag"]
    assert (
        client.get("/api/v1/alerts/999999", headers=personas.sam_sales.headers).status_code == 404
    )


def test_an_analyst_works_a_case_and_sales_may_not(
    client: TestClient, personas: Personas, session: Session
) -> None:
    (alert_id,) = _raise(session)
    refused = client.post(
        f"/api/v1/alerts/{alert_id}/acknowledge", headers=personas.sam_sales.headers
    )
    assert refused.status_code == 403
    analyst = personas.alice_analyst.headers
    acked = client.post(f"/api/v1/alerts/{alert_id}/acknowledge", headers=analyst)
    assert (acked.status_code, acked.json()["status"]) == (200, "acknowledged")
    stale = client.post(
        f"/api/v1/alerts/{alert_id}/start", headers={**analyst, "If-Match": 'W/"v1"'}
    )
    assert stale.status_code == 412
    commented = client.post(
        f"/api/v1/alerts/{alert_id}/comments", json={"body": "已电话联系"}, headers=analyst
    )
    assert commented.status_code == 201
    resolved = client.post(
        f"/api/v1/alerts/{alert_id}/resolve", json={"note": "已回款"}, headers=analyst
    )
    assert (resolved.status_code, resolved.json()["status"]) == (200, "resolved")
    again = client.post(f"/api/v1/alerts/{alert_id}/acknowledge", headers=analyst)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "alert_transition_refused")
    case = client.get(f"/api/v1/alerts/{alert_id}", headers=analyst).json()
    assert [c["body"] for c in case["comments"]] == ["已电话联系"]


def test_bulk_acknowledge_reports_what_was_done_and_refused(
    client: TestClient, personas: Personas, session: Session
) -> None:
    first, second = _raise(session, 2)
    response = client.post(
        "/api/v1/alerts/bulk",
        json={"alert_ids": [first, second, 424242], "action": "acknowledge"},
        headers=personas.bob_manager.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["done"] == [first, second]
    assert list(response.json()["refused"]) == ["424242"]


def test_a_task_action_is_recorded_on_the_case(
    client: TestClient, personas: Personas, session: Session
) -> None:
    (alert_id,) = _raise(session)
    response = client.post(
        "/api/v1/alert-actions",
        json={"code": "require_guarantee", "alert_id": alert_id, "note": "要求担保"},
        headers=personas.alice_analyst.headers,
    )
    assert response.status_code == 201, response.text
    assert (response.json()["status"], response.json()["alert_id"]) == ("open", alert_id)
    listed = client.get("/api/v1/alert-actions", headers=personas.ada_auditor.headers)
    assert [item["code"] for item in listed.json()["items"]] == ["require_guarantee"]
    action_id = response.json()["id"]
    done = client.post(
        f"/api/v1/alert-actions/{action_id}/close",
        json={"status": "done", "note": "已收到担保函"},
        headers=personas.alice_analyst.headers,
    )
    assert (done.status_code, done.json()["status"], done.json()["note"]) == (
        200,
        "done",
        "要求担保\n已收到担保函",
    )
    again = client.post(
        f"/api/v1/alert-actions/{action_id}/close",
        json={"status": "cancelled"},
        headers=personas.alice_analyst.headers,
    )
    assert again.status_code == 409


def test_rule_sets_are_imported_by_risk_managers_and_previewed_by_readers(
    client: TestClient, personas: Personas, session: Session
) -> None:
    body = {"yaml": ONLY_DPD, "activate": True}
    refused = client.post("/api/v1/rule-sets", json=body, headers=personas.alice_analyst.headers)
    assert refused.status_code == 403
    created = client.post("/api/v1/rule-sets", json=body, headers=personas.bob_manager.headers)
    assert created.status_code == 201, created.text
    version = created.json()["version"]
    exported = client.get(f"/api/v1/rule-sets/{version}", headers=personas.sam_sales.headers)
    assert exported.json()["yaml"] == ONLY_DPD.strip()
    invalid = client.post(
        "/api/v1/rule-sets",
        json={"yaml": "name: x\nrules: []"},
        headers=personas.bob_manager.headers,
    )
    assert (invalid.status_code, invalid.json()["error"]["code"]) == (400, "invalid_rule_set")
    overdue_invoice(factories.customer().id, days=45)
    session.commit()
    preview = client.post(
        "/api/v1/rules/preview",
        json={
            "rule_yaml": "{id: dpd_40, kind: threshold, metric: days_past_due, value: 40, "
            "severity: high, title: over 40}",
            "as_of": TODAY.isoformat(),
        },
        headers=personas.sam_sales.headers,
    )
    assert preview.status_code == 200, preview.text
    assert preview.json()["fired"] == 1


def test_an_evaluation_run_through_the_api_raises_alerts_once(
    client: TestClient, personas: Personas, session: Session
) -> None:
    use_rules(session)
    customer = factories.customer()
    overdue_invoice(customer.id, days=45)
    session.commit()
    body = {"customer_ids": [customer.id], "as_of": TODAY.isoformat()}
    first = client.post(
        "/api/v1/monitoring/evaluate", json=body, headers=personas.alice_analyst.headers
    )
    assert first.status_code == 200, first.text
    assert len(first.json()["raised"]) == 1
    second = client.post(
        "/api/v1/monitoring/evaluate", json=body, headers=personas.alice_analyst.headers
    )
    assert second.json()["raised"] == []
    refused = client.post(
        "/api/v1/monitoring/evaluate", json=body, headers=personas.sam_sales.headers
    )
    assert refused.status_code == 403


@time_machine.travel(datetime(2026, 12, 6, 16, 30, tzinfo=UTC), tick=False)
def test_without_as_of_evaluation_and_preview_judge_the_business_day_not_utcs(
    client: TestClient, personas: Personas
) -> None:
    """At 00:30 in Shanghai it is still the day before in UTC: an invoice due on the 6th is
    overdue on the business calendar (Asia/Shanghai, the default zone)."""
    body = {"customer_ids": [factories.customer().id]}
    evaluated = client.post(
        "/api/v1/monitoring/evaluate", json=body, headers=personas.alice_analyst.headers
    )
    assert evaluated.status_code == 200, evaluated.text
    assert evaluated.json()["as_of"] == "2026-12-07"
    preview = client.post(
        "/api/v1/rules/preview",
        json={
            "rule_yaml": "{id: dpd_1, kind: threshold, metric: days_past_due, value: 1, "
            "severity: low, title: overdue}"
        },
        headers=personas.sam_sales.headers,
    )
    assert preview.status_code == 200, preview.text
    assert preview.json()["as_of"] == "2026-12-07"


def test_an_attachment_is_uploaded_by_an_analyst_and_downloaded_by_an_auditor(
    app: FastAPI, client: TestClient, personas: Personas, session: Session, tmp_path: Path
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"data_dir": tmp_path})
    (alert_id,) = _raise(session)
    files = {"file": ("回款证明.pdf", b"%PDF-1.4 proof", "application/pdf")}
    refused = client.post(
        f"/api/v1/alerts/{alert_id}/attachments", files=files, headers=personas.sam_sales.headers
    )
    assert refused.status_code == 403
    created = client.post(
        f"/api/v1/alerts/{alert_id}/attachments",
        files=files,
        headers=personas.alice_analyst.headers,
    )
    assert created.status_code == 201, created.text
    attachment = created.json()
    assert (attachment["filename"], attachment["size_bytes"]) == ("回款证明.pdf", 14)
    case = client.get(f"/api/v1/alerts/{alert_id}", headers=personas.ada_auditor.headers).json()
    assert [a["id"] for a in case["attachments"]] == [attachment["id"]]
    download = client.get(
        f"/api/v1/alert-attachments/{attachment['id']}", headers=personas.ada_auditor.headers
    )
    assert download.status_code == 200
    assert download.content == b"%PDF-1.4 proof"
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"].startswith("attachment; filename*=UTF-8''")
