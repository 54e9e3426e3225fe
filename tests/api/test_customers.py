from __future__ import annotations

import json

import jsonschema_rs
from fastapi.testclient import TestClient

from tests import factories
from tests.personas import Personas


def test_an_analyst_creates_a_customer_and_reads_it_back_with_exact_money(
    client: TestClient, personas: Personas
) -> None:
    headers = personas.alice_analyst.headers
    payload = {
        "uscc": factories.make_uscc(7001, region="440300"),
        "name": "深圳前海鼎盛供应链有限公司",
        "name_en": "Shenzhen Qianhai Dingsheng Supply Chain Co., Ltd.",
        "industry_code": "G58",
        "region_code": "440300",
        "registered_capital": {"amount": "88888888.88", "currency": "CNY"},
        "established_on": "2015-03-02",
    }
    created = client.post("/api/v1/customers", headers=headers, json=payload)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["registered_capital"] == {"amount": "88888888.88", "currency": "CNY"}
    assert created.headers["ETag"] == 'W/"v1"'

    fetched = client.get(created.headers["Location"], headers=headers)
    assert fetched.status_code == 200
    assert fetched.json()["name"] == payload["name"]
    assert fetched.json()["owner_id"] == personas.alice_analyst.user.id


def test_invalid_fields_are_named_in_a_422(client: TestClient, personas: Personas) -> None:
    response = client.post(
        "/api/v1/customers",
        headers=personas.alice_analyst.headers,
        json={
            "uscc": "91310000MA1FL12340",
            "name": "",
            "industry_code": "Z99",
            "registered_capital": {"amount": "1.005", "currency": "CNY"},
        },
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    fields = {detail["field"] for detail in error["details"]}
    assert {"uscc", "name", "industry_code", "registered_capital"} <= fields


def test_server_owned_fields_in_a_payload_are_refused(
    client: TestClient, personas: Personas
) -> None:
    response = client.post(
        "/api/v1/customers",
        headers=personas.alice_analyst.headers,
        json={"uscc": factories.make_uscc(7002), "name": "想自己指定负责人的公司", "owner_id": 1},
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "owner_id"


def test_a_duplicate_uscc_is_a_409_naming_the_field(client: TestClient, personas: Personas) -> None:
    existing = factories.customer()
    response = client.post(
        "/api/v1/customers",
        headers=personas.alice_analyst.headers,
        json={"uscc": existing.uscc, "name": "另一家公司"},
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "duplicate_uscc"
    assert response.json()["error"]["details"] == [
        {"field": "uscc", "value": existing.uscc, "message": "already used by another customer"}
    ]


def test_a_stale_if_match_gets_412_and_a_fresh_one_updates(
    client: TestClient, personas: Personas
) -> None:
    customer = factories.customer(name="旧名称有限公司")
    url = f"/api/v1/customers/{customer.id}"
    headers = personas.alice_analyst.headers
    stale = client.patch(
        url, headers={**headers, "If-Match": 'W/"v9"'}, json={"name": "新名称有限公司"}
    )
    assert stale.status_code == 412
    assert client.get(url, headers=headers).json()["name"] == "旧名称有限公司"

    fresh = client.patch(
        url, headers={**headers, "If-Match": 'W/"v1"'}, json={"name": "新名称有限公司"}
    )
    assert fresh.status_code == 200
    assert fresh.headers["ETag"] == 'W/"v2"'


def test_the_list_filters_and_paginates(client: TestClient, personas: Personas) -> None:
    for index in range(5):
        factories.customer(name=f"云南普洱茶业有限公司{index}", region_code="530000")
    factories.customer(name="云南普洱物流有限公司", region_code="530000", industry_code="G54")
    response = client.get(
        "/api/v1/customers",
        headers=personas.ada_auditor.headers,
        params={"q": "普洱", "industry": "F", "page_size": 2, "page": 3},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["pages"], len(body["items"])) == (5, 3, 1)


def test_a_missing_customer_is_a_404_in_the_error_shape(
    client: TestClient, personas: Personas
) -> None:
    response = client.get("/api/v1/customers/424242", headers=personas.ada_auditor.headers)
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "customer_not_found",
            "message": "no customer with id 424242",
            "details": None,
        }
    }


def test_openapi_documents_the_api(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/customers" in spec["paths"]
    assert "/api/v1/customers/{customer_id}" in spec["paths"]


def test_openapi_documents_the_error_envelope_the_api_answers(
    client: TestClient, personas: Personas
) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert "HTTPValidationError" not in json.dumps(spec)
    envelope = jsonschema_rs.validator_for(
        {"$ref": "#/components/schemas/ErrorResponse", "components": spec["components"]}
    )
    operation = spec["paths"]["/api/v1/customers"]["post"]
    assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorResponse"
    }
    assert "default" in operation["responses"]
    invalid = client.post(
        "/api/v1/customers", json={"name": 1}, headers=personas.adam_admin.headers
    )
    missing = client.get("/api/v1/customers/424242", headers=personas.adam_admin.headers)
    for response, status in ((invalid, 422), (missing, 404)):
        assert response.status_code == status
        envelope.validate(response.json())
    assert not envelope.is_valid({"detail": [{"loc": ["body"], "msg": "x", "type": "y"}]})


def test_an_unknown_api_path_answers_in_the_json_error_shape(client: TestClient) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_malformed_if_match_is_a_422_naming_the_header(
    client: TestClient, personas: Personas
) -> None:
    customer = factories.customer()
    response = client.patch(
        f"/api/v1/customers/{customer.id}",
        headers={**personas.alice_analyst.headers, "If-Match": '"some-other-etag"'},
        json={"name": "新名称有限公司"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "If-Match"
    wildcard = client.patch(
        f"/api/v1/customers/{customer.id}",
        headers={**personas.alice_analyst.headers, "If-Match": "*"},
        json={"name": "新名称有限公司"},
    )
    assert wildcard.status_code == 200
