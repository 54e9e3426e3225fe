"""Risk scores over REST: shapes, permissions by persona, what-if, 404s, reason languages."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.risk import configs, service
from fengkong.risk.configs import ConfigKind
from fengkong.risk.models import ScoreTrigger
from tests import factories
from tests.api.records import QueryValue
from tests.api.resources import money
from tests.integration.risk.conftest import AS_OF, scored_customer
from tests.personas import Personas

SYSTEM = Actor.system("test")


def _scored(session: Session, *, late_days: int = 40) -> int:
    customer_id = scored_customer(late_days=late_days).id
    service.score_customers(
        session, SYSTEM, customer_ids=[customer_id], as_of=AS_OF, trigger=ScoreTrigger.MANUAL
    )
    return customer_id


def test_a_customers_risk_has_score_grade_pd_factors_and_reasons(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer_id = _scored(session)

    response = client.get(
        f"/api/v1/customers/{customer_id}/risk", headers=personas.sam_sales.headers
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert {"score", "grade", "risk_level", "pd", "as_of", "model_version", "factors"} <= set(body)
    assert body["as_of"] == AS_OF.isoformat()
    assert (body["model_version"], body["scale_version"]) == (1, 1)
    assert {"name", "value", "points", "reason"} <= set(body["factors"][0])
    assert body["reasons"]
    assert {"code", "text"} <= set(body["reasons"][0])


def test_reasons_come_in_the_callers_language(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer_id = _scored(session)
    url = f"/api/v1/customers/{customer_id}/risk"
    headers = personas.alice_analyst.headers

    chinese = client.get(url, headers={**headers, "Accept-Language": "zh-CN,zh;q=0.9"}).json()
    english = client.get(url, headers={**headers, "Accept-Language": "en-US"}).json()

    stored = service.get_risk(session, SYSTEM, customer_id=customer_id).reasons[0]
    assert chinese["reasons"][0]["text"] == stored.text_zh
    assert english["reasons"][0]["text"] == stored.text_en
    assert chinese["reasons"][0]["code"] == english["reasons"][0]["code"]


def test_a_customer_never_scored_answers_404(client: TestClient, personas: Personas) -> None:
    customer = factories.customer()
    headers = personas.alice_analyst.headers
    response = client.get(f"/api/v1/customers/{customer.id}/risk", headers=headers)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "risk_not_scored")
    missing = client.get("/api/v1/customers/999999/risk", headers=headers)
    assert missing.status_code == 404


def test_history_lists_stored_scores_newest_first(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer_id = _scored(session)
    factories.invoice(customer_id=customer_id, issue_date=AS_OF.replace(month=1))
    service.score_customers(
        session, SYSTEM, customer_ids=[customer_id], as_of=AS_OF, trigger=ScoreTrigger.MANUAL
    )

    response = client.get(
        f"/api/v1/customers/{customer_id}/risk/history", headers=personas.ada_auditor.headers
    )

    items = response.json()["items"]
    assert len(items) == 2
    assert items[0]["risk_score_id"] > items[1]["risk_score_id"]
    assert {"as_of", "score", "grade", "pd", "model_version", "scale_version"} <= set(items[0])


def test_only_risk_writers_may_rescore(client: TestClient, personas: Personas) -> None:
    customer = factories.customer()
    url = f"/api/v1/customers/{customer.id}/risk"
    assert client.post(url, headers=personas.alice_analyst.headers).status_code == 403
    assert client.post(url, headers=personas.sam_sales.headers).status_code == 403
    rescored = client.post(url, headers=personas.bob_manager.headers)
    assert rescored.status_code == 200, rescored.text
    assert rescored.json()["customer_id"] == customer.id


def test_what_if_scores_a_payload_and_names_an_unknown_feature(
    client: TestClient, personas: Personas
) -> None:
    headers = personas.alice_analyst.headers
    scored = client.post(
        "/api/v1/score",
        headers=headers,
        json={
            "features": {"debt_to_asset": 0.92, "dishonest_debtor_flag": 1, "current_ratio": None}
        },
    )
    assert scored.status_code == 200, scored.text
    assert (scored.json()["grade"], scored.json()["as_of"]) == ("E", None)
    unknown = client.post("/api/v1/score", headers=headers, json={"features": {"debt_ratio": 0.5}})
    assert unknown.status_code == 422
    assert "debt_ratio" in unknown.text


def test_scorecards_are_listed_exported_imported_and_activated(
    client: TestClient, personas: Personas, session: Session
) -> None:
    configs.ensure_active(session, SYSTEM)
    manager, analyst = personas.bob_manager.headers, personas.alice_analyst.headers
    listed = client.get("/api/v1/scorecards", headers=analyst).json()["items"]
    assert [(item["version"], item["status"]) for item in listed] == [(1, "active")]
    exported = client.get("/api/v1/scorecards/1", headers=analyst).json()
    assert exported["yaml"] == configs.shipped_yaml(ConfigKind.SCORECARD)

    text = exported["yaml"].replace('version: "2026.1"', 'version: "2026.2"', 1)
    refused = client.post("/api/v1/scorecards", headers=analyst, json={"yaml": text})
    assert refused.status_code == 403
    imported = client.post(
        "/api/v1/scorecards", headers=manager, json={"yaml": text, "note": "new version label"}
    )
    assert imported.status_code == 201, imported.text
    assert (imported.json()["version"], imported.json()["status"]) == (2, "draft")
    activated = client.post("/api/v1/scorecards/2/activate", headers=manager)
    assert activated.json()["status"] == "active"
    broken = client.post(
        "/api/v1/grade-scales", headers=manager, json={"yaml": "name: x\nversion: '1'\ngrades: []"}
    )
    assert (broken.status_code, broken.json()["error"]["code"]) == (400, "invalid_config")


def test_analysts_answer_the_questionnaire_and_sales_only_read_it(
    client: TestClient, personas: Personas
) -> None:
    customer = factories.customer()
    url = f"/api/v1/customers/{customer.id}/qualitative"
    answer = {
        "question": "operational_risk",
        "answer": 4,
        "evidence": "one key customer buys 70 % of output",
        "assessed_on": "2026-06-01",
    }
    assert client.post(url, headers=personas.sam_sales.headers, json=answer).status_code == 403
    created = client.post(url, headers=personas.alice_analyst.headers, json=answer)
    assert created.status_code == 201, created.text
    assert created.json()["assessed_by"] == "alice_analyst"
    out_of_range = client.post(
        url, headers=personas.alice_analyst.headers, json={**answer, "answer": 6}
    )
    assert out_of_range.status_code == 422
    listed = client.get(url, headers=personas.sam_sales.headers).json()["items"]
    assert [item["answer"] for item in listed] == [4]


def test_an_invoice_written_through_the_api_leads_to_a_new_score(
    client: TestClient, personas: Personas, session: Session
) -> None:
    customer_id = _scored(session, late_days=0)
    service.rescore_changed(session, SYSTEM, as_of=AS_OF)  # catch up on the set-up's events
    before = service.get_risk(session, SYSTEM, customer_id=customer_id)

    written = client.post(
        "/api/v1/invoices",
        headers=personas.alice_analyst.headers,
        json={
            "customer_id": customer_id,
            "invoice_number": "INV-RISK-1",
            "issue_date": "2026-01-05",
            "due_date": "2026-02-04",
            "amount": money("250000.00"),
        },
    )
    assert written.status_code == 201, written.text
    rescored = service.rescore_changed(session, SYSTEM, as_of=AS_OF)

    assert rescored.customers == 1
    after = service.get_risk(session, SYSTEM, customer_id=customer_id)
    assert after.risk_score_id != before.risk_score_id
    assert after.score < before.score


def test_the_customer_list_filters_and_sorts_by_grade_and_score(
    client: TestClient, personas: Personas, session: Session
) -> None:
    good = _scored(session, late_days=0)
    poor = scored_customer(late_days=0).id
    factories.legal_event(customer_id=poor, event_type="dishonest_debtor", occurred_on=AS_OF)
    service.score_customers(
        session, SYSTEM, customer_ids=[poor], as_of=AS_OF, trigger=ScoreTrigger.MANUAL
    )
    unrated = factories.customer().id
    headers = personas.sam_sales.headers

    def ids(**params: QueryValue) -> list[int]:
        response = client.get("/api/v1/customers", headers=headers, params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert ids(grade="E") == [poor]
    assert ids(sort="-score")[:2] == [good, poor]
    assert ids(sort="-score")[-1] == unrated
    assert ids(sort="score")[:2] == [poor, good]
    assert ids(min_score=1, max_score=1000, sort="grade") == [good, poor]
    item = client.get("/api/v1/customers", headers=headers, params={"grade": "E"}).json()
    assert item["items"][0]["grade"] == "E"
    assert item["items"][0]["score"] is not None
