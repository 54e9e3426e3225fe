"""Alerts in the UI: the inbox with filters and bulk actions, the case page with its lifecycle,
comments and actions, and the rules page with its preview."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.orm import Session

from fengkong.monitoring import service
from fengkong.monitoring.status import AlertStatus
from tests import factories
from tests.integration.monitoring.conftest import (
    NOW,
    SYSTEM,
    TODAY,
    notifications,  # noqa: F401  (autouse: records notify calls)
    overdue_invoice,
    use_rules,
)
from tests.personas import Personas
from tests.web.conftest import SignedIn


def _raise(session: Session, count: int = 1) -> list[int]:
    use_rules(session)
    ids = []
    for _ in range(count):
        customer = factories.customer()
        overdue_invoice(customer.id, days=45)
        ids.append(customer.id)
    return service.evaluate_customers(
        session, SYSTEM, customer_ids=ids, as_of=TODAY, now=NOW
    ).raised


def test_the_inbox_lists_open_alerts_in_chinese_and_offers_bulk_actions_to_analysts_only(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    first, second = _raise(session, 2)
    page = signed_in(personas.alice_analyst).page("/alerts")
    assert page.status_code == 200
    assert "预警" in page.text
    assert f'href="/alerts/{first}"' in page.text
    assert "badge--severity-high" in page.text
    assert 'name="alert_ids"' in page.text
    sales = signed_in(personas.sam_sales).page("/alerts")
    assert f'href="/alerts/{second}"' in sales.text
    assert 'name="alert_ids"' not in sales.text
    filtered = signed_in(personas.alice_analyst).page("/alerts?severity=low")
    assert f'href="/alerts/{first}"' not in filtered.text


def test_bulk_acknowledge_from_the_inbox_moves_the_chosen_alerts(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    first, second = _raise(session, 2)
    web = signed_in(personas.alice_analyst)
    response = web.http.post(
        "/alerts/bulk",
        data={"csrf_token": web.csrf_token(), "action": "acknowledge", "alert_ids": [str(first)]},
        follow_redirects=False,
    )
    assert (response.status_code, response.headers["location"]) == (303, "/alerts")
    actor = personas.alice_analyst.actor
    assert (
        service.get_alert(session, actor, alert_id=first).alert.status is AlertStatus.ACKNOWLEDGED
    )
    assert service.get_alert(session, actor, alert_id=second).alert.status is AlertStatus.NEW


def test_the_case_page_shows_the_values_and_is_worked_through_to_resolution(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    (alert_id,) = _raise(session)
    web = signed_in(personas.alice_analyst)
    page = web.page(f"/alerts/{alert_id}")
    assert page.status_code == 200
    assert "<code>value</code></th><td>45</td>" in page.text
    assert 'value="acknowledge"' in page.text
    assert web.post(f"/alerts/{alert_id}/move", {"to": "acknowledge"}).status_code == 303
    web.post(f"/alerts/{alert_id}/comments", {"body": "已联系财务"})
    web.post(f"/alerts/{alert_id}/actions", {"code": "collection_task", "note": "催收"})
    refused = web.post(f"/alerts/{alert_id}/move", {"to": "resolve"})  # no note
    assert refused.status_code == 303
    actor = personas.alice_analyst.actor
    assert service.get_alert(session, actor, alert_id=alert_id).alert.status is (
        AlertStatus.ACKNOWLEDGED
    )
    web.post(f"/alerts/{alert_id}/move", {"to": "resolve", "note": "已回款"})
    detail = service.get_alert(session, actor, alert_id=alert_id)
    assert detail.alert.status is AlertStatus.RESOLVED
    assert [c.body for c in detail.comments] == ["已联系财务"]
    assert [a.code.value for a in detail.actions] == ["collection_task"]
    closed = web.page(f"/alerts/{alert_id}")
    assert "已联系财务" in closed.text
    assert 'value="acknowledge"' not in closed.text
    auditor = signed_in(personas.ada_auditor).page(f"/alerts/{alert_id}")
    assert auditor.status_code == 200
    assert f'action="/alerts/{alert_id}/comments"' not in auditor.text


def test_the_rules_page_lists_the_active_rules_and_previews_a_rule(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    overdue_invoice(factories.customer().id, days=400)
    web = signed_in(personas.sam_sales)
    page = web.page("/rules")
    assert page.status_code == 200
    assert 'id="rule-dpd_over_30"' in page.text
    assert page.text.count('<tr id="rule-') == 21
    preview = web.post(
        "/rules/preview",
        {
            "rule_yaml": "{id: dpd_300, kind: threshold, metric: days_past_due, value: 300, "
            "severity: high, title: over 300}"
        },
    )
    assert preview.status_code == 200
    assert "dpd_300" in preview.text
    assert 'class="rule-preview-result"' in preview.text


def test_a_file_is_attached_on_the_case_page_and_downloaded(
    app: FastAPI, signed_in: SignedIn, personas: Personas, session: Session, tmp_path: Path
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"data_dir": tmp_path})
    (alert_id,) = _raise(session)
    web = signed_in(personas.alice_analyst)
    assert 'enctype="multipart/form-data"' in web.page(f"/alerts/{alert_id}").text
    response = web.http.post(
        f"/alerts/{alert_id}/attachments",
        data={"csrf_token": web.csrf_token()},
        files={"file": ("催款函.txt", "请于月底前付款".encode(), "text/plain")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    detail = service.get_alert(session, personas.alice_analyst.actor, alert_id=alert_id)
    [attachment] = detail.attachments
    page = signed_in(personas.ada_auditor).page(f"/alerts/{alert_id}")
    assert f'href="/alert-attachments/{attachment.id}"' in page.text
    assert "催款函.txt" in page.text
    download = signed_in(personas.ada_auditor).get(f"/alert-attachments/{attachment.id}")
    assert download.content == "请于月底前付款".encode()
    assert download.headers["content-type"] == "application/octet-stream"
